import Foundation
public import HangarCore
import SQLKit

/// What a lifecycle event came to.
public struct Transition: Sendable {
    /// The run after the event (unchanged when refused).
    public var run: StoredRun
    /// What the lifecycle said to do.
    public var action: RunLifecycle.Action

    /// The refusal's reason, if the event was refused.
    public var refusal: String? {
        if case .refuse(let reason) = action { return reason }
        return nil
    }
}

extension RunStore {
    /// Applies one lifecycle event to run `id` with a compare-and-set: the run is read, `event`
    /// decides on that version, and the write happens only if nobody changed the run meanwhile
    /// (else it is decided again on the new version). Nil when there is no such run.
    @discardableResult
    public func transition(_ id: Int, _ event: @Sendable (inout RunLifecycle) -> RunLifecycle.Action) async throws -> Transition? {
        for _ in 0..<20 {
            let outcome = try await connections.withDatabase { database -> (Transition?, written: Bool) in
                guard
                    let run = try await database.raw("SELECT \(unsafeRaw: StoredRun.columns) FROM runs WHERE id = \(bind: id)").first()
                        .map(StoredRun.init)
                else { return (nil, true) }
                return try await decide(run, event, on: database)
            }
            if outcome.written { return outcome.0 }
        }
        throw HangarError(.storeContention, "run \(id) kept changing while a transition was written")
    }

    /// Decides `event` on `run` and writes the result if it changes anything; `written` is false
    /// when another writer got there first.
    func decide(
        _ run: StoredRun,
        _ event: (inout RunLifecycle) -> RunLifecycle.Action,
        on database: any SQLDatabase
    ) async throws -> (
        Transition?, written: Bool
    ) {
        var lifecycle = RunLifecycle(run.record)
        let action = event(&lifecycle)
        switch action {
        case .refuse, .none:
            return (Transition(run: run, action: action), true)
        case .write, .writeAndStop:
            guard let written = try await write(lifecycle.run, to: run, on: database) else { return (nil, false) }
            return (Transition(run: written, action: action), true)
        }
    }

    /// Writes `record` over `run` if the stored run is still at `run.version`; nil when it is not.
    private func write(_ record: RunRecord, to run: StoredRun, on database: any SQLDatabase) async throws -> StoredRun? {
        try await database.raw(
            """
            UPDATE runs SET state = \(bind: record.state.rawValue), attempt = \(bind: record.attempt), owner = \(bind: record.owner),
                lease_expires_at = \(bind: record.leaseExpiresAt), cancel_requested = \(bind: record.cancelRequested ? 1 : 0),
                reason = \(bind: record.reason), started_at = \(bind: record.startedAt), finished_at = \(bind: record.finishedAt),
                error_code = \(bind: record.failure?.code.rawValue), error_kind = \(bind: record.failure?.kind.rawValue),
                failed_task = \(bind: record.failure?.task), updated_at = \(bind: now()), version = version + 1
            WHERE id = \(bind: run.id) AND version = \(bind: run.version)
            RETURNING \(unsafeRaw: StoredRun.columns)
            """
        ).first().map(StoredRun.init)
    }

    /// Claims the next queued run (highest priority, then oldest) that a worker with `labels` (nil:
    /// any) and `freeMemory` MiB can take, for `owner`, holding it for `lease` seconds. Replicas on
    /// PostgreSQL skip rows another one is claiming. With `instance`, only while the worker named
    /// `owner` is that instance (`registerWorker`) and has not stopped: a worker whose name another
    /// took claims nothing, nor does a claim still waiting on the server for one that has gone.
    public func claimNext(
        owner: String,
        instance: String? = nil,
        lease: Double,
        labels: Set<String>? = nil,
        freeMemory: Int = .max
    ) async throws -> StoredRun? {
        if connections.dialect == .postgres {
            return try await claimAtOnce(owner: owner, instance: instance, lease: lease, labels: labels, freeMemory: freeMemory)
        }
        // Idle workers look often: a read first, so an empty queue costs no write transaction.
        let anyQueued = try await connections.withDatabase { database in
            // Due: an automatic retry waits for its delay (`not_before`).
            try await database.raw(
                """
                SELECT id FROM runs WHERE state = \(unsafeRaw: RunState.queued.sql)
                AND (not_before IS NULL OR not_before <= \(bind: now())) LIMIT 1
                """
            ).first() != nil
        }
        guard anyQueued else { return nil }
        for _ in 0..<20 {
            let outcome = try await connections.transaction { [self] database -> (Transition?, written: Bool) in
                // Only what placement needs, for the candidates, unlocked; then the first that fits is
                // locked alone (replicas skip a row another is claiming, and take the next).
                let holdsName: SQLQueryString =
                    instance.map { "AND EXISTS (SELECT 1 FROM workers WHERE name = \(bind: owner) AND instance = \(bind: $0) AND stopped = 0)" } ?? ""
                let candidates = try await database.raw(
                    """
                    SELECT id, requires FROM runs WHERE state = \(unsafeRaw: RunState.queued.sql)
                    AND (not_before IS NULL OR not_before <= \(bind: now())) AND memory <= \(bind: freeMemory)
                    \(holdsName) ORDER BY priority DESC, id LIMIT 20
                    """
                ).all()
                var taken: StoredRun?
                for row in candidates {
                    let requires = try JSONDecoder().decode([String].self, from: Data(try row.decode(column: "requires", as: String.self).utf8))
                    guard labels == nil || Set(requires).isSubset(of: labels!) else { continue }
                    let id = try row.decode(column: "id", as: Int.self)
                    taken = try await database.raw(
                        """
                        SELECT \(unsafeRaw: StoredRun.columns) FROM runs WHERE id = \(bind: id) AND state = \(unsafeRaw: RunState.queued.sql)\(unsafeRaw: connections.dialect.skipLocked)
                        """
                    ).first().map(StoredRun.init)
                    if taken != nil { break }
                }
                guard let run = taken else { return (nil, true) }
                let now = now()
                return try await decide(run, { $0.claimed(by: owner, at: now, leaseUntil: now + lease) }, on: database)
            }
            if outcome.written { return outcome.0?.run }
        }
        return nil
    }

    /// `claimNext` on PostgreSQL in one statement: the first queued run that fits, locked with SKIP
    /// LOCKED (replicas take the next), is written as `RunLifecycle.claimed` makes any queued run:
    /// its fields come from that pure transition, and `state = queued` is its one condition.
    private func claimAtOnce(owner: String, instance: String?, lease: Double, labels: Set<String>?, freeMemory: Int) async throws -> StoredRun? {
        let now = now()
        var lifecycle = RunLifecycle(RunRecord(state: .queued))
        guard lifecycle.claimed(by: owner, at: now, leaseUntil: now + lease) == .write else { return nil }
        let claimed = lifecycle.run
        let holdsName: SQLQueryString =
            instance.map { "AND EXISTS (SELECT 1 FROM workers WHERE name = \(bind: owner) AND instance = \(bind: $0) AND stopped = 0)" } ?? ""
        // A run fits when the worker has every label it requires.
        let offered = try labels.map { String(decoding: try JSONEncoder().encode($0.sorted()), as: UTF8.self) }
        let fits: SQLQueryString = offered.map { "AND CAST(requires AS jsonb) <@ CAST(\(bind: $0) AS jsonb)" } ?? ""
        return try await connections.withDatabase { database in
            try await database.raw(
                """
                UPDATE runs SET state = \(bind: claimed.state.rawValue), owner = \(bind: claimed.owner), lease_expires_at = \(bind: claimed.leaseExpiresAt),
                    started_at = \(bind: claimed.startedAt), reason = \(bind: claimed.reason), updated_at = \(bind: now), version = version + 1
                WHERE id = (
                    SELECT id FROM runs WHERE state = \(unsafeRaw: RunState.queued.sql) AND (not_before IS NULL OR not_before <= \(bind: now))
                    AND memory <= \(bind: freeMemory) \(fits) \(holdsName)
                    ORDER BY priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED
                ) AND state = \(unsafeRaw: RunState.queued.sql)
                RETURNING \(unsafeRaw: StoredRun.columns)
                """
            ).first().map(StoredRun.init)
        }
    }

    /// What is due in the queue: how many runs, and the newest; a change means there may be
    /// something new for a worker to take.
    public struct QueueFingerprint: Sendable, Equatable {
        public var count: Int
        public var newest: Int
    }

    /// The queue's `QueueFingerprint` now, in one read.
    public func queuedFingerprint() async throws -> QueueFingerprint {
        try await connections.withDatabase { database in
            let row = try await database.raw(
                """
                SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS newest FROM runs WHERE state = \(unsafeRaw: RunState.queued.sql)
                AND (not_before IS NULL OR not_before <= \(bind: now()))
                """
            ).first()
            return QueueFingerprint(
                count: try row?.decode(column: "n", as: Int.self) ?? 0,
                newest: try row?.decode(column: "newest", as: Int.self) ?? 0
            )
        }
    }

    /// Asks run `id` to stop: a queued run is cancelled at once; a running one is marked, and
    /// its holder stops it when it next renews its lease (within a second).
    public func requestCancel(_ id: Int, by who: String) async throws -> Transition? {
        let now = now()
        return try await transition(id) { $0.cancelRequested(at: now, by: who) }
    }

    /// The holder of `runs` (id and attempt) renews their leases until `lease` seconds from now.
    /// Returns each run's transition: `writeAndStop` for a run asked to cancel, a refusal for one
    /// that is no longer the holder's (it must abandon it).
    public func renewLeases(owner: String, runs: [(id: Int, attempt: Int)], lease: Double) async throws -> [Int: Transition] {
        var results: [Int: Transition] = [:]
        for run in runs {
            let until = now() + lease
            if let transition = try await transition(run.id, { $0.renewed(by: owner, attempt: run.attempt, leaseUntil: until) }) {
                results[run.id] = transition
            }
        }
        return results
    }

    /// Records how the holder's attempt ended, with what it `measured` (`saveMeasures`, once the end
    /// is written); refused (and not applied) when the attempt is no longer the current one or the
    /// run is not the holder's.
    ///
    /// On PostgreSQL the usual end — the holder's, of a run nobody asked to stop — is one statement:
    /// its fields are what `RunLifecycle.finished` makes of such a run, and that is its condition;
    /// any other goes through `transition`, which decides on the run as it is.
    @discardableResult
    public func finish(
        _ id: Int,
        owner: String,
        attempt: Int,
        as status: RunStatus,
        reason: String? = nil,
        failure: RunFailure? = nil,
        measured: [Measure] = []
    ) async throws -> Transition? {
        let now = now()
        let event = { @Sendable (lifecycle: inout RunLifecycle) in
            lifecycle.finished(by: owner, attempt: attempt, status: status, reason: reason, failure: failure, at: now)
        }
        if connections.dialect == .postgres,
            let ended = try await finishAtOnce(id, owner: owner, attempt: attempt, event, measured: measured, at: now)
        {
            return ended
        }
        let transition = try await transition(id, event)
        if let ended = transition?.run, transition?.action == .write, !measured.isEmpty {
            try await saveMeasures(measured, run: id, project: ended.project, job: ended.job, cell: ended.cell)
        }
        return transition
    }

    /// `finish` in one PostgreSQL statement for a run `owner` holds on `attempt` and nobody asked to
    /// stop, with its measurements; nil when the run is not that (then `transition` decides).
    private func finishAtOnce(
        _ id: Int,
        owner: String,
        attempt: Int,
        _ event: (inout RunLifecycle) -> RunLifecycle.Action,
        measured: [Measure],
        at now: Double
    ) async throws -> Transition? {
        var lifecycle = RunLifecycle(RunRecord(state: .running, attempt: attempt, owner: owner))
        let action = event(&lifecycle)
        guard action == .write else { return nil }
        let ended = lifecycle.run
        var query: SQLQueryString = """
            WITH ended AS (UPDATE runs SET state = \(bind: ended.state.rawValue), reason = \(bind: ended.reason), finished_at = \(bind: ended.finishedAt),
                lease_expires_at = \(bind: ended.leaseExpiresAt), error_code = \(bind: ended.failure?.code.rawValue),
                error_kind = \(bind: ended.failure?.kind.rawValue), failed_task = \(bind: ended.failure?.task), updated_at = \(bind: now), version = version + 1
            WHERE id = \(bind: id) AND state = \(unsafeRaw: RunState.running.sql) AND owner = \(bind: owner) AND attempt = \(bind: attempt)
                AND cancel_requested = 0
            RETURNING \(unsafeRaw: StoredRun.columns))
            """
        let kept = Measure.lastOfEachName(measured)
        if !kept.isEmpty {
            query.appendInterpolation(
                unsafeRaw:
                    ", measured AS (INSERT INTO measures (run_id, project, job, cell, name, value, unit) SELECT ended.id, ended.project, ended.job, COALESCE(ended.cell, ''), v.name, v.value, v.unit FROM ended, (VALUES "
            )
            query.appendRows(kept.map { [$0.name, $0.value, $0.unit] })
            query.appendInterpolation(unsafeRaw: ") AS v(name, value, unit) \(Self.measureUpsert))")
        }
        query.appendInterpolation(unsafeRaw: " SELECT * FROM ended")
        let finished = query
        let row = try await connections.withDatabase { database in try await database.raw(finished).first().map(StoredRun.init) }
        return row.map { Transition(run: $0, action: action) }
    }

    /// Requeues (or ends) every running run whose holder's lease ran out; returns what was done.
    @discardableResult
    public func reapExpiredLeases() async throws -> [Transition] {
        let now = now()
        let expired = try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT id FROM runs WHERE state = \(unsafeRaw: RunState.running.sql) AND (lease_expires_at IS NULL OR lease_expires_at < \(bind: now))
                """
            ).all().map { try $0.decode(column: "id", as: Int.self) }
        }
        return try await lost(expired) { $0.leaseExpired(at: now) }
    }

    /// Applies `holderLost` to each of `ids` for which `stillLost` holds on its current version.
    private func lost(_ ids: [Int], _ stillLost: @escaping @Sendable (RunLifecycle) -> Bool) async throws -> [Transition] {
        let now = now()
        var done: [Transition] = []
        for id in ids {
            let transition = try await transition(id) { lifecycle in
                guard stillLost(lifecycle) else { return .none }
                return lifecycle.holderLost(at: now)
            }
            if let transition, transition.action == .write { done.append(transition) }
        }
        return done
    }
}
