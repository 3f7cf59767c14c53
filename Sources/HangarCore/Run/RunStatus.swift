/// How a run or a task ended (DESIGN.md "Run states").
public enum RunStatus: String, CaseIterable, Sendable, Codable {
    /// Everything succeeded.
    case passed
    /// The job's own commands said no.
    case failed
    /// Infrastructure failed: image, boot, SSH, host.
    case error
    /// Stopped by the user or a signal.
    case cancelled
    /// A task or the job ran past its time limit.
    case timedOut = "timed-out"
    /// Not run: an earlier task ended the run, or its image is not built yet (`image.not-ready`).
    case skipped

    /// The status a failed task's error gives the run.
    public init(failure error: HangarError) {
        if error.code == .imageNotReady {
            self = .skipped
            return
        }
        switch error.kind {
        case .test: self = .failed
        case .infrastructure, .usage: self = error.code == .runCancelled ? .cancelled : .error
        }
    }

    /// The worst of several outcomes (a matrix's cells): cancelled, then error, timed out, failed,
    /// skipped, passed; passed for none.
    public static func worst(of statuses: [RunStatus]) -> RunStatus {
        let order: [RunStatus] = [.passed, .skipped, .failed, .timedOut, .error, .cancelled]
        return statuses.max { order.firstIndex(of: $0)! < order.firstIndex(of: $1)! } ?? .passed
    }
}

/// Something that happened during a run, in order; the CLI prints these, the server stores them.
public enum RunEvent: Sendable {
    /// Task `index` (from 0) of `count` started.
    case taskStarted(index: Int, count: Int, title: String)
    /// A line of output from a task's command.
    case output(String, isError: Bool)
    /// Something the user should know (a fallback, a picked port).
    case notice(String)
    /// Task `index` ended.
    case taskFinished(index: Int, title: String, status: RunStatus, duration: Duration, error: HangarError?)
}

extension RunEvent {
    /// The event as one line of the run's log, the one way it is written: in the run folder's
    /// `log.txt`, the log a worker sends the server and the terminal (`terminalLine`). A command's
    /// output is its own line (the terminal keeps standard error apart; the logs do not mark it).
    public var logLine: String { line(withError: true) }

    /// The log line in the terminal: a failed task's error is left out there, because `hangar run`
    /// says it once, with its hint, when the run ends.
    public var terminalLine: String { line(withError: false) }

    private func line(withError: Bool) -> String {
        switch self {
        case .taskStarted(let index, let count, let title): "==> [\(index + 1)/\(count)] \(title)"
        case .output(let line, _): line
        case .notice(let text): "note: \(text)"
        case .taskFinished(_, let title, let status, let duration, let error):
            "<== \(title): \(status.rawValue) in \(DurationText.format(duration))" + (withError ? error.map { ": \($0.message)" } ?? "" : "")
        }
    }
}
