import Foundation
import HangarCore
import HangarStore
import HangarTestSupport
import Testing

/// Kept machines in the store, on SQLite and PostgreSQL alike.
extension RunStoreTests {
    @Test(arguments: Database.allCases)
    func keptMachinesAreRecordedOnceChangedByTheirLifecycleAndSaidInTheRunsLog(database: Database) async throws {
        try await withStore(database) { store, location in
            var new = NewRun(project: "p", job: "dev", parameters: [:], maxAttempts: 1)
            new.keep = KeepRequest(seconds: 600, sshKey: "ssh-ed25519 AAAA user@laptop", owner: "o")
            let run = try await store.enqueue(new)
            #expect(try await store.run(run.id)?.keep == new.keep)
            #expect(try await store.kept(run: run.id) == nil)

            try await store.keep(run: run.id, worker: "w1", owner: "o", seconds: 600, machines: "[]")
            // A finish sent again keeps them once, and changes nothing.
            clock.advance(5)
            try await withReplica(location) { try await $0.keep(run: run.id, worker: "w1", owner: "o", seconds: 600, machines: "[]") }
            let kept = try #require(try await store.kept(run: run.id))
            #expect(kept.record == KeptRecord(keptAt: 1000, until: 1600) && kept.owner == "o" && kept.project == "p" && kept.version == 1)
            #expect(try await store.kept(on: "w1") == [run.id: KeptRecord(keptAt: 1000, until: 1600)])
            #expect(try await store.kept(on: "w2").isEmpty)

            let extended = try #require(try await store.changeKept(run: run.id, .extended(until: 4000, by: "o")))
            #expect(extended.kept.record.until == 4000 && extended.kept.version == 2)
            let destroyed = try #require(try await withReplica(location) { try await $0.changeKept(run: run.id, .destroyed(by: "a")) })
            #expect(destroyed.kept.record.state == .destroyed && destroyed.kept.version == 3)
            let again = try #require(try await store.changeKept(run: run.id, .expired))
            #expect(again.action == .refuse("the machines were already destroyed (destroyed by a)"))
            #expect(try await store.kept(on: "w1").isEmpty)
            #expect(try await store.changeKept(run: run.id + 1, .expired) == nil)

            #expect(
                try await store.log(run: run.id) == [
                    "note: kept machines extended until 1970-01-01 01:06:40 UTC by o", "note: kept machines destroyed: destroyed by a",
                ]
            )
            #expect(try await store.lineCount(run: run.id) == 2)
            #expect(try await store.keptMachines(destroyedSince: 1000).map(\.run) == [run.id])
            #expect(try await store.keptMachines(destroyedSince: 1006).isEmpty)
        }
    }

    @Test(arguments: Database.allCases)
    func tunnelsAreOrderedTakenOpenedAndClosedOnceAndARestartedReplicaClosesItsOwn(database: Database) async throws {
        try await withStore(database) { store, _ in
            let run = try await store.enqueue(NewRun(project: "p", job: "dev", parameters: [:], maxAttempts: 1))
            func record(_ id: String, worker: String, url: String) async throws -> StoredTunnel {
                try await store.recordTunnel(StoredTunnel(id: id, run: run.id, machine: "default", port: 22, openedBy: "o", worker: worker, url: url))
            }
            #expect(try await record("a", worker: "w1", url: "http://one").state == .ordered)
            _ = try await record("b", worker: "w2", url: "http://one")
            _ = try await record("c", worker: "w1", url: "http://two")
            #expect(try await store.takeTunnelOrders(worker: "w1").map(\.id).sorted() == ["a", "c"])
            #expect(try await store.takeTunnelOrders(worker: "w1").isEmpty, "an order is taken once")
            let (opened, openedAgain) = (try await store.openTunnel("b"), try await store.openTunnel("b"))
            #expect(opened && !openedAgain)

            try await store.closeTunnels(carriedBy: "http://one", reason: "the server that carried it stopped")
            for id in ["a", "b"] {
                let closed = try #require(try await store.tunnel(id))
                #expect(closed.state == .closed && closed.reason == "the server that carried it stopped" && closed.closedAt == 1000)
            }
            #expect(try await store.tunnel("c")?.state == .open, "another replica's tunnel stays")
            try await store.closeTunnel("c", reason: "closed")
            try await store.closeTunnel("c", reason: "again")
            #expect(try await store.tunnel("c")?.reason == "closed", "a second close changes nothing")
            #expect(try await store.tunnels(run: run.id).count == 3)
        }
    }
}
