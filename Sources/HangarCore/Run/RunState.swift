/// Where a run is in its life (DESIGN.md "Run states"), spelled the same in the database, the API,
/// the CLI and the web UI's CSS classes.
public enum RunState: String, CaseIterable, Sendable, Codable {
    /// Waiting for a worker.
    case queued
    /// Held by a worker.
    case running
    /// Ended: every task passed.
    case passed
    /// Ended: the job's own commands said no.
    case failed
    /// Ended: infrastructure failed (image, boot, SSH, worker lost).
    case error
    /// Ended: stopped by a user or a shutdown.
    case cancelled
    /// Ended: ran past a time limit.
    case timedOut = "timed-out"
    /// Ended without running (a schedule whose image did not change).
    case skipped

    /// Failed, erred, timed out or was cancelled: what a group's rerun runs again.
    public var endedWithoutPassing: Bool { RunState.endedBadly.contains(self) || self == .cancelled }

    /// A group's state from its runs' (a matrix job's cells): `running` while any runs, else
    /// `queued` while any waits, else their worst outcome (`RunStatus.worst`).
    public static func combined(_ states: [RunState]) -> RunState {
        if states.contains(.running) { return .running }
        if states.contains(.queued) { return .queued }
        return RunState(RunStatus.worst(of: states.compactMap { RunStatus(rawValue: $0.rawValue) }))
    }

    /// The state a run ends in with `status`.
    public init(_ status: RunStatus) {
        switch status {
        case .passed: self = .passed
        case .failed: self = .failed
        case .error: self = .error
        case .cancelled: self = .cancelled
        case .timedOut: self = .timedOut
        case .skipped: self = .skipped
        }
    }

    /// True once the run has ended.
    public var isFinished: Bool { self != .queued && self != .running }

    /// How it ended; nil while queued or running.
    public var status: RunStatus? { RunStatus(rawValue: rawValue) }

    /// The states of a run that ended badly: the ones triage classifies and notifications call failed.
    public static let endedBadly: [RunState] = [.failed, .error, .timedOut]

    /// Every spelling, for help texts and error messages.
    public static var spellings: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
