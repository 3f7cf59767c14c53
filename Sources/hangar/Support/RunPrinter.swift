import ArgumentParser
import Foundation
import HangarCore
import HangarEngine
import HangarMachine

/// Prints a run's events: progress to stderr, the commands' output to stdout.
enum RunPrinter {
    /// Each event as the run's log writes it (`RunEvent.terminalLine`); the commands' own output keeps its stream.
    @Sendable static func print(_ event: RunEvent) { printer(prefix: "")(event) }

    /// `print` with each line starting with `prefix` (`[debian-12/selinux] `: cells that run at once).
    static func printer(prefix: String) -> @Sendable (RunEvent) -> Void {
        { event in
            switch event {
            case .output(let line, isError: false): FileHandle.standardOutput.write(Data((prefix + line + "\n").utf8))
            default: Terminal.printError(prefix + event.terminalLine)
            }
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
    static func cancellable<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await body() }
        return try await ProcessSignals.handling {
            try await task.value
        } onSignal: { _ in
            Terminal.note("stopping: cancelling the run and cleaning up")
            task.cancel()
        }
    }
}
