public import HangarCore
import HangarMachine

/// `snapshots.prune`: removes the saved machines (`snapshot: true`) not used for a while, on every
/// online worker (`Placement.everyWorker`) — each keeps its own. A maintenance job with a `cron:`
/// trigger keeps a fleet's disks in check; `hangar snapshots prune` does the same on one host.
public struct SnapshotsPrune: Handler {
    public static let name = "snapshots.prune"
    public static let summary = "Remove the snapshots not used for a while, on every worker."
    public static let options = [
        OptionDoc("unused-for", "duration", default: "7d", "Remove only snapshots not restored for this long.")
    ]
    public static var needsMachine: Bool { false }
    public static var placement: Placement { .everyWorker }

    let unusedFor: Duration

    public init(options: OptionReader) throws(HangarError) {
        unusedFor = try options["unused-for"]?.duration() ?? .seconds(7 * 86_400)
    }

    public func execute(_ context: TaskContext) async throws(HangarError) {
        let removed = context.machines.pruneSnapshots(unusedFor: unusedFor)
        for entry in removed { context.emit(.output("removed snapshot \(entry.key) of machine \(entry.machine)", isError: false)) }
        let bytes = removed.reduce(0) { $0 + $1.size }
        context.emit(.output("removed \(removed.count) snapshot(s), \(bytes / 1_048_576) MiB", isError: false))
    }
}
