import HangarAPI
import Synchronization

/// What this replica remembers of its workers' heartbeats, so an idle worker's beat mostly costs
/// no statement: a worker's status is written when what it says of its work changed (slots, busy,
/// labels, pool, availability, version) or `refresh` seconds after its last write — well within a
/// lease, so it stays online and a replaced instance is still told within a lease — and placed
/// tasks are looked for at most once a second for all its workers. Times are the store's.
final class HeartbeatCache: Sendable {
    private struct Written {
        var instance: String
        var status: API.WorkerStatus
        var at: Double
    }

    /// What a worker's kept machines were when last looked at.
    private struct KeptCheck {
        var listed: Set<Int>
        var at: Double
        var next: Double?
    }

    private struct State {
        var written: [String: Written] = [:]
        var kept: [String: KeptCheck] = [:]
        /// When placed tasks were last looked for, and whether any was pending then.
        var placed: (at: Double, pending: Bool)?
    }

    private let state = Mutex(State())
    /// The longest an unchanged status goes unwritten.
    let refresh: Double

    init(refresh: Double) { self.refresh = refresh }

    /// True when `status` of `instance` is to be written at `now`.
    func needsWrite(_ status: API.WorkerStatus, instance: String, at now: Double) -> Bool {
        state.withLock { state in
            guard let last = state.written[status.name] else { return true }
            return last.instance != instance || last.status != Self.work(of: status) || now - last.at >= refresh
        }
    }

    /// `status` of `instance` was written at `now`.
    func wrote(_ status: API.WorkerStatus, instance: String, at now: Double) {
        state.withLock { $0.written[status.name] = Written(instance: instance, status: Self.work(of: status), at: now) }
    }

    /// Worker `name` registered or left: its next beat is written, and its kept machines looked at.
    func forget(_ name: String) {
        state.withLock { state in
            state.written[name] = nil
            state.kept[name] = nil
        }
    }

    /// True when worker `name`'s kept machines are to be looked at, it listing `listed` at `now`:
    /// first, when the list changed, when a time ran out (`nextCheck`), and `refresh` seconds after
    /// the last look while it keeps any (a change made on another replica).
    func keptCheckDue(_ name: String, listed: Set<Int>, at now: Double) -> Bool {
        state.withLock { state in
            guard let last = state.kept[name], last.listed == listed else { return true }
            return last.next.map { now >= $0 } ?? false || (!listed.isEmpty && now - last.at >= refresh)
        }
    }

    /// Worker `name`'s kept machines were looked at `now`, it listing `listed`.
    func keptChecked(_ name: String, listed: Set<Int>, nextCheck: Double?, at now: Double) {
        state.withLock { $0.kept[name] = KeptCheck(listed: listed, at: now, next: nextCheck) }
    }

    /// Kept machines were extended or destroyed here: every worker's next beat looks.
    func keptChanged() { state.withLock { $0.kept = [:] } }

    /// Whether placed tasks may be pending for some worker: `look`ed up at most once a second.
    func placedMayBePending(at now: Double, look: () async throws -> Bool) async throws -> Bool {
        if let known = state.withLock({ $0.placed }), now - known.at < 1 { return known.pending }
        let pending = try await look()
        state.withLock { $0.placed = (now, pending) }
        return pending
    }

    /// Tasks were placed here: the next beat looks.
    func placed() { state.withLock { $0.placed = nil } }

    /// What a status says of the worker's work, without what changes with every beat.
    private static func work(of status: API.WorkerStatus) -> API.WorkerStatus {
        var work = status
        (work.freeMemory, work.load) = (0, 0)
        return work
    }
}
