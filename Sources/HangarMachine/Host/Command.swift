public import Foundation
public import HangarCore
import Subprocess
import Synchronization

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// The result of a finished command.
public struct CommandResult: Sendable {
    /// The exit status (128 + signal number when killed by a signal).
    public var status: Int32
    /// Everything it wrote to standard output.
    public var stdout: String
    /// Everything it wrote to standard error.
    public var stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Runs host programs: the one place Hangar starts a child process (through swift-subprocess;
/// Foundation's `Process` crashes intermittently on Linux with this toolchain).
///
/// Each program runs in its own process group with no signals blocked or ignored. Cancelling the
/// calling task sends SIGTERM to the whole group (a shell's children too), then SIGKILL after
/// `Command.stopGrace`, and waits for the exit, so nothing outlives the call. Output is read until
/// the program exits, never until EOF: an ssh ControlMaster keeps a killed client's pipes open, and
/// a daemon a shell started may keep them for ever.
public enum Command {
    /// Where a child's output goes.
    public enum Output: Sendable {
        /// Collected into the result.
        case capture
        /// Passed through to this process's own stdout/stderr.
        case inherit
        /// Each line handed to the closure as it arrives (`true` for stderr), and collected too.
        case lines(@Sendable (String, _ isError: Bool) -> Void)
    }

    /// How long a cancelled program has between SIGTERM and SIGKILL.
    public static let stopGrace: Duration = .seconds(5)

    /// Variables of this process no child gets unless given explicitly (a forge's token, a webhook
    /// secret, a worker's token): a run's host tasks are children too, and may run code from a pull
    /// request. `hangar serve` and `hangar worker` name theirs.
    public static func withhold(_ names: some Sequence<String>) { withheld.withLock { $0.formUnion(names) } }
    private static let withheld = Mutex<Set<String>>([])

    /// Runs `arguments[0]` (looked up in PATH) to completion.
    public static func run(
        _ arguments: [String],
        input: Data? = nil,
        output: Output = .capture,
        environment: [String: String]? = nil,
        directory: String? = nil
    ) async throws(HangarError) -> CommandResult {
        let configuration = try configuration(arguments, environment: environment, directory: directory)
        do {
            if let input {
                // Written by us, not by swift-subprocess: its writer traps (a debug build's "was not
                // closed") when the program exits before it has read everything.
                let pipe = try FileDescriptor.pipe()
                // On a thread of its own: a blocking write must not hold one of the few threads async code runs on.
                DispatchQueue.global().async {
                    defer { try? pipe.writeEnd.close() }
                    // SIGPIPE is ignored (`configuration`), so EPIPE means the program exited without reading the rest: its exit status tells.
                    _ = try? pipe.writeEnd.writeAll(input)
                }
                return try await execute(configuration, input: .fileDescriptor(pipe.readEnd, closeAfterSpawningProcess: true), output: output)
            }
            return try await execute(configuration, input: .none, output: output)
        } catch let error as HangarError {
            throw error
        } catch {
            throw HangarError(.hostSpawn, "cannot run '\(arguments[0])': \(error)", cause: error)
        }
    }

    /// Runs a command that must succeed; a failure carries its stderr.
    @discardableResult
    public static func check(_ arguments: [String], input: Data? = nil, code: HangarError.Code = .hostCommand) async throws(HangarError) -> String {
        let result = try await run(arguments, input: input)
        guard result.status == 0 else {
            let detail = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            throw HangarError(code, "'\(arguments.prefix(3).joined(separator: " "))' failed (exit \(result.status)): \(detail)")
        }
        return result.stdout
    }

    /// The program, arguments, environment (this process's, with `environment` on top), folder and
    /// process options of a child.
    static func configuration(_ arguments: [String], environment: [String: String]?, directory: String?) throws(HangarError) -> Configuration {
        ignoreBrokenPipes
        var options = PlatformOptions()
        options.processGroupID = 0
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: stopGrace)]
        var overrides: [Environment.Key: String?] = [:]
        for name in withheld.withLock({ $0 }) { overrides.updateValue(nil, forKey: Environment.Key(stringLiteral: name)) }
        for (name, value) in environment ?? [:] { overrides[Environment.Key(stringLiteral: name)] = value }
        return Configuration(
            executable: .path(FilePath(try Tools.path(of: arguments[0]))),
            arguments: Arguments(Array(arguments.dropFirst())),
            environment: Environment.inherit.updating(overrides),
            workingDirectory: directory.map { FilePath($0) },
            platformOptions: options
        )
    }

    /// A child that exits while input is still being written must not kill this process with SIGPIPE:
    /// the write fails instead. Children get default signal dispositions back (swift-subprocess resets them).
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    private static func execute<Input: InputProtocol>(_ configuration: Configuration, input: Input, output: Output) async throws -> CommandResult {
        if case .inherit = output {
            let result = try await Subprocess.run(configuration, input: input, output: .currentStandardOutput, error: .currentStandardError)
            return CommandResult(status: result.terminationStatus.shellStatus, stdout: "", stderr: "")
        }
        let onLine: (@Sendable (String, Bool) -> Void)?
        if case .lines(let handler) = output { onLine = handler } else { onLine = nil }
        let result = try await Subprocess.run(configuration, input: input, output: .sequence, error: .sequence) { execution in
            // Read in a task of its own, which the caller's cancellation does not stop: the output
            // keeps arriving until the program exits after its SIGTERM.
            try await Task {
                async let stdout = OutputReader.read(execution.standardOutput, isError: false, onLine: onLine)
                async let stderr = OutputReader.read(execution.standardError, isError: true, onLine: onLine)
                return try await (stdout, stderr)
            }.value
        }
        let (stdout, stderr) = result.closureResult
        return CommandResult(status: result.terminationStatus.shellStatus, stdout: stdout, stderr: stderr)
    }
}

/// Collects one output stream and hands out whole lines as they arrive.
enum OutputReader {
    static func read(
        _ stream: SubprocessOutputSequence,
        isError: Bool,
        onLine: (@Sendable (String, Bool) -> Void)?
    ) async throws(HangarError) -> String {
        var data: [UInt8] = []
        var lineStart = 0
        do {
            for try await buffer in stream {
                let chunkStart = data.count
                buffer.withUnsafeBytes { data.append(contentsOf: $0) }
                guard let onLine else { continue }
                var position = chunkStart
                while let newline = data[position...].firstIndex(of: UInt8(ascii: "\n")) {
                    onLine(String(decoding: data[lineStart..<newline], as: UTF8.self), isError)
                    lineStart = newline + 1
                    position = lineStart
                }
            }
        } catch {
            // EINTR is retried below us; anything else fails this command, never the process.
            throw HangarError(.hostRead, "reading a program's \(isError ? "standard error" : "output") failed: \(error)", cause: error)
        }
        if lineStart < data.count { onLine?(String(decoding: data[lineStart...], as: UTF8.self), isError) }
        return String(decoding: data, as: UTF8.self)
    }
}

extension TerminationStatus {
    /// The status as a shell reports it: 128 + the signal number when a signal ended the program.
    var shellStatus: Int32 {
        switch self {
        case .exited(let code): return Int32(code)
        case .signaled(let signal): return 128 + Int32(signal)
        }
    }
}
