import HangarCore

/// Runs `write` until it succeeds, waiting longer after each failure (0.1 s doubling to 5 s), for
/// at most `limit`; then throws its last error. A write of data is never given up silently: the
/// caller fails the run when this throws. Refusals (`run.stale`) are not retried.
func retrying<T: Sendable>(for limit: Duration = .seconds(60), _ write: () async throws -> T) async throws -> T {
    let deadline = ContinuousClock.now + limit
    var pause = Duration.milliseconds(100)
    while true {
        do {
            return try await write()
        } catch let error as HangarError where error.code == "run.stale" || error.code == "log.gap" {
            throw error
        } catch {
            guard ContinuousClock.now + pause < deadline else { throw error }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
    }
}
