/// The pause between tries at a coordinator that does not answer: `first`, then doubling, at most
/// 5 s; back to `first` after an answer.
struct Backoff {
    let first: Duration
    private var pause: Duration

    init(first: Duration = .milliseconds(200)) {
        self.first = first
        pause = first
    }

    /// Waits the pause, and doubles the next one.
    mutating func wait() async {
        try? await Task.sleep(for: pause)
        pause = min(pause * 2, .seconds(5))
    }

    /// After an answer: the next failure waits `first` again.
    mutating func reset() { pause = first }
}
