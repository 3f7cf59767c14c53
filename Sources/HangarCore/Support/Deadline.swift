/// What a body given a time limit came to: its value, or the limit passed first.
public enum Limited<T: Sendable>: Sendable {
    case finished(T)
    case timedOut
}

/// Runs `body` for at most `limit` (nil: as long as it takes), cancelling it when the limit passes
/// first; `expired` is set before that cancel, so the body can tell its timeout from a cancelled
/// run. The one time-limit helper: a body that can fail returns its error (or `try?`) as its value.
/// The limit is measured on `clock` (a test's clock makes it pass at once).
public func withTimeLimit<T: Sendable>(
    _ limit: Duration?,
    clock: any Clock<Duration> = ContinuousClock(),
    expired: OnceFlag? = nil,
    _ body: @escaping @Sendable () async -> T
) async -> Limited<T> {
    guard let limit else { return .finished(await body()) }
    return await withTaskGroup(of: Limited<T>?.self) { group in
        group.addTask { .finished(await body()) }
        group.addTask {
            // Stopped (the body finished first, or the caller was cancelled): nil, and the body decides.
            guard (try? await clock.sleep(for: limit)) != nil else { return nil }
            expired?.set()
            return .timedOut
        }
        var first = Limited<T>.timedOut
        while let next = await group.next() {
            guard let next else { continue }
            first = next
            break
        }
        group.cancelAll()
        return first
    }
}
