import ArgumentParser
import Foundation
import HangarCore
import HangarEngine
import HangarMachine

struct Destroy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop a machine and remove its overlay and state.")

    @OptionGroup var options: MachineOptions

    @Flag(help: "Every machine of this project, stale ones and leftover 'run' machines included.")
    var all = false

    func run() async throws {
        let names = try await options.project.workspace().destroy(machine: options.machine, all: all)
        print(names.isEmpty ? "nothing to destroy" : "destroyed \(names.joined(separator: ", "))")
    }
}
