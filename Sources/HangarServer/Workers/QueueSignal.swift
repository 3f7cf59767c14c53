import Synchronization

/// Wakes the workers waiting for a run (their claims are long polls) the moment one is queued.
///
/// A waiter says which notification it last saw (`generation`, read before it looked for a run),
/// so one that comes between its look and its wait is not missed.
final class QueueSignal: Sendable {
    private struct State {
        var generation = 0
        var nextWaiter = 0
        var waiting: [Int: CheckedContinuation<Void, Never>] = [:]
        var expired: Set<Int> = []
    }

    private let state = Mutex(State())
    /// What a wait's timeout is measured on: the real clock, since a claim's timeout is the time a
    /// worker's HTTP request may stay open.
    private let clock: any Clock<Duration>

    init(clock: any Clock<Duration> = ContinuousClock()) { self.clock = clock }

    /// The count of notifications so far.
    var generation: Int { state.withLock { $0.generation } }

    /// How many are waiting now.
    var waiters: Int { state.withLock { $0.waiting.count } }

    /// Wakes every waiter.
    func notify() {
        let waiting = state.withLock { state in
            state.generation += 1
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for waiter in waiting { waiter.resume() }
    }

    /// Returns once there was a notification after `seen`, after `timeout`, or when cancelled.
    func wait(after seen: Int, timeout: Duration) async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        let timer = Task { [clock] in
            try? await clock.sleep(for: timeout)
            expire(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.generation != seen || state.expired.remove(id) != nil { return true }
                    state.waiting[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            expire(id)
        }
        timer.cancel()
        _ = state.withLock { $0.expired.remove(id) }
    }

    private func expire(_ id: Int) {
        let waiter = state.withLock { state in
            guard let waiter = state.waiting.removeValue(forKey: id) else {
                state.expired.insert(id)
                return nil as CheckedContinuation<Void, Never>?
            }
            return waiter
        }
        waiter?.resume()
    }
}
