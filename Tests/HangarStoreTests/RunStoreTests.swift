import Foundation
import HangarCore
import HangarStore
import Testing

/// The store against a real SQLite file.
@Suite struct RunStoreTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-store-\(UUID().uuidString.prefix(8)).db").path

    func withStore(_ body: (RunStore) async throws -> Void) async throws {
        let store = try await RunStore.openSQLite(path: path)
        do {
            try await body(store)
            try await store.close()
        } catch {
            try? await store.close()
            throw error
        }
    }

    @Test func runsPersistAcrossReopeningAndMigrationsRunOnce() async throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withStore { store in
            let run = try await store.enqueue(project: "demo", job: "test", priority: 5)
            #expect(run.state == .queued)
            try await store.finish(run.id, as: .passed)
        }
        try await withStore { store in
            let run = try #require(try await store.run(1))
            #expect(run.project == "demo")
            #expect(run.state == .passed)
            #expect(run.priority == 5)
            #expect(try await store.run(99) == nil)
        }
    }

    @Test func claimsTakeThePriorityThenTheOldestAndRecoveryRequeues() async throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withStore { store in
            _ = try await store.enqueue(project: "p", job: "old")
            _ = try await store.enqueue(project: "p", job: "urgent", priority: 9)
            _ = try await store.enqueue(project: "p", job: "new")
            #expect(try await store.claimNext()?.job == "urgent")
            #expect(try await store.claimNext()?.job == "old")
            // The server dies here; on restart the two running runs are requeued once, then given up.
            #expect(try await store.recoverInterrupted() == 2)
            let requeued = try #require(try await store.run(2))
            #expect(requeued.state == .queued)
            #expect(requeued.attempt == 2)
            #expect(try await store.claimNext()?.job == "urgent")
            #expect(try await store.recoverInterrupted() == 0)
            #expect(try await store.run(2)?.state == .error)
            #expect(try await store.claimNext()?.job == "old")
        }
    }

    @Test func listsArePagedNewestFirstAndFiltered() async throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withStore { store in
            for index in 0..<7 {
                let run = try await store.enqueue(project: "p", job: "j\(index)")
                if index % 2 == 0 { try await store.finish(run.id, as: .failed, reason: "tests said no") }
            }
            let first = try await store.runs(limit: 3)
            #expect(first.map(\.id) == [7, 6, 5])
            let second = try await store.runs(before: first.last?.id, limit: 3)
            #expect(second.map(\.id) == [4, 3, 2])
            let failed = try await store.runs(state: .failed)
            #expect(failed.map(\.id) == [7, 5, 3, 1])
            #expect(failed.first?.reason == "tests said no")
        }
    }

    @Test func logUploadsAreIdempotentAndRefuseGaps() async throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withStore { store in
            let run = try await store.enqueue(project: "p", job: "j")
            #expect(try await store.appendLog(run: run.id, offset: 0, lines: ["a", "b", "c"]) == 3)
            // A resend of an overlapping batch keeps one copy of each line.
            #expect(try await store.appendLog(run: run.id, offset: 1, lines: ["b", "c", "d"]) == 4)
            #expect(try await store.appendLog(run: run.id, offset: 0, lines: ["a"]) == 4)
            await #expect { try await store.appendLog(run: run.id, offset: 6, lines: ["g"]) } throws: { error in
                (error as? HangarError)?.code == "log.gap"
            }
            #expect(try await store.log(run: run.id) == ["a", "b", "c", "d"])
            #expect(try await store.log(run: run.id, from: 2, limit: 1) == ["c"])
            let many = (0..<2500).map { "line \($0)" }
            #expect(try await store.appendLog(run: run.id, offset: 4, lines: many) == 2504)
            #expect(try await store.log(run: run.id, from: 2503) == ["line 2499"])
        }
    }
}
