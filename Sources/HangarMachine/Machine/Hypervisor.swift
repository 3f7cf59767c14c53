public import HangarCore

/// What starts and stops machines and caches their images: the seam between a run's tasks (and the
/// warm pool) and this host. `Machines` is the real one (QEMU, one state folder each); handler and
/// pool tests use `FakeHypervisor` (HangarTestSupport), which keeps its machines in memory.
///
/// A boot or restore either returns a machine whose guest answers or leaves nothing behind.
public protocol Hypervisor: Sendable {
    /// Says a notice the user should see (fallbacks, a pool machine replaced).
    var notice: @Sendable (String) -> Void { get }

    /// `source` in the image cache, downloaded once per host (`ImageCache.fetch`).
    func fetch(_ source: ImageSource, offline: Bool) async throws(HangarError) -> CachedImage

    /// Boots `spec` as machine `id` and waits until its guest answers (`Machines.boot`).
    func boot(
        _ spec: MachineSpec,
        project: String,
        id: String,
        ephemeral: Bool,
        offline: Bool,
        diagnostics: String,
        cached: [String: CachedImage],
        preparation: String
    ) async throws(HangarError) -> MachineRecord

    /// Stops the machine and removes what it left; never fails.
    func destroy(_ record: MachineRecord) async

    /// Where the snapshot of `spec` prepared by `preparation` is kept.
    func snapshotFolder(_ spec: MachineSpec, preparation: String, offline: Bool, cached: [String: CachedImage]) async throws(HangarError) -> String

    /// Whether a snapshot is saved in `folder`.
    func hasSnapshot(in folder: String) -> Bool

    /// Saves `record` as the snapshot in `folder` unless one is there; throws only when cancelled.
    func saveSnapshot(of record: MachineRecord, in folder: String) async throws(HangarError)

    /// `spec` restored from the snapshot in `folder` as the throwaway machine `id`.
    func restore(_ spec: MachineSpec, fromSnapshotIn folder: String, project: String, id: String) async throws(HangarError) -> MachineRecord

    /// Makes each `link` a symbolic link to its `target`: the wires of a job's private network
    /// (`PrivateNetwork.wiring`); one already right is left as it is.
    func link(_ wiring: [(link: String, target: String)]) throws(HangarError)

    /// Whether the machine is still up and its guest answers within a few seconds.
    func answers(_ record: MachineRecord) async -> Bool

    /// Removes the snapshots not restored for `unusedFor` (all when nil) that no running machine uses.
    func pruneSnapshots(unusedFor: Duration?) -> [Snapshots.Entry]
}
