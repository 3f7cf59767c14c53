/// Where a handler's task runs, as kanku's handlers declare it (`distributable`): on the worker that
/// holds the run (machines, guest commands: most handlers), on the coordinator (work that needs what
/// only it has: its network, its secrets — `notify`), or once on every online worker (work on each
/// host's own state — `snapshots.prune`). Outside server mode everything runs on the one host.
public enum Placement: String, Sendable, Codable, CaseIterable {
    case worker
    case coordinator
    case everyWorker = "every-worker"

    /// For people: "on the coordinator".
    public var phrase: String {
        switch self {
        case .worker: "on the worker holding the run"
        case .coordinator: "on the coordinator"
        case .everyWorker: "on every online worker"
        }
    }
}

/// What one placed task sends back, at most: lines past `maxLines` are dropped (one line says so) and
/// each line is cut at `maxLineLength` characters, so its result always fits in one request.
public enum PlacedTaskLimits {
    public static let maxLines = 500
    public static let maxLineLength = 1000
    public static let maxErrorLength = 10_000
    /// The line that stands for the ones dropped.
    public static let dropped = "(more lines not kept)"

    /// `lines`, within the limits.
    public static func capped(_ lines: [String]) -> [String] {
        let kept = lines.prefix(maxLines).map { $0.count > maxLineLength ? String($0.prefix(maxLineLength)) : $0 }
        return lines.count > maxLines ? kept + [dropped] : kept
    }

    /// An error's text, within the limit.
    public static func capped(error: String?) -> String? { error.map { String($0.prefix(maxErrorLength)) } }
}

/// How a placed task ended, with what it printed: what its runner reports, what the store keeps,
/// and what the run's holder gets back (`API.TaskResult`).
public struct PlacedTaskResult: Sendable, Equatable, Codable {
    public var passed: Bool
    public var lines: [String]
    public var error: String?
    /// The error's code and who is to blame, when it failed.
    public var code: HangarError.Code?
    public var kind: HangarError.Kind?

    public init(passed: Bool, lines: [String], error: String? = nil, code: HangarError.Code? = nil, kind: HangarError.Kind? = nil) {
        self.passed = passed
        self.lines = lines
        self.error = error
        self.code = code
        self.kind = kind
    }
}

/// One task run away from the worker holding its run: by a coordinator, or by one worker of an
/// every-worker task. Each is run at most once: it is taken once, and ends once.
public enum PlacedTaskState: String, Sendable, Codable, CaseIterable {
    /// Waiting for its worker to take it (with its next heartbeat).
    case pending
    /// Taken: a coordinator or a worker is running it.
    case running
    case passed
    case failed
    /// Its runner went away before it ended (restarted, offline); it is not run again, as it may
    /// have had its effect.
    case lost

    /// True once it ended, one way or another.
    public var isFinal: Bool { self == .passed || self == .failed || self == .lost }
}

/// What happens to a placed task.
public enum PlacedTaskEvent: Sendable, Equatable {
    /// Its runner takes it.
    case taken
    /// Its runner says how it ended.
    case ended(passed: Bool)
    /// Its runner restarted or went offline.
    case runnerGone
}

extension PlacedTaskState {
    /// The state after `event`, or nil when the event does not apply (an ended task stays ended; a
    /// task is taken once): the store writes only a transition this allows, with compare-and-set.
    public func after(_ event: PlacedTaskEvent) -> PlacedTaskState? {
        switch (self, event) {
        case (.pending, .taken): .running
        case (.running, .ended(let passed)): passed ? .passed : .failed
        case (.pending, .runnerGone), (.running, .runnerGone): .lost
        default: nil
        }
    }
}
