import ArgumentParser
import Foundation
import HangarCore
import HangarEngine
import HangarMachine

struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Boot the machine (image cached), wait for SSH, run a job's tasks, leave it running.",
        discussion:
            "JOB defaults to the job named 'default' if there is one; without it, 'up' only boots. Of a job with a matrix, 'up' runs one cell: pick it with --cell or --param."
    )

    @OptionGroup var project: ProjectOptions

    @Argument(help: "The job whose tasks to run after booting.")
    var job: String?

    @Option(help: "The machine to boot, when the project has several.")
    var machine: String?

    @OptionGroup var parameters: ParameterOptions

    @Option(help: "Of a job with a matrix, the cell to run (such as debian-12/selinux).")
    var cell: String?

    @Flag(help: "Use cached images only; fail clearly when one is not cached.")
    var offline = false

    func run() async throws {
        let workspace = try project.workspace()
        let job = job ?? (workspace.project.jobs.contains { $0.name == "default" } ? "default" : nil)
        let (machine, offline) = (machine, offline)
        var values = try parameters.values()
        if let job, let spec = try? workspace.project.job(named: job) {
            let cells = try spec.cells(given: values, only: cell)
            guard cells.count == 1 else {
                throw HangarError.usage(
                    .jobUnknownCell,
                    "job '\(job)' is a matrix of \(cells.count) cells here; 'up' runs one: pick it with --cell",
                    hint: "its cells: \(cells.map(\.name).joined(separator: ", "))"
                )
            }
            values.merge(cells[0].parameters) { $1 }
        }
        let given = values
        let result = try await RunPrinter.cancellable {
            try await workspace.up(job: job, machine: machine, parameters: given, offline: offline, emit: RunPrinter.print)
        }
        if let error = result.error { Terminal.printError("hangar: \(error)") }
        guard result.status == .passed else { throw RunPrinter.exitCode(result) }
        let specs = try workspace.upMachines(job: job, machine: machine)
        for spec in specs {
            let record = try workspace.running(spec.name)
            let login = specs.count > 1 ? "'hangar ssh \(record.name)'" : "'hangar ssh'"
            let address = record.network.map { ", \($0.address) on their private network" } ?? ""
            Terminal.printError("machine '\(record.name)' is up (\(record.accel)\(address)); \(login) logs in, 'hangar destroy' removes it")
            for port in record.ports { Terminal.printError("  port 127.0.0.1:\(port.host) -> guest \(port.guest)") }
        }
    }
}
