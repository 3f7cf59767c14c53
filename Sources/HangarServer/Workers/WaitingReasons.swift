import HangarAPI
import HangarStore
import Logging
import ServiceLifecycle

/// Tells each queued run why it waits, as openQA does ("no worker online with label kvm"), from
/// the workers online now: their labels, free memory and free slots.
struct WaitingReasons: Service {
    let store: RunStore
    let clock: any Clock<Duration>
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await clock.sleep(for: .seconds(2))
                do {
                    // Nothing waits: nothing more to read.
                    let queued = try await store.queued()
                    guard !queued.isEmpty else { continue }
                    // A worker's own count of its runs can be a claim behind; the store's is not.
                    let held = try await store.heldCounts()
                    let workers = try await WorkerList.online(store).map { worker in
                        var worker = worker
                        worker.busy = max(worker.busy, held[worker.name] ?? 0)
                        return worker
                    }
                    for run in queued {
                        let reason = Self.reason(for: run, workers: workers, now: store.time())
                        if run.reason != reason { try await store.explain(run.id, reason) }
                    }
                } catch {
                    if !Task.isCancelled { logger.warning("cannot tell queued runs why they wait", metadata: ["error": "\(error)"]) }
                }
            }
        }
    }

    /// Why `run` waits at `now`, given the online `workers`.
    static func reason(for run: StoredRun, workers: [API.WorkerStatus], now: Double) -> String {
        if let start = run.notBefore, start > now {
            return "waiting \(Int((start - now).rounded(.up)))s before it retries (the delay of the signature that explained #\(run.retryOf ?? 0))"
        }
        guard !workers.isEmpty else { return "waiting: no worker is online" }
        let labelled = workers.filter { Set(run.requires).isSubset(of: $0.labels) }
        guard !labelled.isEmpty else {
            let offered = Set(workers.flatMap(\.labels))
            let missing = run.requires.filter { !offered.contains($0) }
            if missing.isEmpty { return "waiting: no online worker has all of the labels \(run.requires.joined(separator: ", "))" }
            return "waiting: no worker online with label \(missing.joined(separator: ", "))"
        }
        let roomy = labelled.filter { $0.freeMemory >= run.memory }
        guard !roomy.isEmpty else { return "waiting: no worker that can take it has \(run.memory) MiB of memory free now" }
        guard roomy.contains(where: { $0.unavailable == nil }) else {
            let why = roomy.compactMap { worker in worker.unavailable.map { "\(worker.name): \($0)" } }
            return "waiting: no worker that can take it is taking runs (\(why.joined(separator: "; ")))"
        }
        guard roomy.contains(where: { $0.busy < $0.slots && $0.unavailable == nil }) else {
            let slots = roomy.reduce(0) { $0 + $1.slots }
            return "waiting for a free slot: all \(slots) slot(s) of the \(roomy.count) worker(s) that can take it are busy"
        }
        return "waiting for a worker to take it"
    }
}
