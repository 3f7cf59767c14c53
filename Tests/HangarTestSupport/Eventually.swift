import HangarCore

/// Waits until `condition` holds, checking every 200 ms; after `limit`, fails with `what` (evaluated
/// then, so it can say what the processes logged) instead of waiting for the suite's time limit.
public func eventually(
    _ what: @autoclosure () -> String,
    within limit: Duration = .seconds(90),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw HangarError(.testTimeout, "not within \(limit): \(what())") }
        try await Task.sleep(for: .milliseconds(200))
    }
}
