import Foundation
import HangarAPI
import HangarCore
import HangarStore
import Hummingbird

/// What the API and the web UI do to kept machines (`keep:`): list, extend, destroy. The worker
/// that has them up hears of a change at its next heartbeat to this replica (others look within
/// `HeartbeatCache.refresh`).
struct KeptControl: Sendable {
    let store: RunStore
    let beats: HeartbeatCache

    /// The kept machines that are up, and the ones destroyed in the last day. Ones whose worker is
    /// offline are marked lost, and destroyed here when their time ran out (their worker, silent,
    /// does not ask).
    func list() async throws -> [API.Kept] {
        var list: [API.Kept] = []
        let workers = try await store.workers(seenWithin: WorkerList.remembered)
        for var stored in try await store.keptMachines(destroyedSince: store.time() - 86_400) {
            let lost = lost(stored, workers: workers)
            if lost != nil, stored.record.state == .kept, store.time() >= stored.record.until,
                let (after, _) = try await store.changeKept(run: stored.run, .expired)
            {
                stored = after
            }
            var entry = try API.Kept(stored)
            if entry.state == .kept {
                entry.lost = lost
                entry.tunnels = try await store.tunnels(run: stored.run).map(API.Tunnel.init)
            }
            list.append(entry)
        }
        return list
    }

    /// Why `kept`'s machines may be lost: their worker is offline; nil while it is online.
    func lost(_ kept: StoredKept) async throws -> String? {
        lost(kept, workers: try await store.workers(seenWithin: WorkerList.remembered))
    }

    /// `lost` with the workers seen within `WorkerList.remembered` already read (a list of many).
    private func lost(_ kept: StoredKept, workers: [String: StoredWorker]) -> String? {
        guard let worker = workers[kept.worker] else { return "worker \(kept.worker) has not been heard from in a day" }
        guard worker.stopped || store.time() - worker.lastSeen > WorkerList.onlineWithin else { return nil }
        return "worker \(kept.worker) is offline (\(worker.stopped ? "it stopped" : "last heard from") at \(KeptLifecycle.text(worker.lastSeen))): "
            + "they are out of reach, and gone unless it comes back with them"
    }

    /// Run `id`'s kept machines (404 when it kept none).
    func kept(_ id: Int) async throws -> StoredKept {
        guard let kept = try await store.kept(run: id) else { throw HTTPError(.notFound, message: "run \(id) kept no machines") }
        return kept
    }

    /// 403 unless `caller` may change `kept` or open tunnels to them: its owner, or an admin.
    func checkOwner(_ kept: StoredKept, caller: String?, role: Role?) throws {
        guard role == .admin || (caller != nil && kept.owner == caller) else {
            let whose = kept.owner.map { "\($0)'s" } ?? "kept by its job"
            throw HTTPError(
                .forbidden,
                message: "run \(kept.run)'s machines are \(whose): only \(kept.owner == nil ? "" : "their owner and ")admins use them"
            )
        }
    }

    /// Applies `event` to run `id`'s kept machines for `caller`: operators change their own,
    /// admins any (403); 409 when they were destroyed.
    func change(_ id: Int, _ event: KeptLifecycle.Event, caller: String?, role: Role?) async throws -> API.Kept {
        guard let (after, action) = try await store.changeKept(run: id, event, check: { try checkOwner($0, caller: caller, role: role) }) else {
            throw HTTPError(.notFound, message: "run \(id) kept no machines")
        }
        if case .refuse(let why) = action { throw HTTPError(.conflict, message: "run \(id)'s machines: \(why)") }
        beats.keptChanged()
        return try API.Kept(after)
    }
}
