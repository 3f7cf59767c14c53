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
    /// Ready machines by the snapshot they were restored from.
    private var ready: [String: [MachineRecord]] = [:] {
        didSet { readyCount.withLock { $0 = ready.values.reduce(0) { $0 + $1.count } } }
    }
    /// The restores in progress, by snapshot folder.
    private var filling: [String: Task<Void, Never>] = [:]
    private var draining = false

    public init(machines: any Hypervisor) { self.machines = machines }

    /// A ready machine restored from the snapshot in `folder` that answers; nil when there is none.
    public func take(from folder: String) async -> MachineRecord? {
        while let record = ready[folder]?.first {
            ready[folder]?.removeFirst()
            if await machines.answers(record) { return record }
            machines.notice("pool machine \(record.id) failed its health check; destroying it")
            await machines.destroy(record)
        }
        return nil
    }

    /// Restores machines of `spec` from the snapshot in `folder`, in the background, until `count`
    /// are ready. Does nothing while the snapshot is not saved yet.
    public func refill(_ spec: MachineSpec, from folder: String, count: Int) {
        guard !draining, count > 0, filling[folder] == nil, machines.hasSnapshot(in: folder) else { return }
        filling[folder] = Task { await fill(spec, from: folder, count: count) }
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

    private func fill(_ spec: MachineSpec, from folder: String, count: Int) async {
        defer { filling[folder] = nil }
        while !draining, ready[folder, default: []].count < count, machines.hasSnapshot(in: folder) {
            let id = "pool-\(spec.name)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
            do {
                let record = try await machines.restore(spec, fromSnapshotIn: folder, project: "pool", id: id)
                guard !draining else { return await machines.destroy(record) }
                ready[folder, default: []].append(record)
                machines.notice("pool: machine \(id) is ready")
            } catch {
                machines.notice("pool: cannot restore machine '\(spec.name)' from its snapshot: \(error.message)")
                return
            }
        }
    }
}
