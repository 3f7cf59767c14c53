public import Foundation
public import HangarCore

/// The result of a finished command.
public struct CommandResult: Sendable {
    /// The exit status (128 + signal number when killed by a signal).
    public var status: Int32
    /// Everything it wrote to standard output.
    public var stdout: String
    /// Everything it wrote to standard error.
    public var stderr: String
}

/// Runs host programs. Cancelling the calling task terminates the program.
public enum Command {
    /// Where a child's output goes.
    public enum Output: Sendable {
        /// Collected into the result.
        case capture
        /// Passed through to this process's own stdout/stderr.
        case inherit
        /// Each line handed to the closure as it arrives (`true` for stderr).
        case lines(@Sendable (String, _ isError: Bool) -> Void)
    }

    /// Runs `arguments[0]` (looked up in PATH) to completion.
    public static func run(
        _ arguments: [String],
        input: Data? = nil,
        output: Output = .capture,
        environment: [String: String]? = nil,
        directory: String? = nil
    ) async throws(HangarError) -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Tools.path(of: arguments[0]))
        process.arguments = Array(arguments.dropFirst())
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        let collectors: [OutputCollector]
        switch output {
        case .inherit:
            process.standardOutput = FileHandle.standardOutput
            process.standardError = FileHandle.standardError
            collectors = []
        case .capture, .lines:
            var lineHandler: (@Sendable (String, Bool) -> Void)?
            if case .lines(let handler) = output { lineHandler = handler }
            collectors = [OutputCollector(isError: false, onLine: lineHandler), OutputCollector(isError: true, onLine: lineHandler)]
            process.standardOutput = collectors[0].pipe
            process.standardError = collectors[1].pipe
        }
        let status = try await runToExit(process, input: input, stdin: stdin, name: arguments[0])
        // A cancelled program may leave its pipes to someone else (an ssh ControlMaster holds a killed
        // client's stdout until the remote command ends): then take what arrived within a second.
        let grace: DispatchTime = Task.isCancelled ? .now() + 1 : .distantFuture
        let texts = collectors.map { $0.finish(before: grace) }
        return CommandResult(status: status, stdout: texts.first ?? "", stderr: texts.last ?? "")
    }

    /// Runs a command that must succeed; a failure carries its stderr.
    @discardableResult
    public static func check(_ arguments: [String], input: Data? = nil, code: String = "host.command") async throws(HangarError) -> String {
        let result = try await run(arguments, input: input)
        guard result.status == 0 else {
            let detail = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            throw HangarError(code, "'\(arguments.prefix(3).joined(separator: " "))' failed (exit \(result.status)): \(detail)")
        }
        return result.stdout
    }

    private static func runToExit(_ process: Process, input: Data?, stdin: Pipe, name: String) async throws(HangarError) -> Int32 {
        let exit = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { exit.continuation.yield($0.exitStatus) }
        do {
            try process.runUnblocked()
        } catch {
            throw HangarError("host.spawn", "cannot start '\(name)': \(error.localizedDescription)")
        }
        if let input {
            let handle = stdin.fileHandleForWriting
            Thread.detachNewThread {
                try? handle.write(contentsOf: input)
                try? handle.close()
            }
        }
        let pid = process.processIdentifier
        let box = ProcessBox(process)
        return await withTaskCancellationHandler {
            var iterator = exit.stream.makeAsyncIterator()
            if let status = await iterator.next() { return status }
            // Cancelled: the group got SIGTERM above; wait for the exit itself, so nothing outlives the call.
            box.process.waitUntilExit()
            return box.process.exitStatus
        } onCancel: {
            // The whole process group (Foundation gives each child its own): a shell's children too,
            // or they would keep the output pipes open.
            kill(-pid, SIGTERM)
        }
    }
}

/// Reads one pipe on its own thread until EOF, keeping the text and handing out whole lines.
final class OutputCollector: @unchecked Sendable {
    let pipe = Pipe()
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var data = Data()

    init(isError: Bool, onLine: (@Sendable (String, Bool) -> Void)?) {
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { data.append(chunk) }
                guard let onLine else { continue }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    onLine(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self), isError)
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            if !pending.isEmpty { onLine?(String(decoding: pending, as: UTF8.self), isError) }
            done.signal()
        }
    }

    /// Waits for EOF, or until `deadline`, and returns everything read.
    func finish(before deadline: DispatchTime) -> String {
        // Our copy of the write end must be closed, or EOF never comes.
        try? pipe.fileHandleForWriting.close()
        _ = done.wait(timeout: deadline)
        return lock.withLock { String(decoding: data, as: UTF8.self) }
    }
}

extension Process {
    /// The exit status as a shell reports it: 128 + the signal number when a signal ended it.
    var exitStatus: Int32 { terminationStatus + (terminationReason == .uncaughtSignal ? 128 : 0) }
}
