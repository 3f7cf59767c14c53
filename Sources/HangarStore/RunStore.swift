import Foundation
public import HangarCore
import SQLKit
import SQLiteKit

/// Runs and their logs over SQL: SQLite now, written in portable SQL so PostgreSQL can follow.
///
/// Log uploads follow LAVA's rule: a batch carries the index of its first line, the store keeps
/// only lines it does not have, and answers how many it has, so a resend never duplicates.
public actor RunStore {
    private let connection: SQLiteConnection
    let database: any SQLDatabase
    private var closed = false
    /// The columns `StoredRun` decodes from, for every query that returns runs.
    static let columns = "id, project, job, state, priority, attempt, max_attempts, reason, parameters, created_at, started_at, finished_at"

    private init(connection: SQLiteConnection) {
        self.connection = connection
        self.database = connection.sql()
    }

    /// Opens (creating if needed) the SQLite database at `path` in WAL mode and migrates it.
    public static func openSQLite(path: String) async throws -> RunStore {
        let connection = try await SQLiteConnection.open(storage: .file(path: path))
        let store = RunStore(connection: connection)
        do {
            try await store.database.raw("PRAGMA journal_mode=WAL").run()
            // In WAL mode NORMAL loses no committed data on a process crash (only, at worst, the last
            // commits on a power loss) and spares an fsync per statement.
            try await store.database.raw("PRAGMA synchronous=NORMAL").run()
            try await store.database.raw("PRAGMA foreign_keys=ON").run()
            try await Migrations.apply(to: store.database)
        } catch {
            try? await connection.close()
            throw error
        }
        return store
    }

    /// Closes the database. Call before exiting: an open SQLite connection crashes debug builds at exit.
    public func close() async throws {
        guard !closed else { return }
        closed = true
        try await connection.close()
    }

    /// Adds a queued run; `maxAttempts` counts the first try and the retries after a lost worker.
    public func enqueue(
        project: String,
        job: String,
        parameters: [String: String] = [:],
        priority: Int = 0,
        maxAttempts: Int = 2
    ) async throws -> StoredRun {
        let now = Date().timeIntervalSince1970
        let encoded = String(decoding: try JSONEncoder.sorted.encode(parameters), as: UTF8.self)
        // RETURNING, not lastAutoincrementID: another call on this actor may run in between.
        let row = try await database.raw(
            """
            INSERT INTO runs (project, job, state, priority, max_attempts, parameters, created_at, updated_at)
            VALUES (\(bind: project), \(bind: job), 'queued', \(bind: priority), \(bind: maxAttempts), \(bind: encoded), \(bind: now), \(bind: now))
            RETURNING \(unsafeRaw: Self.columns)
            """
        ).first()
        guard let row else { throw HangarError("store.insert", "the new run got no id") }
        return try StoredRun(row)
    }

    /// The run `id`, or nil.
    public func run(_ id: Int) async throws -> StoredRun? {
        try await database.raw("SELECT \(unsafeRaw: Self.columns) FROM runs WHERE id = \(bind: id)").first().map(StoredRun.init)
    }

    /// Runs newest first, `limit` at a time, filtered by any of `state`, `project` and `job`; pass the
    /// last id seen as `before` for the next page (stable while new runs arrive).
    public func runs(
        state: RunState? = nil,
        project: String? = nil,
        job: String? = nil,
        before: Int? = nil,
        limit: Int = 50
    ) async throws -> [StoredRun] {
        var query: SQLQueryString = "SELECT \(unsafeRaw: Self.columns) FROM runs WHERE 1 = 1"
        for (column, value) in [("state", state?.rawValue), ("project", project), ("job", job)] {
            guard let value else { continue }
            query.appendInterpolation(unsafeRaw: " AND \(column) = ")
            query.appendInterpolation(bind: value)
        }
        if let before {
            query.appendInterpolation(unsafeRaw: " AND id < ")
            query.appendInterpolation(bind: before)
        }
        query.appendInterpolation(unsafeRaw: " ORDER BY id DESC LIMIT ")
        query.appendInterpolation(literal: limit)
        return try await database.raw(query).all().map(StoredRun.init)
    }

    /// How many runs are in `state`.
    public func count(state: RunState) async throws -> Int {
        try await database.raw("SELECT COUNT(*) AS n FROM runs WHERE state = \(bind: state.rawValue)").first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Tells every queued run why it waits.
    public func explainWaiting(_ reason: String) async throws {
        try await database.raw("UPDATE runs SET reason = \(bind: reason) WHERE state = 'queued' AND (reason IS NULL OR reason <> \(bind: reason))")
            .run()
    }

    /// Marks the next queued run (highest priority, then oldest) `running` and returns it; one
    /// statement, so two dispatchers never claim the same run.
    public func claimNext() async throws -> StoredRun? {
        let now = Date().timeIntervalSince1970
        return try await database.raw(
            """
            UPDATE runs SET state = 'running', reason = NULL, started_at = \(bind: now), updated_at = \(bind: now)
            WHERE id = (SELECT id FROM runs WHERE state = 'queued' ORDER BY priority DESC, id LIMIT 1)
            RETURNING \(unsafeRaw: Self.columns)
            """
        ).first().map(StoredRun.init)
    }

    /// After a crash or restart: runs left `running` lost their worker. Each is queued again as its
    /// next attempt while it has attempts left (the job's `retries:`), else ends `error`.
    /// Returns how many were requeued.
    @discardableResult
    public func recoverInterrupted() async throws -> Int {
        let now = Date().timeIntervalSince1970
        let requeued = try await database.raw(
            """
            UPDATE runs SET state = 'queued', attempt = attempt + 1, reason = 'requeued: its worker was lost', started_at = NULL, updated_at = \(bind: now)
            WHERE state = 'running' AND attempt < max_attempts RETURNING id
            """
        ).all().count
        try await database.raw(
            """
            UPDATE runs SET state = 'error', reason = 'its worker was lost and it has no attempts left', finished_at = \(bind: now), updated_at = \(bind: now)
            WHERE state = 'running'
            """
        ).run()
        return requeued
    }

    /// Cancels run `id` if it is still queued; false when it is not (running, ended, or unknown).
    public func cancelQueued(_ id: Int) async throws -> Bool {
        let now = Date().timeIntervalSince1970
        return try await database.raw(
            """
            UPDATE runs SET state = 'cancelled', reason = 'cancelled before it started', finished_at = \(bind: now), updated_at = \(bind: now)
            WHERE id = \(bind: id) AND state = 'queued' RETURNING id
            """
        ).first() != nil
    }

    /// Records a run's end (written before it is acted on).
    public func finish(_ id: Int, as status: RunStatus, reason: String? = nil) async throws {
        let now = Date().timeIntervalSince1970
        try await database.raw(
            """
            UPDATE runs SET state = \(bind: status.rawValue), reason = \(bind: reason), finished_at = \(bind: now), updated_at = \(bind: now)
            WHERE id = \(bind: id)
            """
        ).run()
    }
}
