import Synchronization

/// A point on a test clock: how far it has moved on from zero.
public struct TestInstant: InstantProtocol {
    public var offset: Duration
    public func advanced(by duration: Duration) -> TestInstant { TestInstant(offset: offset + duration) }
    public func duration(to other: TestInstant) -> Duration { other.offset - offset }
    public static func < (left: TestInstant, right: TestInstant) -> Bool { left.offset < right.offset }
}

/// A clock whose sleeps return at once, moving its time on: waiting code runs its whole schedule
/// in no time, and the test sees how long it would have waited.
public final class InstantClock: Clock, Sendable {
    private let time = Mutex(TestInstant(offset: .zero))

    public init() {}

    public var now: TestInstant { time.withLock { $0 } }
    public var minimumResolution: Duration { .nanoseconds(1) }

    public func sleep(until deadline: TestInstant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        time.withLock { $0 = max($0, deadline) }
    }

    /// How long the code under test has waited (slept) on it.
    public var elapsed: Duration { now.offset }
}

/// A clock that moves only when the test says: code that waits on it (a watcher between looks)
/// sleeps until `advance` passes its deadline, so a test decides when the next look comes instead
/// of waiting for it.
public final class ManualClock: Clock, Sendable {
    private struct Sleeper {
        var id: Int
        var deadline: TestInstant
        var wake: CheckedContinuation<Void, any Error>
    }
    private struct State {
        var now = TestInstant(offset: .zero)
        var sleepers: [Sleeper] = []
        var nextID = 0
        var cancelled: Set<Int> = []
    }
    private let state = Mutex(State())

    public init() {}

    public var now: TestInstant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .nanoseconds(1) }

    /// How many sleep on it now.
    public var sleeping: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until deadline: TestInstant, tolerance: Duration?) async throws {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (wake: CheckedContinuation<Void, any Error>) in
                let now: Result<Void, any Error>? = state.withLock { state in
                    if state.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, wake: wake))
                    return nil
                }
                if let now { wake.resume(with: now) }
            }
        } onCancel: {
            let sleeper: Sleeper? = state.withLock { state in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else {
                    state.cancelled.insert(id)  // not asleep yet: it will not fall asleep
                    return nil
                }
                return state.sleepers.remove(at: index)
            }
            sleeper?.wake.resume(throwing: CancellationError())
        }
    }

    /// Moves time on by `duration` and wakes every sleeper whose deadline it passed.
    public func advance(by duration: Duration) {
        let due: [Sleeper] = state.withLock { state in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.wake.resume() }
    }
}

/// The store's time (seconds since 1970) as a test moves it by hand: `RunStore.open(now:)` and the
/// memory outbox read it. Starts at 1000.
public final class TestClock: Sendable {
    private let time = Mutex(1_000.0)

    public init() {}

    public var now: Double { time.withLock { $0 } }
    public func advance(_ seconds: Double) { time.withLock { $0 += seconds } }
}
