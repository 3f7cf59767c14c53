import Synchronization

/// The runs this replica is executing, so the API and the heartbeat can stop them and the
/// dispatcher count them.
public final class ActiveRuns: Sendable {
    private struct Active {
        var attempt: Int
        var task: Task<Void, Never>
    }

    private let runs = Mutex<[Int: Active]>([:])

    /// No runs yet.
    public init() {}

    var count: Int { runs.withLock { $0.count } }

    /// The runs held, with their attempts, for renewing their leases.
    var held: [(id: Int, attempt: Int)] { runs.withLock { $0.map { ($0.key, $0.value.attempt) } } }

    /// Registers the task `make` starts for attempt `attempt` of run `id`, before it can end.
    func start(_ id: Int, attempt: Int, _ make: () -> Task<Void, Never>) { runs.withLock { $0[id] = Active(attempt: attempt, task: make()) } }

    func ended(_ id: Int) { _ = runs.withLock { $0.removeValue(forKey: id) } }

    /// Cancels run `id` if this replica runs it; its finalize steps still run.
    @discardableResult
    func cancel(_ id: Int) -> Bool {
        guard let task = runs.withLock({ $0[id]?.task }) else { return false }
        task.cancel()
        return true
    }

    func cancelAll() {
        for run in runs.withLock({ Array($0.values) }) { run.task.cancel() }
    }

    func waitForAll() async {
        while let task = runs.withLock({ $0.values.first?.task }) { await task.value }
    }
}
