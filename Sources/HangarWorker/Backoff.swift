/// The pause between tries at a coordinator that does not answer: `first`, then doubling, at most
/// 5 s; back to `first` after an answer.
struct Backoff: Sendable, Equatable {
    let first: Duration
    private var pause: Duration

    init(first: Duration = .milliseconds(200)) {
        self.first = first
        pause = first
    }

    /// The pause to wait now; the next one is twice as long.
    mutating func next() -> Duration {
        defer { pause = min(pause * 2, .seconds(5)) }
        return pause
    }

    /// Waits the pause on `clock`, and doubles the next one.
    mutating func wait(on clock: any Clock<Duration>) async { try? await clock.sleep(for: next()) }

    /// After an answer: the next failure waits `first` again.
    mutating func reset() { pause = first }
}
