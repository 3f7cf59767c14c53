import HangarAPI
import HangarCore
import HangarStore
import Hummingbird

/// `GET /api/v1/queues`: the gate's queues as the status page shows them.
struct GateRoutes {
    let store: RunStore
    let catalog: ProjectCatalog
    let table: RouteTable

    func add(to router: Router<ServerContext>) {
        router.on(Contract.queues, table: table) { [store, catalog] _, _, _ -> [API.Queue] in
            try await Self.queues(store, catalog)
        }
    }

    /// Every gated project's queue, head first, each change with its current testing's runs and an
    /// ETA: the latest end its unfinished runs' jobs took on average over their last 20 passes.
    static func queues(_ store: RunStore, _ catalog: ProjectCatalog) async throws -> [API.Queue] {
        var queues: [API.Queue] = []
        for gated in catalog.all.compactMap(Gated.init) {
            let stored = try await store.gateQueue(project: gated.name, pipeline: gated.pipeline.name).queue
            let runs = Dictionary(grouping: try await store.recentGateRuns(project: gated.name, pipeline: gated.pipeline.name)) {
                GateAttempt(change: $0.change, attempt: $0.attempt)
            }
            var durations: [String: Double] = [:]
            for job in gated.pipeline.jobs {
                let passed = try await store.runs(state: .passed, project: gated.name, job: job, limit: 20)
                let took = passed.compactMap { run in run.startedAt.flatMap { start in run.finishedAt.map { $0 - start } } }
                if !took.isEmpty { durations[job] = took.reduce(0, +) / Double(took.count) }
            }
            let now = store.now()
            let items = stored.items.map { item in
                let mine = (runs[GateAttempt(item)] ?? []).sorted { $0.run < $1.run }
                let ends = mine.filter { !$0.state.isFinished }.compactMap { run in durations[run.job].map { (run.startedAt ?? now) + $0 } }
                return API.QueueItem(
                    change: item.change,
                    commit: item.commit,
                    state: item.state.rawValue,
                    base: item.base,
                    attempt: item.attempt,
                    runs: mine.map { API.QueueRun(id: $0.run, job: $0.job, state: $0.state) },
                    eta: item.state == .testing ? ends.max().map { max($0, now) } : nil
                )
            }
            queues.append(
                API.Queue(project: gated.name, pipeline: gated.pipeline.name, branch: gated.source.branch, window: stored.window, items: items)
            )
        }
        return queues
    }
}
