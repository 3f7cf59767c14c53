import Foundation
import HangarCore
import HangarEngine
import HangarHandlers
public import HangarStore
public import ServiceLifecycle
import Synchronization

/// Runs queued runs on this host (the embedded worker), at most `capacity` at once, highest
/// priority then oldest first, writing each transition and every log line to the store before it
/// is acted on. Queued runs that must wait are told why.
struct Dispatcher: Service {
    let store: RunStore
    let catalog: ProjectCatalog
    let wakeUp: AsyncStream<Void>
    let tick: AsyncStream<Void>.Continuation
    let active: ActiveRuns
    let events: RunEvents
    /// Where each run's log and artifacts go: `<runs>/<id>/`.
    let runsFolder: String
    let capacity: Int
    let finishOnShutdown: Bool

    /// A dispatcher woken through `wakeUp` (signalled on each trigger, so a run starts at once)
    /// and by `tick` once a second, when it also reloads changed projects.
    init(
        store: RunStore,
        catalog: ProjectCatalog,
        wakeUp: AsyncStream<Void>,
        tick: AsyncStream<Void>.Continuation,
        active: ActiveRuns,
        events: RunEvents,
        runsFolder: String,
        capacity: Int,
        finishOnShutdown: Bool
    ) {
        self.active = active
        self.events = events
        self.store = store
        self.catalog = catalog
        self.wakeUp = wakeUp
        self.tick = tick
        self.runsFolder = runsFolder
        self.capacity = capacity
        self.finishOnShutdown = finishOnShutdown
    }

    /// Runs until cancelled or shut down gracefully; then running runs are cancelled (and
    /// finalized) or, with `finishOnShutdown`, finished, before it returns.
    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [tick, catalog] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    await catalog.reload()
                    tick.yield()
                }
            }
            try? await cancelWhenGracefulShutdown {
                for await _ in wakeUp {
                    try Task.checkCancellation()
                    await dispatch()
                }
            }
            group.cancelAll()
        }
        if !finishOnShutdown { active.cancelAll() }
        await active.waitForAll()
    }

    /// Starts queued runs while there are free slots.
    private func dispatch() async {
        while active.count < capacity, let run = try? await store.claimNext() {
            active.start(run.id) {
                Task {
                    await execute(run)
                    active.ended(run.id)
                    tick.yield()
                }
            }
        }
        if active.count >= capacity {
            try? await store.explainWaiting("waiting for a free slot: all \(capacity) are busy")
        }
    }

    private func execute(_ run: StoredRun) async {
        events.started(run)
        let log = LogWriter(store: store, run: run.id)
        let (status, reason): (RunStatus, String?)
        let metrics = events.metrics
        do {
            let workspace = try await catalog.workspace(
                for: run.project,
                commit: run.parameters["HANGAR_COMMIT"],
                folder: "\(runsFolder)/\(run.id)/source"
            )
            let result = try await workspace.run(job: run.job, parameters: run.parameters, folder: "\(runsFolder)/\(run.id)", offline: false) {
                event in
                log.write(event)
                if case .taskFinished(_, MachineBoot.name, .passed, let duration, _) = event {
                    metrics.booted(run, seconds: duration.seconds)
                }
            }
            (status, reason) = (result.status, result.error?.description)
        } catch {
            (status, reason) = (RunStatus(failure: error), error.description)
        }
        // Recorded outside this (possibly cancelled) task: the store's calls would fail in it.
        await Task { [store, runsFolder] in
            await log.flush()
            try? FileManager.default.removeItem(atPath: "\(runsFolder)/\(run.id)/source")
            try? await store.finish(run.id, as: status, reason: reason)
        }.value
        events.finished(run, status: status, duration: Date().timeIntervalSince1970 - (run.startedAt ?? Date().timeIntervalSince1970))
    }
}

/// The runs this server is executing, so the API can cancel them and the dispatcher count them.
public final class ActiveRuns: Sendable {
    private let tasks = Mutex<[Int: Task<Void, Never>]>([:])

    /// No runs yet.
    public init() {}

    var count: Int { tasks.withLock { $0.count } }

    /// Registers the task `make` starts, before it can end.
    func start(_ id: Int, _ make: () -> Task<Void, Never>) { tasks.withLock { $0[id] = make() } }

    func ended(_ id: Int) { _ = tasks.withLock { $0.removeValue(forKey: id) } }

    /// Cancels run `id` if this server runs it; its finalize steps still run.
    func cancel(_ id: Int) -> Bool {
        guard let task = tasks.withLock({ $0[id] }) else { return false }
        task.cancel()
        return true
    }

    func cancelAll() {
        for task in tasks.withLock({ Array($0.values) }) { task.cancel() }
    }

    func waitForAll() async {
        while let task = tasks.withLock({ $0.values.first }) { await task.value }
    }
}

/// Turns run events into log lines and task records and writes them to the store in order,
/// batching what arrives while a write is under way (a chatty command costs one statement per batch).
final class LogWriter: Sendable {
    private enum Record {
        case line(String)
        case taskStarted(Int, String)
        case taskFinished(Int, String, String?)
    }

    private final class Pending: Sendable {
        let state = Mutex<(records: [Record], closed: Bool)>(([], false))
    }

    private let pending = Pending()
    private let signal: AsyncStream<Void>.Continuation
    private let done: Task<Void, Never>

    init(store: RunStore, run: Int) {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        signal = continuation
        done = Task { [pending] in
            var count = 0
            for await _ in stream {
                let batch = pending.state.withLock { state in
                    defer { state.records = [] }
                    return state.records
                }
                var lines: [String] = []
                for record in batch {
                    switch record {
                    case .line(let text): lines.append(text)
                    case .taskStarted(let position, let title): try? await store.taskStarted(run: run, position: position, title: title)
                    case .taskFinished(let position, let status, let error):
                        try? await store.taskFinished(run: run, position: position, status: status, error: error)
                    }
                }
                if !lines.isEmpty { count = (try? await store.appendLog(run: run, offset: count, lines: lines)) ?? count }
                if pending.state.withLock({ $0.closed && $0.records.isEmpty }) { break }
            }
        }
    }

    func write(_ event: RunEvent) {
        switch event {
        case .taskStarted(let index, let count, let title):
            append([.taskStarted(index, title), .line("==> [\(index + 1)/\(count)] \(title)")])
        case .output(let line, _): append([.line(line)])
        case .notice(let text): append([.line("note: \(text)")])
        case .taskFinished(let index, let title, let status, _, let error):
            append([
                .taskFinished(index, status.rawValue, error?.message),
                .line("<== \(title): \(status.rawValue)" + (error.map { ": \($0.message)" } ?? "")),
            ])
        }
    }

    private func append(_ records: [Record]) {
        pending.state.withLock { $0.records += records }
        signal.yield()
    }

    /// Waits until everything written is stored.
    func flush() async {
        pending.state.withLock { $0.closed = true }
        signal.yield()
        await done.value
    }
}
