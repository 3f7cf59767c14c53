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

    /// The kept machines that are up, and the ones destroyed in the last day.
    func list() async throws -> [API.Kept] {
        try await store.keptMachines(destroyedSince: store.time() - 86_400).map(API.Kept.init)
    }

    /// Run `id`'s kept machines (404 when it kept none).
    func kept(_ id: Int) async throws -> StoredKept {
        guard let kept = try await store.kept(run: id) else { throw HTTPError(.notFound, message: "run \(id) kept no machines") }
        return kept
    }

    /// Applies `event` to run `id`'s kept machines for `caller`: operators change their own,
    /// admins any (403); 409 when they were destroyed.
    func change(_ id: Int, _ event: KeptLifecycle.Event, caller: String?, role: Role?) async throws -> API.Kept {
        let kept = try await kept(id)
        guard role == .admin || (caller != nil && kept.owner == caller) else {
            throw HTTPError(
                .forbidden,
                message:
                    "run \(id)'s machines are \(kept.owner.map { "\($0)'s" } ?? "kept by its job"): only \(kept.owner == nil ? "" : "their owner and ")admins change them"
            )
        }
        guard let (after, action) = try await store.changeKept(run: id, event) else {
            throw HTTPError(.notFound, message: "run \(id) kept no machines")
        }
        if case .refuse(let why) = action { throw HTTPError(.conflict, message: "run \(id)'s machines: \(why)") }
        beats.keptChanged()
        return try API.Kept(after)
    }
}
