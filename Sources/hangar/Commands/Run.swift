import ArgumentParser
import Foundation
import HangarCore
import HangarEngine
import HangarMachine

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Boot a throwaway machine, run a job, destroy the machine.",
        discussion:
            "A job with a matrix runs once per cell, one after another or --parallel N at once (--cell NAME for one; --param NAME=VALUE picks the cells with that value), and exits with the worst outcome. Exit status: 0 passed, 1 failed, 2 error (image, boot, SSH), 3 timed out, 64 a mistake in hangar.yml or the command line, 130 cancelled."
    )

    @OptionGroup var project: ProjectOptions

    @Argument(help: "The job to run.")
    var job: String

    @OptionGroup var parameters: ParameterOptions

    @Flag(help: "Use cached images only; fail clearly when one is not cached.")
    var offline = false

    @Option(help: "Of a job with a matrix, run only this cell (such as debian-12/selinux).")
    var cell: String?

    @Option(help: "Of a job with a matrix, how many cells run at once (each line then starts with its cell's name).")
    var parallel = 1

    func validate() throws {
        guard parallel >= 1 else { throw ValidationError("--parallel \(parallel) is not a number of cells at once; give 1 or more") }
    }

    func run() async throws {
        let workspace = try project.workspace()
        let values = try parameters.values()
        let cells = try workspace.project.job(named: job).cells(given: values, only: cell)
        let statuses = try await RunPrinter.cancellable { [self] in try await run(cells, in: workspace, given: values) }
        if cells.count > 1 {
            Terminal.printError("matrix of \(cells.count) cells:")
            for (cell, status) in zip(cells, statuses) { Terminal.printError("  \(cell.name): \(status?.rawValue ?? "not run")") }
        }
        throw RunPrinter.exitCode(RunStatus.worst(of: statuses.compactMap { $0 }))
    }

    /// Runs `cells`, `parallel` at a time; each one's outcome, in order (nil: not run, because a run
    /// was cancelled — Ctrl-C stops the cells still to come too).
    private func run(_ cells: [JobMatrix.Cell], in workspace: Workspace, given values: [String: String]) async throws -> [RunStatus?] {
        try await withThrowingTaskGroup(of: (Int, RunStatus).self) { group in
            var statuses = [RunStatus?](repeating: nil, count: cells.count)
            var next = 0
            var stopped = false
            while true {
                while !stopped, next < cells.count, next - statuses.compactMap({ $0 }).count < parallel {
                    let (index, cell) = (next, cells[next])
                    group.addTask { (index, try await once(workspace, cell: cell, index: index, of: cells.count, given: values)) }
                    next += 1
                }
                guard let (index, status) = try await group.next() else { break }
                statuses[index] = status
                if status == .cancelled || Task.isCancelled { stopped = true }
            }
            return statuses
        }
    }

    /// One run of the job in `cell`, printed as it goes (each line after the cell's name when cells
    /// run at once, else under a `==> cell` line).
    private func once(
        _ workspace: Workspace,
        cell: JobMatrix.Cell,
        index: Int,
        of count: Int,
        given values: [String: String]
    ) async throws
        -> RunStatus
    {
        let prefix = parallel > 1 && count > 1 ? "[\(cell.name)] " : ""
        if count > 1, prefix.isEmpty { Terminal.printError("==> cell \(cell.name) (\(index + 1) of \(count))") }
        let parameters = values.merging(cell.parameters) { $1 }
        let result = try await workspace.run(job: job, parameters: parameters, offline: offline, emit: RunPrinter.printer(prefix: prefix))
        if let error = result.error { Terminal.printError("\(prefix)hangar: \(error)") }
        Terminal.printError(
            "\(prefix)run \(result.status.rawValue) in \(DurationText.format(result.duration))"
                + (result.folder.map { "; log and artifacts in \($0)" } ?? "")
        )
        if !result.measurements.isEmpty {
            Terminal.printError("\(prefix)measured: \(result.measurements.map(\.description).joined(separator: ", "))")
        }
        return result.status
    }
}
