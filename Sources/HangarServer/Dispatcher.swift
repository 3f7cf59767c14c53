import Foundation
import Synchronization
import HangarCore
import HangarEngine
public import HangarStore
public import ServiceLifecycle

/// Runs queued runs one at a time on this host (the embedded worker), writing each transition and
/// every log line to the store before it is acted on.
public struct Dispatcher: Service {
    let store: RunStore
    let catalog: ProjectCatalog
    let wakeUp: AsyncStream<Void>
    let tick: AsyncStream<Void>.Continuation
    let active: ActiveRuns

    /// A dispatcher woken through `wakeUp` (signalled on each trigger, so a run starts at once)
    /// and, in case a run was queued elsewhere, by `tick` once a second.
    public init(store: RunStore, catalog: ProjectCatalog, wakeUp: AsyncStream<Void>, tick: AsyncStream<Void>.Continuation, active: ActiveRuns) {
        self.active = active
        self.store = store
        self.catalog = catalog
        self.wakeUp = wakeUp
        self.tick = tick
    }

    /// Runs until cancelled or shut down gracefully (a running job is then cancelled and finalized).
    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [tick] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(1))
                        tick.yield()
                    }
                }
                for await _ in wakeUp {
                    while !Task.isCancelled, let run = try? await store.claimNext() {
                        // Its own task, so the API can cancel this run alone.
                        let task = Task { await execute(run) }
                        active.started(run.id, task)
                        await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
                        active.ended(run.id)
                    }
                }
                group.cancelAll()
            }
        }
    }

    private func execute(_ run: StoredRun) async {
        guard let workspace = catalog.projects[run.project] else {
            try? await store.transition(run.id, to: RunStatus.error.rawValue, reason: "project '\(run.project)' is not loaded")
            return
        }
        let log = LogWriter(store: store, run: run.id)
        let (status, reason): (RunStatus, String?)
        do {
            let result = try await workspace.run(job: run.job, offline: false) { event in log.write(event) }
            (status, reason) = (result.status, result.error?.description)
        } catch {
            (status, reason) = (RunStatus(failure: error), error.description)
        }
        // Recorded outside this (possibly cancelled) task: the store's calls would fail in it.
        await Task { [store] in
            await log.flush()
            try? await store.transition(run.id, to: status.rawValue, reason: reason)
        }.value
    }
}

/// The runs this server is executing, so the API can cancel them.
public final class ActiveRuns: Sendable {
    private let tasks = Mutex<[Int: Task<Void, Never>]>([:])

    /// No runs yet.
    public init() {}

    func started(_ id: Int, _ task: Task<Void, Never>) { tasks.withLock { $0[id] = task } }

    func ended(_ id: Int) { _ = tasks.withLock { $0.removeValue(forKey: id) } }

    /// Cancels run `id` if this server runs it; its finalize steps still run.
    func cancel(_ id: Int) -> Bool {
        guard let task = tasks.withLock({ $0[id] }) else { return false }
        task.cancel()
        return true
    }
}

/// Turns run events into log lines and appends them to the store in order.
final class LogWriter: Sendable {
    private let lines: AsyncStream<String>.Continuation
    private let done: Task<Void, Never>

    init(store: RunStore, run: Int) {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        lines = continuation
        done = Task {
            var count = 0
            for await line in stream { count = (try? await store.appendLog(run: run, offset: count, lines: [line])) ?? count }
        }
    }

    func write(_ event: RunEvent) {
        switch event {
        case .taskStarted(let index, let count, let title): lines.yield("==> [\(index + 1)/\(count)] \(title)")
        case .output(let line, _): lines.yield(line)
        case .notice(let text): lines.yield("note: \(text)")
        case .taskFinished(_, let title, let status, _, let error):
            lines.yield("<== \(title): \(status.rawValue)" + (error.map { ": \($0.message)" } ?? ""))
        }
    }

    /// Waits until every line is stored.
    func flush() async {
        lines.finish()
        await done.value
    }
}
