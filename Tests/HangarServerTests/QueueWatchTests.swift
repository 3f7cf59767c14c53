import HangarStore
import HangarTestSupport
import Logging
import Testing

@testable import HangarServer

/// The queue watch on a real store and a manual clock: one look wakes every waiting claim when a
/// run was queued where no signal reaches (another replica), and only when what is due changed.
@Suite(.timeLimit(.minutes(1))) struct QueueWatchTests {
    let clock = ManualClock()

    /// Moves the clock on by a look and returns once the watch sleeps again.
    func look() async {
        clock.advance(by: .seconds(1))
        while clock.sleeping == 0 { await Task.yield() }
    }

    /// A claim waiting on `queue` after `seen`, returned once it waits.
    func waiter(_ queue: QueueSignal, after seen: Int) async -> Task<Void, Never> {
        let waiting = Task { await queue.wait(after: seen, timeout: .seconds(60)) }
        while queue.waiters == 0 { await Task.yield() }
        return waiting
    }

    @Test func aRunQueuedElsewhereWakesTheWaitingClaimsOnce() async throws {
        let store = try await RunStore.openSQLite(path: ":memory:")
        let queue = QueueSignal()
        let watch = QueueWatch(store: store, interval: .seconds(1), clock: clock, queue: queue, logger: Logger(label: "test"))
        let running = Task { try await watch.run() }
        let outcome: Result<Void, any Error>
        do {
            while clock.sleeping == 0 { await Task.yield() }
            let first = await waiter(queue, after: queue.generation)
            await look()
            #expect(queue.generation == 0, "nothing queued: nobody woken")
            _ = try await store.enqueue(project: "p", job: "j")  // as another replica would: no signal here
            await look()
            await first.value
            #expect(queue.generation == 1)
            // The same queue, looked at again, wakes nobody.
            let second = await waiter(queue, after: 1)
            await look()
            #expect(queue.generation == 1 && queue.waiters == 1)
            _ = try await store.enqueue(project: "p", job: "j")
            await look()
            await second.value
            #expect(queue.generation == 2)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        running.cancel()
        _ = await running.result
        try await store.close()
        try outcome.get()
    }
}
