import Foundation
import HangarCore

/// A QEMU process this Hangar started, in its own process group, so Ctrl-C in the terminal does
/// not reach it and it outlives `hangar up`. Hangar keeps the pid itself rather than trusting
/// QEMU's `-pidfile`, which QEMU 7.2 deletes when daemonized.
struct LaunchedQEMU: Sendable {
    let process: BackgroundProcess
    var pid: Int32 { process.pid }

    static func start(_ plan: MachinePlan) async throws(HangarError) -> LaunchedQEMU {
        do {
            return LaunchedQEMU(process: try await Command.start(QEMUCommand.arguments(for: plan), log: "\(plan.folder)/qemu.log"))
        } catch {
            throw HangarError(.machineStart, "cannot start QEMU: \(error.message)", cause: error)
        }
    }

    var isRunning: Bool { process.isRunning }

    func kill() async { await process.stop() }
}
