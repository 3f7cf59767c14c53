public import Foundation
public import HangarCore
import SQLKit

/// Runs, logs, tasks, tokens, schedules and deliveries over SQL: one code path for SQLite (the
/// default, a file in the state folder) and PostgreSQL (any number of server replicas on one
/// database). Every change of a run's state is a `RunLifecycle` transition written with a
/// compare-and-set (`RunStore+Lifecycle.swift`).
///
/// Log uploads follow LAVA's rule: a batch carries the index of its first line, the store keeps
/// only lines it does not have, and answers how many it has, so a resend never duplicates.
public final class RunStore: Sendable {
    let connections: Connections
    /// The time now, in seconds since 1970 (injected so tests choose it).
    public let now: @Sendable () -> Double
    /// Tokens looked up in the last second, so a burst of requests costs one query.
    let tokenCache = TokenCache()

    private init(connections: Connections, now: @escaping @Sendable () -> Double) {
        self.connections = connections
        self.now = now
    }

    /// Opens (creating if needed) the database at `location` and migrates it.
    public static func open(
        _ location: DatabaseLocation,
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) async throws
        -> RunStore
    {
        let connections = try await Connections.open(location)
        do {
            if connections.dialect == .sqlite {
                try await connections.withDatabase { database in
                    try await database.raw("PRAGMA journal_mode=WAL").run()
                    // In WAL mode NORMAL loses no committed data on a process crash (only, at worst, the last
                    // commits on a power loss) and spares an fsync per statement.
                    try await database.raw("PRAGMA synchronous=NORMAL").run()
                    try await database.raw("PRAGMA foreign_keys=ON").run()
                    // Another process (`hangar token create` beside a server) waits instead of failing.
                    try await database.raw("PRAGMA busy_timeout=5000").run()
                }
            }
            try await Migrations.apply(to: connections)
        } catch {
            try? await connections.close()
            throw error
        }
        return RunStore(connections: connections, now: now)
    }

    /// Opens the SQLite database at `path`.
    public static func openSQLite(path: String) async throws -> RunStore { try await open(.sqlite(path: path)) }

    /// Where the data is, without secrets: for messages.
    public var location: DatabaseLocation { connections.location }

    /// The time now by the store's clock (seconds since 1970).
    public func time() -> Double { now() }

    /// Closes the database. Call before exiting: an open SQLite connection crashes debug builds at exit.
    public func close() async throws { try await connections.close() }

    /// Adds a run: queued, or (for a schedule whose image did not change) already `skipped`, in one
    /// statement (two, in one transaction, for a cell that starts a group of its own).
    public func enqueue(_ run: NewRun, skipped reason: String? = nil) async throws -> StoredRun {
        try await enqueue([run], skipped: reason)[0]
    }

    /// Queues `runs` in one transaction: all or none. The cells of one project's job among them form
    /// a group (`StoredRun.group`, its first run's id), unless they name one to join (`NewRun.group`).
    /// With `skipped`, they are recorded ended `skipped` for that reason instead.
    /// A single run that starts no group is one statement, without a transaction around it.
    public func enqueue(_ runs: [NewRun], skipped reason: String? = nil) async throws -> [StoredRun] {
        if runs.count == 1, runs[0].cell == nil || runs[0].group != nil {
            return try await connections.withDatabase { [self] database in try await insert(into: database, runs, skipped: reason) }
        }
        return try await connections.transaction { [self] database in try await insert(into: database, runs, skipped: reason) }
    }

    /// Inserts `runs` on `database` (a transaction's), grouping the cells of each project's job.
    func insert(into database: any SQLDatabase, _ runs: [NewRun], skipped reason: String? = nil) async throws -> [StoredRun] {
        var groups: [String: Int] = [:]
        var inserted: [StoredRun] = []
        for run in runs {
            let key = "\(run.project)\n\(run.job)"
            var stored = try await insert(into: database, run, skipped: reason, group: run.group ?? (run.cell == nil ? nil : groups[key]))
            if run.cell != nil, run.group == nil, groups[key] == nil {
                // The group is named by its first run, whose id is known only now.
                try await database.raw("UPDATE runs SET group_id = \(bind: stored.id) WHERE id = \(bind: stored.id)").run()
                stored.group = stored.id
                groups[key] = stored.id
            }
            inserted.append(stored)
        }
        return inserted
    }

    /// The runs of group `id`, in the order they were queued.
    public func group(_ id: Int) async throws -> [StoredRun] {
        try await connections.withDatabase { database in
            try await database.raw("SELECT \(unsafeRaw: StoredRun.columns) FROM runs WHERE group_id = \(bind: id) ORDER BY id").all().map(
                StoredRun.init
            )
        }
    }

    /// Adds a queued run of `job` (tests and tools; the server goes through `enqueue(_:)`).
    public func enqueue(
        project: String,
        job: String,
        parameters: [String: String] = [:],
        priority: Int = 0,
        maxAttempts: Int = 2,
        skipped reason: String? = nil
    ) async throws -> StoredRun {
        var run = NewRun(project: project, job: job, parameters: parameters, maxAttempts: maxAttempts)
        run.priority = priority
        return try await enqueue(run, skipped: reason)
    }

    /// Inserts a run on `database` into `group`.
    private func insert(into database: any SQLDatabase, _ run: NewRun, skipped reason: String?, group: Int?) async throws -> StoredRun {
        let now = now()
        let parameters = String(decoding: try JSONEncoder.sorted.encode(run.parameters), as: UTF8.self)
        let requires = String(decoding: try JSONEncoder.sorted.encode(run.requires.sorted()), as: UTF8.self)
        let keep = try run.keep.map { String(decoding: try JSONEncoder.sorted.encode($0), as: UTF8.self) }
        let state = reason == nil ? RunState.queued : .skipped
        let finished: Double? = reason == nil ? nil : now
        // RETURNING, not the last inserted id: another statement may run in between.
        let row = try await database.raw(
            """
            INSERT INTO runs (project, job, state, priority, max_attempts, parameters, reason, created_at, updated_at, finished_at, requires, memory, cause,
                not_before, retry_of, automatic_retries, started_by, group_id, cell, keep)
            VALUES (\(bind: run.project), \(bind: run.job), \(bind: state.rawValue), \(bind: run.priority), \(bind: run.maxAttempts),
                \(bind: parameters), \(bind: reason), \(bind: now), \(bind: now), \(bind: finished), \(bind: requires), \(bind: run.memory),
                \(bind: run.cause), \(bind: run.delay.map { now + $0 }), \(bind: run.retryOf), \(bind: run.automaticRetries), \(bind: run.trigger.rawValue),
                \(bind: group), \(bind: run.cell), \(bind: keep))
            RETURNING \(unsafeRaw: StoredRun.columns)
            """
        ).first()
        guard let row else { throw HangarError(.storeInsert, "the new run got no id") }
        return try StoredRun(row)
    }

    /// The run `id`, or nil.
    public func run(_ id: Int) async throws -> StoredRun? {
        try await connections.withDatabase { database in
            try await database.raw("SELECT \(unsafeRaw: StoredRun.columns) FROM runs WHERE id = \(bind: id)").first().map(StoredRun.init)
        }
    }

    /// Runs newest first, `limit` at a time, filtered by any of `state`, `project` and `job`; pass the
    /// last id seen as `before` for the next page (stable while new runs arrive).
    public func runs(
        state: RunState? = nil,
        project: String? = nil,
        job: String? = nil,
        trigger: RunTrigger? = nil,
        before: Int? = nil,
        after: Int? = nil,
        limit: Int = 50
    ) async throws
        -> [StoredRun]
    {
        var query: SQLQueryString = "SELECT \(unsafeRaw: StoredRun.columns) FROM runs WHERE 1 = 1"
        for (column, value) in [("state", state?.rawValue), ("project", project), ("job", job), ("started_by", trigger?.rawValue)] {
            guard let value else { continue }
            query.appendInterpolation(unsafeRaw: " AND \(column) = ")
            query.appendInterpolation(bind: value)
        }
        if let before {
            query.appendInterpolation(unsafeRaw: " AND id < ")
            query.appendInterpolation(bind: before)
        }
        if let after {
            query.appendInterpolation(unsafeRaw: " AND id > ")
            query.appendInterpolation(bind: after)
        }
        // The page just after `after` is the oldest runs above it; it is still listed newest first.
        query.appendInterpolation(unsafeRaw: after == nil ? " ORDER BY id DESC LIMIT " : " ORDER BY id ASC LIMIT ")
        query.appendInterpolation(literal: max(0, limit))
        let finished = query
        let runs = try await connections.withDatabase { database in try await database.raw(finished).all().map(StoredRun.init) }
        return after == nil ? runs : runs.reversed()
    }

    /// How many runs are in `state`.
    public func count(state: RunState) async throws -> Int {
        try await connections.withDatabase { database in
            try await database.raw("SELECT COUNT(*) AS n FROM runs WHERE state = \(bind: state.rawValue)").first()?.decode(column: "n", as: Int.self)
                ?? 0
        }
    }

}
