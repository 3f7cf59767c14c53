/// What a token may do. `viewer`, `operator` and `admin` each may do what the ones before them
/// may; `worker` is for `hangar worker` and reaches the worker routes only (and admins reach those too).
public enum Role: String, Sendable, Codable, CaseIterable {
    /// Read runs, logs, projects and machines.
    case viewer
    /// Also trigger, cancel and retrigger runs.
    case `operator`
    /// Everything, including the server's own settings.
    case admin
    /// Take runs and report on them, as a worker.
    case worker

    /// True when a token with this role may do what `needed` may.
    public func allows(_ needed: Role) -> Bool {
        switch (self, needed) {
        case (.worker, .worker), (.admin, _): true
        case (.worker, _), (_, .worker): false
        default: Self.ranks.firstIndex(of: self)! >= Self.ranks.firstIndex(of: needed)!
        }
    }

    private static let ranks: [Role] = [.viewer, .operator, .admin]
}
