import Foundation
import HangarCore

/// A QEMU process this Hangar started. Foundation's `Process` puts it in its own process group, so
/// Ctrl-C in the terminal does not reach it and it outlives `hangar up`. Hangar keeps the pid itself
/// rather than trusting QEMU's `-pidfile`, which QEMU 7.2 deletes when daemonized.
struct LaunchedQEMU: Sendable {
    let pid: Int32
    private let process: ProcessBox

    static func start(_ plan: MachinePlan) throws(HangarError) -> LaunchedQEMU {
        let arguments = QEMUCommand.arguments(for: plan)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Tools.path(of: arguments[0]))
        process.arguments = Array(arguments.dropFirst())
        let logPath = "\(plan.folder)/qemu.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        do {
            try process.runUnblocked()
        } catch {
            throw HangarError("machine.start", "cannot start QEMU: \(error.localizedDescription)")
        }
        try? log?.close()
        return LaunchedQEMU(pid: process.processIdentifier, process: ProcessBox(process))
    }

    var isRunning: Bool { process.process.isRunning }

    func kill() {
        guard isRunning else { return }
        process.process.terminate()
        process.process.waitUntilExit()
    }
}

/// `Process` is thread-safe for the calls made here but not annotated `Sendable`.
final class ProcessBox: @unchecked Sendable {
    let process: Process
    init(_ process: Process) { self.process = process }
}
