/// Waits for the world outside Hangar: a QEMU exiting or reading its state, a file lock another
/// process holds, a program's first line. It asks `done` every `interval` (growing by half each time
/// up to `backingOffTo`, if given) and returns true once it says so, false when `timeout` passes
/// (nil: never) or the task is cancelled first.
///
/// The one place Hangar sleeps on the wall clock: what it waits for takes real time, so a test
/// clock could only make it give up early. Loops whose timing tests drive (the worker's, the
/// server's watchers) sleep on a clock they are given instead.
public enum Poll {
    public static func until<E: Error>(
        every interval: Duration,
        backingOffTo limit: Duration? = nil,
        for timeout: Duration? = nil,
        _ done: () async throws(E) -> Bool
    ) async throws(E) -> Bool {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var pause = interval
        while true {
            if try await done() { return true }
            if Task.isCancelled { return false }
            if let deadline, ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: min(pause, deadline.map { $0 - ContinuousClock.now } ?? pause))
            if let limit { pause = min(pause * 1.5, limit) }
        }
    }
}
