public import Foundation
public import HangarCore
import Subprocess
import Synchronization

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// A program started to keep running beside this one (a machine's QEMU, a test's server): its own
/// process group, no input, its output appended to a log file. It is not stopped when the task
/// that started it ends; `hangar up` exits and leaves its QEMU running.
public final class BackgroundProcess: Sendable {
    /// Its process id, which is also its process group's.
    public let pid: Int32
    /// The file its stdout and stderr go to.
    public let log: String
    private let exit: Task<Int32, Never>
    private let ended: OnceFlag

    fileprivate init(pid: Int32, log: String, exit: Task<Int32, Never>, ended: OnceFlag) {
        self.pid = pid
        self.log = log
        self.exit = exit
        self.ended = ended
    }

    /// False once it has exited (and been reaped).
    public var isRunning: Bool { !ended.isSet }

    /// What it has written so far.
    public func output() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// Waits until its output has a first whole line and returns that line (a helper server's port,
    /// say); nil when it exits or `timeout` passes first.
    public func firstLine(timeout: Duration = .seconds(30)) async -> String? {
        var line: String?
        _ = await Poll.until(every: .milliseconds(20), for: timeout) {
            let text = output()
            line = text.firstIndex(of: "\n").map { String(text[..<$0]) }
            return line != nil || !isRunning
        }
        return line
    }

    /// Waits for it to exit and returns its status (128 + the signal number when a signal ended it).
    @discardableResult
    public func wait() async -> Int32 { await exit.value }

    /// Sends `signal` to its whole process group, if it still runs.
    public func signal(_ signal: Int32) {
        if isRunning { kill(-pid, signal) }
    }

    /// SIGTERM to its group, SIGKILL after `Command.stopGrace`; returns once it has exited.
    @discardableResult
    public func stop() async -> Int32 {
        signal(SIGTERM)
        _ = await Poll.until(every: .milliseconds(20), for: Command.stopGrace) { !isRunning }
        signal(SIGKILL)
        return await wait()
    }
}

extension Command {
    /// Starts `arguments[0]` (looked up in PATH) in the background, its stdout and stderr written to
    /// `log` (created, or truncated), and returns once it runs.
    public static func start(
        _ arguments: [String],
        log: String,
        environment: [String: String]? = nil,
        directory: String? = nil
    ) async throws(HangarError) -> BackgroundProcess {
        let configuration = try configuration(arguments, environment: environment, directory: directory)
        let output: FileDescriptor
        do {
            output = try FileDescriptor.open(
                FilePath(log),
                .writeOnly,
                options: [.create, .truncate, .closeOnExec],
                permissions: [.ownerReadWrite, .groupRead, .otherRead]
            )
        } catch {
            throw HangarError(.hostSpawn, "cannot write \(log): \(error)", cause: error)
        }
        let (started, report) = AsyncStream<Result<Int32, HangarError>>.makeStream()
        let ended = OnceFlag()
        let exit = Task<Int32, Never> {
            defer { ended.set() }
            do {
                let result = try await Subprocess.run(
                    configuration,
                    input: .none,
                    output: .fileDescriptor(output, closeAfterSpawningProcess: true),
                    error: .combinedWithOutput
                ) { execution in
                    report.yield(.success(execution.processIdentifier.value))
                }
                return result.terminationStatus.shellStatus
            } catch {
                report.yield(.failure(HangarError(.hostSpawn, "cannot start '\(arguments[0])': \(error)", cause: error)))
                return -1
            }
        }
        var iterator = started.makeAsyncIterator()
        guard let first = await iterator.next() else { throw HangarError(.hostSpawn, "cannot start '\(arguments[0])'") }
        return BackgroundProcess(pid: try first.get(), log: log, exit: exit, ended: ended)
    }
}
