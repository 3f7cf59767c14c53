import Foundation
import HangarCore
import HangarStore
import HangarTestSupport
import Testing

/// The gate's queues in the store, on SQLite and PostgreSQL alike: written with a compare-and-set,
/// shared by replicas.
extension RunStoreTests {
    @Test(arguments: Database.allCases)
    func aGateQueueIsSharedByReplicasAndChangedOnlyByEventsThatChangeIt(database: Database) async throws {
        try await withStore(database) { store, location in
            let empty = try await store.gateQueue(project: "app", pipeline: "gate")
            #expect(empty.version == 0 && empty.queue.items.isEmpty)
            let (first, started) = try await store.changeGateQueue(project: "app", pipeline: "gate", .enqueued("team/app#1"))
            #expect(first.version == 1 && started == [.test("team/app#1", attempt: 1, base: [])])
            let (second, _) = try await withReplica(location) {
                try await $0.changeGateQueue(project: "app", pipeline: "gate", .enqueued("team/app#2"))
            }
            #expect(second.version == 2 && second.queue.items.map(\.base) == [[], ["team/app#1"]], "the replica saw the first")
            let (same, nothing) = try await store.changeGateQueue(project: "app", pipeline: "gate", .passed("team/app#1", attempt: 7))
            #expect(same.version == 2 && nothing.isEmpty, "an old attempt's result writes nothing")
            let (merging, merge) = try await store.changeGateQueue(project: "app", pipeline: "gate", .passed("team/app#1", attempt: 1))
            #expect(merging.version == 3 && merge == [.merge("team/app#1")])
            #expect(try await store.gateQueue(project: "app", pipeline: "gate") == merging)
            #expect(try await store.gateQueue(project: "other", pipeline: "gate").version == 0, "each project has its own")
        }
    }

    /// Two replicas queueing at once (on PostgreSQL: replicas share one; a SQLite database has one
    /// server): the row lock keeps every change; none is lost.
    @Test(arguments: [Database.postgres])
    func changesFromTwoReplicasAtOnceAreAllKept(database: Database) async throws {
        try await withStore(database) { store, location in
            try await withReplica(location) { replica in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (index, side) in [store, replica].enumerated() {
                        group.addTask {
                            for number in 0..<10 {
                                // The first write of a new queue may meet the other's: it is applied again.
                                while true {
                                    do {
                                        _ = try await side.changeGateQueue(project: "app", pipeline: "gate", .enqueued("c\(index)-\(number)"))
                                        break
                                    } catch let error as HangarError where error.code == .storeContention {}
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            let queue = try await store.gateQueue(project: "app", pipeline: "gate")
            #expect(queue.queue.items.count == 20 && queue.version == 20)
        }
    }
}
