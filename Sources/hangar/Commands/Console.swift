import ArgumentParser
import Foundation
import HangarCore
import HangarEngine
import HangarMachine

struct Console: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the machine's serial console log.")

    @OptionGroup var options: MachineOptions

    @Flag(name: [.customShort("F"), .long], help: "Keep printing new output until the machine stops (Ctrl-C to stop).")
    var follow = false

    func run() async throws {
        let workspace = try options.project.workspace()
        let spec = try workspace.machineSpec(options.machine)
        guard let record = workspace.machines.registry.record(id: workspace.machineID(spec.name)),
            let file = FileHandle(forReadingAtPath: record.serialLog)
        else { throw ValidationError("machine '\(spec.name)' has no console log; start it with 'hangar up'") }
        _ = await Poll.until(every: .milliseconds(200)) {
            FileHandle.standardOutput.write(file.readDataToEndOfFile())
            return !follow || !MachineRegistry.isAlive(record)
        }
    }
}
