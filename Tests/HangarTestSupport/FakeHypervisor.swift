public import HangarCore
public import HangarMachine
import Synchronization

import struct Foundation.Date

/// A hypervisor for handler and pool tests: machines and snapshots in memory, images from a table.
/// Honest where it matters: a state folder id that runs is refused as `Machines` refuses it, a
/// restore needs a saved snapshot, a second save of one snapshot keeps the first, a destroyed
/// machine no longer answers, and a prune keeps the snapshots running machines came from.
public final class FakeHypervisor: Hypervisor {
    private struct State {
        var images: [String: Result<CachedImage, HangarError>] = [:]
        var running: [String: MachineRecord] = [:]
        var booted: [Boot] = []
        var destroyed: [String] = []
        var snapshots: [String: (machine: String, saved: Date)] = [:]
        var saves = 0
        var links: [String: String] = [:]
        var bootFailure: HangarError?
        var restoreFailure: HangarError?
        var silent: Set<String> = []
        var notices: [String] = []
    }

    /// What a boot was asked for.
    public struct Boot: Sendable {
        public var id: String
        public var machine: String
        public var ephemeral: Bool
        /// The images it was handed already fetched, by name.
        public var cached: [String]
        public var preparation: String
    }

    private let state = Mutex(State())
    public let root: String

    /// Machines whose state folders are under `root` (nothing is written there).
    public init(root: String = "/fake") { self.root = root }

    public var notice: @Sendable (String) -> Void { { [self] text in self.state.withLock { $0.notices.append(text) } } }

    /// The image `fetch` returns for `source` (by its name), or the error it throws.
    public func image(_ source: String, _ result: Result<CachedImage, HangarError>) { state.withLock { $0.images[source] = result } }
    /// The next boot fails with `error`.
    public func failNextBoot(_ error: HangarError) { state.withLock { $0.bootFailure = error } }
    /// Every restore fails with `error` from now on.
    public func failRestores(_ error: HangarError) { state.withLock { $0.restoreFailure = error } }
    /// The running machine `id` stops answering (its health check fails).
    public func silence(_ id: String) { state.withLock { _ = $0.silent.insert(id) } }

    /// The boots asked for, in order.
    public var boots: [Boot] { state.withLock { $0.booted } }
    /// The ids of the running machines.
    public var runningIDs: Set<String> { state.withLock { Set($0.running.keys) } }
    /// The ids of the destroyed machines, in order.
    public var destroyedIDs: [String] { state.withLock { $0.destroyed } }
    /// The private network's wires made: each link and its target.
    public var links: [String: String] { state.withLock { $0.links } }
    /// How many snapshots were saved.
    public var saves: Int { state.withLock { $0.saves } }
    /// What the user was told.
    public var notices: [String] { state.withLock { $0.notices } }

    public func fetch(_ source: ImageSource, offline: Bool) async throws(HangarError) -> CachedImage {
        let result = state.withLock { $0.images[source.displayName] }
        guard let result else {
            throw HangarError(offline ? .imageNotCached : .imageUnreachable, "\(source.displayName) is not in the fake's table")
        }
        return try result.get()
    }

    public func boot(
        _ spec: MachineSpec,
        project: String,
        id: String,
        ephemeral: Bool,
        offline: Bool,
        diagnostics: String,
        cached: [String: CachedImage],
        preparation: String
    ) async throws(HangarError) -> MachineRecord {
        var record = MachineRecord.scripted(folder: "\(root)/\(id)", id: id, name: spec.name, project: project, ephemeral: ephemeral)
        record.network = spec.network
        let boot = Boot(id: id, machine: spec.name, ephemeral: ephemeral, cached: cached.keys.sorted(), preparation: preparation)
        try state.withLock { [record] state throws(HangarError) in
            guard state.running[id] == nil else {
                throw .usage(.machineRunning, "machine '\(spec.name)' is already running (pid 0)")
            }
            state.booted.append(boot)
            if let failure = state.bootFailure {
                state.bootFailure = nil
                throw failure
            }
            state.running[id] = record
        }
        return record
    }

    public func destroy(_ record: MachineRecord) async {
        state.withLock { state in
            if state.running.removeValue(forKey: record.id) != nil { state.destroyed.append(record.id) }
        }
    }

    public func snapshotFolder(
        _ spec: MachineSpec,
        preparation: String,
        offline: Bool,
        cached: [String: CachedImage]
    ) async throws(HangarError) -> String {
        "\(root)/snapshots/\(spec.name)-\(preparation.utf8.count)"
    }

    public func hasSnapshot(in folder: String) -> Bool { state.withLock { $0.snapshots[folder] != nil } }

    public func saveSnapshot(of record: MachineRecord, in folder: String) async throws(HangarError) {
        state.withLock { state in
            guard state.snapshots[folder] == nil else { return }
            state.snapshots[folder] = (record.name, Date())
            state.saves += 1
        }
        if Task.isCancelled { throw HangarError(.runCancelled, "cancelled while saving machine '\(record.name)'") }
    }

    public func restore(_ spec: MachineSpec, fromSnapshotIn folder: String, project: String, id: String) async throws(HangarError) -> MachineRecord {
        var record = MachineRecord.scripted(folder: "\(root)/\(id)", id: id, name: spec.name, project: project, ephemeral: true)
        record.restoredFrom = folder
        try state.withLock { [record] state throws(HangarError) in
            if let failure = state.restoreFailure { throw failure }
            guard state.snapshots[folder] != nil else { throw HangarError(.machineRestore, "there is no snapshot in \(folder)") }
            guard state.running[id] == nil else { throw .usage(.machineRunning, "machine '\(spec.name)' is already running (pid 0)") }
            state.running[id] = record
        }
        return record
    }

    public func link(_ wiring: [(link: String, target: String)]) throws(HangarError) {
        state.withLock { state in for (link, target) in wiring { state.links[link] = target } }
    }

    public func answers(_ record: MachineRecord) async -> Bool {
        state.withLock { $0.running[record.id] != nil && !$0.silent.contains(record.id) }
    }

    public func pruneSnapshots(unusedFor: Duration?) -> [Snapshots.Entry] {
        state.withLock { state in
            let inUse = Set(state.running.values.compactMap(\.restoredFrom))
            let unused = { (created: Date) in unusedFor.map { Date().timeIntervalSince(created) >= Double($0.components.seconds) } ?? true }
            let gone = state.snapshots.filter { !inUse.contains($0.key) && unused($0.value.saved) }.sorted { $0.key < $1.key }
            for (folder, _) in gone { state.snapshots[folder] = nil }
            return gone.map { folder, snapshot in
                let key = String(folder.split(separator: "/").last ?? "")
                return Snapshots.Entry(
                    key: key,
                    folder: folder,
                    machine: snapshot.machine,
                    image: "",
                    size: 0,
                    created: snapshot.saved,
                    lastUsed: snapshot.saved
                )
            }
        }
    }
}
