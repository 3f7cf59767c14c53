public import HangarCore
import HangarMachine

/// The step after a job's `prepare:` tasks: with `snapshot: true`, saves the machine they prepared,
/// so later runs restore it and skip them. A machine that was itself restored is not saved again.
/// Not a handler a task can name: the job's plan adds it.
public struct SaveSnapshot: Handler {
    public static let name = "machine.snapshot"
    public static let summary = "Save the prepared machine as its snapshot (with 'snapshot: true')."
    public static let options: [OptionDoc] = []

    let preparation: String

    public init(preparation: String) { self.preparation = preparation }

    public init(options: OptionReader) throws(HangarError) {
        throw .usage(.configHandler, "'\(Self.name)' is added after 'prepare:' tasks; it is not a task of its own", at: options.location)
    }

    public func execute(_ context: TaskContext) async throws(HangarError) {
        guard context.machineSpec.snapshot, let record = context[.machine], record.restoredFrom == nil else { return }
        let folder = try await context.machines.snapshotFolder(
            context.machineSpec,
            preparation: preparation,
            offline: context.offline,
            cached: MachineBoot.cachedImages(context)
        )
        try await context.machines.saveSnapshot(of: record, in: folder)
        await context.pool?.refill(context.machineSpec, from: folder, count: context.machineSpec.pool)
    }
}
