import ArgumentParser
import Foundation
import HangarCore
import HangarEngine
import HangarMachine

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Boot a throwaway machine, run a job, destroy the machine.",
        discussion:
            "A job with a matrix runs once per cell, one after another (--cell NAME for one; --param NAME=VALUE picks the cells with that value), and exits with the worst outcome. Exit status: 0 passed, 1 failed, 2 error (image, boot, SSH), 3 timed out, 64 a mistake in hangar.yml or the command line, 130 cancelled."
    )

    @OptionGroup var project: ProjectOptions

    @Argument(help: "The job to run.")
    var job: String

    @OptionGroup var parameters: ParameterOptions

    @Flag(help: "Use cached images only; fail clearly when one is not cached.")
    var offline = false

    @Option(help: "Of a job with a matrix, run only this cell (such as debian-12/selinux).")
    var cell: String?

    func run() async throws {
        let workspace = try project.workspace()
        let values = try parameters.values()
        let cells = try MatrixCells.pick(of: try workspace.project.job(named: job), given: values, only: cell)
        var outcomes: [(cell: String, status: RunStatus)] = []
        for (index, cell) in cells.enumerated() {
            if cells.count > 1 { Terminal.printError("==> cell \(cell.name) (\(index + 1) of \(cells.count))") }
            let result = try await once(workspace, parameters: values.merging(cell.parameters) { $1 })
            outcomes.append((cell.name, result.status))
            // Ctrl-C stops the cells still to come too.
            if result.status == .cancelled { break }
        }
        if cells.count > 1 {
            Terminal.printError("matrix of \(cells.count) cells:")
            for outcome in outcomes { Terminal.printError("  \(outcome.cell): \(outcome.status.rawValue)") }
            for cell in cells.dropFirst(outcomes.count) { Terminal.printError("  \(cell.name): not run") }
        }
        throw RunPrinter.exitCode(RunStatus.worst(of: outcomes.map(\.status)))
    }

    /// One run of the job with `parameters`, printed as it goes.
    private func once(_ workspace: Workspace, parameters: [String: String]) async throws -> RunResult {
        let (job, offline) = (job, offline)
        let result = try await RunPrinter.cancellable {
            try await workspace.run(job: job, parameters: parameters, offline: offline, emit: RunPrinter.print)
        }
        if let error = result.error { Terminal.printError("hangar: \(error)") }
        Terminal.printError(
            "run \(result.status.rawValue) in \(DurationText.format(result.duration))" + (result.folder.map { "; log and artifacts in \($0)" } ?? "")
        )
        return result
    }
}
