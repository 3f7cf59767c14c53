import ArgumentParser
import Foundation
import HangarCore
import HangarEngine
import HangarMachine

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Boot a throwaway machine, run a job, destroy the machine.",
        discussion:
            "Exit status: 0 passed, 1 failed, 2 error (image, boot, SSH), 3 timed out, 64 a mistake in hangar.yml or the command line, 130 cancelled."
    )

    @OptionGroup var project: ProjectOptions

    @Argument(help: "The job to run.")
    var job: String

    @OptionGroup var parameters: ParameterOptions

    @Flag(help: "Use cached images only; fail clearly when one is not cached.")
    var offline = false

    func run() async throws {
        let workspace = try project.workspace()
        let job = job
        let offline = offline
        let values = try parameters.values()
        let result = try await RunPrinter.cancellable {
            try await workspace.run(job: job, parameters: values, offline: offline, emit: RunPrinter.print)
        }
        if let error = result.error { Terminal.printError("hangar: \(error)") }
        Terminal.printError(
            "run \(result.status.rawValue) in \(DurationText.format(result.duration))" + (result.folder.map { "; log and artifacts in \($0)" } ?? "")
        )
        throw RunPrinter.exitCode(result)
    }
}
