import Foundation
import HangarCore
import HangarStore
import HangarTestSupport
import Synchronization
import Testing

/// Replicas hear of queued runs from PostgreSQL (`LISTEN`/`NOTIFY`, sent by a trigger) instead of
/// polling; SQLite, with its one server, has nothing to listen to.
extension RunStoreTests {
    @Test(arguments: [Database.postgres])
    func aReplicaHearsOfARunQueuedOnAnother(database: Database) async throws {
        try await withStore(database) { store, location in
            try await withReplica(location) { replica in
                let heard = Atomic<Int>(0)
                let listening = Task { try await replica.listenForQueued { heard.add(1, ordering: .relaxed) } }
                defer { listening.cancel() }
                // LISTEN takes effect once its connection has it: queue until the first is heard.
                try await eventually("a queued run is heard", within: .seconds(20)) {
                    _ = try await store.enqueue(project: "demo", job: "test")
                    try await Task.sleep(for: .milliseconds(200))
                    return heard.load(ordering: .relaxed) > 0
                }
                let before = heard.load(ordering: .relaxed)
                let skipped = try await store.enqueue(
                    NewRun(project: "demo", job: "test", parameters: [:], maxAttempts: 1),
                    skipped: "image unchanged"
                )
                #expect(skipped.state == .skipped)
                try await Task.sleep(for: .milliseconds(500))
                #expect(heard.load(ordering: .relaxed) == before, "a run recorded skipped is not queued: nothing is said")
                _ = try await store.enqueue(project: "demo", job: "test")
                try await eventually("the next one is heard too", within: .seconds(5)) { heard.load(ordering: .relaxed) > before }
            }
        }
    }

    @Test func sqliteHasNothingToListenTo() async throws {
        try await withStore(.sqlite) { store, _ in
            let listened = try await store.listenForQueued {}
            #expect(listened == false)
        }
    }
}
