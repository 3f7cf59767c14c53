public import HangarCore
import HangarMachine

/// `machine.destroy`: stops the job's machine now and removes its state (overlay, logs, keys).
public struct MachineDestroy: Handler {
    public static let name = "machine.destroy"
    public static let summary = "Stop the job's machine now and remove its overlay and state."
    public static let options: [OptionDoc] = []

    public init(options: OptionReader) throws(HangarError) {}

    public func execute(_ context: TaskContext) async throws(HangarError) {
        let record = try context.machine()
        await context.machines.destroy(record)
        context[.machine] = nil
    }
}
