public import Foundation
public import HangarCore
import SQLKit

/// A run's kept machines as the store keeps them.
public struct StoredKept: Sendable, Equatable {
    public var run: Int
    public var project: String
    public var job: String
    public var worker: String
    public var owner: String?
    /// The machines as JSON (the API's `[KeptMachine]`; the store does not look inside).
    public var machines: String
    public var record: KeptRecord
    /// Bumped by every change, for compare-and-set writes.
    public var version: Int

    static let columns = """
        k.run_id, r.project, r.job, k.worker, k.owner, k.machines, k.state, k.kept_at, k.until, k.reason, k.version
        """

    init(_ row: any SQLRow) throws {
        run = try row.decode(column: "run_id", as: Int.self)
        project = try row.decode(column: "project", as: String.self)
        job = try row.decode(column: "job", as: String.self)
        worker = try row.decode(column: "worker", as: String.self)
        owner = try row.decode(column: "owner", as: String?.self)
        machines = try row.decode(column: "machines", as: String.self)
        version = try row.decode(column: "version", as: Int.self)
        let state = try row.decode(column: "state", as: String.self)
        guard let known = KeptState(rawValue: state) else {
            throw HangarError(.storeState, "run \(run)'s kept machines have an unknown state '\(state)'")
        }
        record = KeptRecord(
            state: known,
            keptAt: try row.decode(column: "kept_at", as: Double.self),
            until: try row.decode(column: "until", as: Double.self),
            reason: try row.decode(column: "reason", as: String?.self)
        )
    }
}

extension RunStore {
    /// Run `id`'s machines stay up on `worker` for `seconds` from now (its end). A second call
    /// (a worker's finish sent again) changes nothing.
    public func keep(run id: Int, worker: String, owner: String?, seconds: Double, machines: String) async throws {
        let now = now()
        try await connections.withDatabase { database in
            try await database.raw(
                """
                INSERT INTO kept_machines (run_id, worker, owner, machines, state, kept_at, until, version)
                VALUES (\(bind: id), \(bind: worker), \(bind: owner), \(bind: machines), \(bind: KeptState.kept.rawValue), \(bind: now),
                    \(bind: now + seconds), 1)
                ON CONFLICT (run_id) DO NOTHING
                """
            ).run()
        }
    }

    /// Run `id`'s kept machines, if it kept any.
    public func kept(run id: Int) async throws -> StoredKept? {
        try await connections.withDatabase { database in
            try await database.raw(
                "SELECT \(unsafeRaw: StoredKept.columns) FROM kept_machines k JOIN runs r ON r.id = k.run_id WHERE k.run_id = \(bind: id)"
            ).first().map(StoredKept.init)
        }
    }

    /// The kept machines that are up, and the ones destroyed since `since` (seconds since 1970),
    /// newest first.
    public func keptMachines(destroyedSince since: Double) async throws -> [StoredKept] {
        try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT \(unsafeRaw: StoredKept.columns) FROM kept_machines k JOIN runs r ON r.id = k.run_id
                WHERE k.state = \(bind: KeptState.kept.rawValue) OR k.ended_at >= \(bind: since) ORDER BY k.run_id DESC LIMIT 500
                """
            ).all().map(StoredKept.init)
        }
    }

    /// The runs whose machines the store counts as kept on `worker`.
    public func kept(on worker: String) async throws -> [Int: KeptRecord] {
        try await connections.withDatabase { database in
            var rows: [Int: KeptRecord] = [:]
            for row in try await database.raw(
                """
                SELECT run_id, kept_at, until FROM kept_machines WHERE worker = \(bind: worker) AND state = \(bind: KeptState.kept.rawValue)
                """
            ).all() {
                rows[try row.decode(column: "run_id", as: Int.self)] = KeptRecord(
                    keptAt: try row.decode(column: "kept_at", as: Double.self),
                    until: try row.decode(column: "until", as: Double.self)
                )
            }
            return rows
        }
    }

    /// Applies `event` to run `id`'s kept machines: the record as it is after (nil when the run
    /// kept none) and what the lifecycle said. A change is written with a compare-and-set on its
    /// version, with its notice as a line of the run's log, in one transaction; `check` sees the
    /// record first, and what it throws stops the change (who may make it).
    public func changeKept(
        run id: Int,
        _ event: KeptLifecycle.Event,
        check: @escaping @Sendable (StoredKept) throws -> Void = { _ in }
    ) async throws -> (kept: StoredKept, action: KeptLifecycle.Action)? {
        let now = now()
        return try await connections.transaction { [connections] database in
            guard
                var kept = try await database.raw(
                    """
                    SELECT \(unsafeRaw: StoredKept.columns) FROM kept_machines k JOIN runs r ON r.id = k.run_id
                    WHERE k.run_id = \(bind: id)\(unsafeRaw: connections.dialect.lockRows)
                    """
                ).first().map(StoredKept.init)
            else { return nil }
            try check(kept)
            var lifecycle = KeptLifecycle(kept.record)
            let action = lifecycle.apply(event, at: now)
            guard case .write(let notice) = action else { return (kept, action) }
            let record = lifecycle.record
            let written = try await database.raw(
                """
                UPDATE kept_machines SET state = \(bind: record.state.rawValue), until = \(bind: record.until), reason = \(bind: record.reason),
                    ended_at = \(bind: record.state == .kept ? nil : now), version = version + 1
                WHERE run_id = \(bind: id) AND version = \(bind: kept.version) RETURNING version
                """
            ).first()
            guard let written else { throw HangarError(.storeContention, "run \(id)'s kept machines changed meanwhile; try again") }
            kept.version = try written.decode(column: "version", as: Int.self)
            kept.record = record
            try await Self.appendNotice(notice, run: id, at: now, on: database)
            return (kept, action)
        }
    }

    /// Adds `note: notice` to the end of run `id`'s log (an ended run's: nobody else writes it).
    private static func appendNotice(_ notice: String, run id: Int, at now: Double, on database: any SQLDatabase) async throws {
        guard
            let row = try await database.raw("UPDATE runs SET log_lines = log_lines + 1 WHERE id = \(bind: id) RETURNING log_lines").first()
        else { throw HangarError(.runUnknown, "there is no run \(id)") }
        let line = try row.decode(column: "log_lines", as: Int.self) - 1
        try await database.raw(
            "INSERT INTO log_lines (run_id, line, text, at) VALUES (\(bind: id), \(bind: line), \(bind: "note: \(notice)"), \(bind: now))"
        ).run()
    }
}
