public import Foundation
public import HangarCore
public import Synchronization

/// `pool: N` on a machine (server mode): this worker keeps N machines restored from the machine's
/// snapshot ready, so a run starts on one at once while another is restored behind it.
///
/// The pool fills after the first run of a machine on this worker (that run saves the snapshot, or
/// finds it): it learns which machines to keep ready from the runs it is given, so the embedded
/// worker and remote ones need nothing more from the coordinator. A machine is checked before it is
/// handed out (its QEMU alive, `true` over SSH within 5 s); one that fails is destroyed and replaced.
/// Pool machines take the host's memory like any machine, so a worker short of memory takes fewer
/// runs. `drain` destroys them all (the worker's shutdown); a worker that restarts after a crash
/// destroys them with the other machines its last life left (they are ephemeral).
public actor WarmPool {
    let machines: any Hypervisor
    /// How many machines are ready, readable without waiting for the actor (a worker's status).
    public nonisolated let readyCount = Mutex(0)
    /// Ready machines by the snapshot they were restored from (and their network's shape: `key`).
    private var ready: [String: [MachineRecord]] = [:] {
        didSet { readyCount.withLock { $0 = ready.values.reduce(0) { $0 + $1.count } } }
    }
    /// The restores in progress, by `key`.
    private var filling: [String: Task<Void, Never>] = [:]
    private var draining = false

    public init(machines: any Hypervisor) { self.machines = machines }

    /// Where ready machines of `spec` restored from `folder` wait: a machine on a job's private
    /// network has that network's shape (its place, its links) from the restore on.
    static func key(_ spec: MachineSpec, _ folder: String) -> String {
        guard let network = spec.network else { return folder }
        return "\(folder) #\(network.index)/\(network.links.count)"
    }

    /// A ready machine of `spec` restored from the snapshot in `folder` that answers; nil when there is none.
    public func take(_ spec: MachineSpec, from folder: String) async -> MachineRecord? {
        let key = Self.key(spec, folder)
        while let record = ready[key]?.first {
            ready[key]?.removeFirst()
            if await machines.answers(record) { return record }
            machines.notice("pool machine \(record.id) failed its health check; destroying it")
            await machines.destroy(record)
        }
        return nil
    }

    /// Restores machines of `spec` from the snapshot in `folder`, in the background, until `count`
    /// are ready. Does nothing while the snapshot is not saved yet.
    public func refill(_ spec: MachineSpec, from folder: String, count: Int) {
        let key = Self.key(spec, folder)
        guard !draining, count > 0, filling[key] == nil, machines.hasSnapshot(in: folder) else { return }
        filling[key] = Task { await fill(spec, from: folder, key: key, count: count) }
    }

    /// Returns once the restores in progress ended.
    public func settled() async {
        while let fill = filling.values.first { await fill.value }
    }

    /// Stops filling (a restore in progress is cancelled: it leaves nothing) and destroys every ready machine.
    public func drain() async {
        draining = true
        for fill in filling.values {
            fill.cancel()
            await fill.value
        }
        let all = ready.values.flatMap { $0 }
        ready = [:]
        for record in all { await machines.destroy(record) }
    }

    private func fill(_ spec: MachineSpec, from folder: String, key: String, count: Int) async {
        defer { filling[key] = nil }
        while !draining, ready[key, default: []].count < count, machines.hasSnapshot(in: folder) {
            let id = "pool-\(spec.name)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
            do {
                let record = try await machines.restore(spec, fromSnapshotIn: folder, project: "pool", id: id)
                guard !draining else { return await machines.destroy(record) }
                ready[key, default: []].append(record)
                machines.notice("pool: machine \(id) is ready")
            } catch {
                machines.notice("pool: cannot restore machine '\(spec.name)' from its snapshot: \(error.message)")
                return
            }
        }
    }
}
