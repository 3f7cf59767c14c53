import Synchronization

/// A first-come, first-served lock for async code: one holder at a time, the others wait
/// without blocking a thread. SQLite's one connection is used under it.
final class AsyncLock: Sendable {
    private struct State {
        var held = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func withLock<T>(_ body: () async throws -> T) async rethrows -> T {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { (lock: inout State) -> Bool in
                if lock.held {
                    lock.waiting.append(waiter)
                    return false
                }
                lock.held = true
                return true
            }
            if acquired { waiter.resume() }
        }
        defer {
            let next = state.withLock { (lock: inout State) -> CheckedContinuation<Void, Never>? in
                if lock.waiting.isEmpty {
                    lock.held = false
                    return nil
                }
                return lock.waiting.removeFirst()
            }
            next?.resume()
        }
        return try await body()
    }
}
