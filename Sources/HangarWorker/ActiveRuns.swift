import HangarAPI
import Synchronization

/// The runs a worker holds: running, or still delivering their report.
final class ActiveRuns: Sendable {
    private struct Entry {
        var attempt: Int
        var memory: Int
        var task: Task<Void, Never>?
        var reporter: RunReporter?
        var lost = false
    }

    private let entries = Mutex<[Int: Entry]>([:])

    /// How many slots are taken.
    var busy: Int { entries.withLock { $0.count } }

    /// Memory (MiB) promised to the runs held.
    var reservedMemory: Int { entries.withLock { $0.values.reduce(0) { $0 + $1.memory } } }

    /// The runs held, for the heartbeat.
    var held: [API.HeldRun] { entries.withLock { $0.map { API.HeldRun(id: $0.key, attempt: $0.value.attempt) }.sorted { $0.id < $1.id } } }

    /// Registers `run` and the task `make` starts for it, before that task can end.
    func start(_ run: API.HeldRun, memory: Int, _ make: () -> Task<Void, Never>) {
        entries.withLock { $0[run.id] = Entry(attempt: run.attempt, memory: memory) }
        let task = make()
        entries.withLock { $0[run.id]?.task = task }
    }

    func attach(_ reporter: RunReporter, to id: Int) { entries.withLock { $0[id]?.reporter = reporter } }

    func ended(_ id: Int) { _ = entries.withLock { $0.removeValue(forKey: id) } }

    /// Stops run `id` (cancelled by someone); its finalize steps still run and it reports how it ended.
    func cancel(_ id: Int) { entries.withLock { $0[id]?.task }?.cancel() }

    /// Stops run `id` for good: it is no longer this worker's, so nothing more is reported.
    func lose(_ id: Int) {
        let (task, reporter) = entries.withLock { entries -> (Task<Void, Never>?, RunReporter?) in
            entries[id]?.lost = true
            return (entries[id]?.task, entries[id]?.reporter)
        }
        task?.cancel()
        if let reporter { Task { _ = await reporter.stop() } }
    }

    func isLost(_ id: Int) -> Bool { entries.withLock { $0[id]?.lost ?? false } }

    /// Stops every run's reporting (the journal keeps what was not delivered).
    func stopReporting() {
        for reporter in entries.withLock({ $0.values.compactMap(\.reporter) }) { Task { _ = await reporter.stop() } }
    }

    func cancelAll() {
        for task in entries.withLock({ $0.values.compactMap(\.task) }) { task.cancel() }
    }

    func waitForAll() async {
        while let task = entries.withLock({ $0.values.first?.task }) { await task.value }
    }
}
