import Foundation
import HangarAPI
import HangarStore

/// The workers a coordinator knows, for `GET /api/v1/workers` and the machines page.
enum WorkerList {
    /// A worker is online while its heartbeats (every second, every five when idle) keep coming:
    /// seen within this, and it has not said it stopped. An idle worker's unchanged status is
    /// written every `HeartbeatCache.refresh` seconds, at most half of this.
    static let onlineWithin = 20.0

    /// How long a worker that went silent is still listed: a day.
    static let remembered = 86_400.0

    /// Workers seen within `remembered`, online ones first, then by name.
    static func list(_ store: RunStore) async throws -> [API.Worker] {
        let now = store.now()
        var workers: [API.Worker] = []
        for (name, stored) in try await store.workers(seenWithin: remembered) {
            guard let status = try? JSONDecoder().decode(API.WorkerStatus.self, from: Data(stored.status.utf8)) else { continue }
            let runs = try await store.held(by: name).map(\.id)
            workers.append(
                API.Worker(status: status, lastSeen: stored.lastSeen, online: !stored.stopped && now - stored.lastSeen <= onlineWithin, runs: runs)
            )
        }
        return workers.sorted { ($0.online ? 0 : 1, $0.status.name) < ($1.online ? 0 : 1, $1.status.name) }
    }

    /// The statuses of the online workers.
    static func online(_ store: RunStore) async throws -> [API.WorkerStatus] {
        try await store.workers(seenWithin: onlineWithin).values.filter { !$0.stopped }.compactMap {
            try? JSONDecoder().decode(API.WorkerStatus.self, from: Data($0.status.utf8))
        }
    }
}
