import ArgumentParser
import Foundation
import HangarCore
import HangarEngine
import HangarMachine

/// Prints a run's events: progress to stderr, the commands' output to stdout.
enum RunPrinter {
    @Sendable static func print(_ event: RunEvent) {
        switch event {
        case .taskStarted(let index, let count, let title): Terminal.printError("==> [\(index + 1)/\(count)] \(title)")
        case .output(let line, let isError):
            if isError { Terminal.printError(line) } else { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
        case .notice(let text): Terminal.note(text)
        // The error itself is printed once, after the run (`hangar run` and `hangar up` end with it).
        case .taskFinished(_, let title, let status, let duration, _) where status != .passed:
            Terminal.printError("<== \(title): \(status.rawValue) after \(DurationText.format(duration))")
        case .taskFinished: break
        }
    }

    /// The process exit code for a run: 0 passed, 1 failed, 2 error, 3 timed out, 130 cancelled.
    static func exitCode(_ result: RunResult) -> ExitCode { exitCode(result.status) }

    /// The process exit code for a run that ended `status`.
    static func exitCode(_ status: RunStatus) -> ExitCode {
        switch status {
        case .passed, .skipped: .success
        case .failed: ExitCode(1)
        case .error: ExitCode(2)
        case .timedOut: ExitCode(3)
        case .cancelled: ExitCode(130)
        }
    }

    /// Runs `body` as a task that Ctrl-C / SIGTERM cancels; the run still finalizes (destroys its machine).
    static func cancellable(_ body: @escaping @Sendable () async throws -> RunResult) async throws -> RunResult {
        let task = Task { try await body() }
        return try await ProcessSignals.handling {
            try await task.value
        } onSignal: { _ in
            Terminal.note("stopping: cancelling the run and cleaning up")
            task.cancel()
        }
    }
}
