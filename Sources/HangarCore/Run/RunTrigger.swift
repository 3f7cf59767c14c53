/// What kind of thing started a run, for filtering (`hangar remote runs --trigger obs`); the
/// run's `cause` says it in words.
public enum RunTrigger: String, CaseIterable, Sendable, Codable {
    /// Someone: the API, the web UI, `hangar remote trigger`, a rerun.
    case manual
    /// A forge's push or pull/merge request.
    case webhook
    /// The gate: an approved change tested on top of the ones ahead of it in its queue.
    case gate
    /// A pull request that changes hangar.yml, run as its own file says (CKI's non-production
    /// pipelines): no commit statuses, no notifications, shown apart.
    case shadow
    /// A `cron:` trigger.
    case schedule
    /// The build service's event on the bus (`obs:` triggers).
    case obs
    /// Another bus message (`amqp:` triggers).
    case amqp
    /// An automatic retry a known-failure signature asked for.
    case retry
}
