public import Foundation
import HangarCore
import SQLKit
import SQLiteKit

/// One run as the store keeps it.
public struct StoredRun: Sendable, Codable, Equatable {
    /// Increasing with creation, so ordering by id is stable.
    public var id: Int
    /// The project's name.
    public var project: String
    /// The job's name.
    public var job: String
    /// `queued`, `running`, or a final status.
    public var state: String
    /// Higher runs first.
    public var priority: Int
    /// 1 for the first try.
    public var attempt: Int
    /// Why it waits or how it ended, for people.
    public var reason: String?
}

/// Runs and their logs over SQL: SQLite now, written in portable SQL so PostgreSQL can follow.
///
/// Log uploads follow LAVA's rule: a batch carries the index of its first line, the store keeps
/// only lines it does not have, and answers how many it has, so a resend never duplicates.
public actor RunStore {
    private let connection: SQLiteConnection
    private let database: any SQLDatabase
    private var closed = false
    /// The columns `StoredRun` decodes from, for every query that returns runs.
    private static let columns = "id, project, job, state, priority, attempt, reason"

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

    /// Adds a queued run.
    public func enqueue(project: String, job: String, priority: Int = 0) async throws -> StoredRun {
        let now = Date().timeIntervalSince1970
        // RETURNING, not lastAutoincrementID: another call on this actor may run in between.
        let row = try await database.raw("""
            INSERT INTO runs (project, job, state, priority, created_at, updated_at)
            VALUES (\(bind: project), \(bind: job), 'queued', \(bind: priority), \(bind: now), \(bind: now)) RETURNING id
            """).first()
        guard let id = try row?.decode(column: "id", as: Int.self) else { throw HangarError("store.insert", "the new run got no id") }
        return StoredRun(id: id, project: project, job: job, state: "queued", priority: priority, attempt: 1, reason: nil)
    }

    /// The run `id`, or nil.
    public func run(_ id: Int) async throws -> StoredRun? {
        try await database.raw("SELECT \(unsafeRaw: Self.columns) FROM runs WHERE id = \(bind: id)")
            .first(decoding: StoredRun.self)
    }

    /// Runs newest first, `limit` at a time; pass the last id seen as `before` for the next page.
    public func runs(state: String? = nil, before: Int? = nil, limit: Int = 50) async throws -> [StoredRun] {
        var query: SQLQueryString = "SELECT \(unsafeRaw: Self.columns) FROM runs WHERE 1 = 1"
        if let state { query.appendInterpolation(unsafeRaw: " AND state = "); query.appendInterpolation(bind: state) }
        if let before { query.appendInterpolation(unsafeRaw: " AND id < "); query.appendInterpolation(bind: before) }
        query.appendInterpolation(unsafeRaw: " ORDER BY id DESC LIMIT ")
        query.appendInterpolation(literal: limit)
        return try await database.raw(query).all(decoding: StoredRun.self)
    }

    /// Marks the next queued run (highest priority, then oldest) `running` and returns it; one
    /// statement, so two dispatchers never claim the same run.
    public func claimNext() async throws -> StoredRun? {
        try await database.raw("""
            UPDATE runs SET state = 'running', updated_at = \(bind: Date().timeIntervalSince1970)
            WHERE id = (SELECT id FROM runs WHERE state = 'queued' ORDER BY priority DESC, id LIMIT 1)
            RETURNING \(unsafeRaw: Self.columns)
            """).first(decoding: StoredRun.self)
    }

    /// After a crash or restart: runs left `running` lost their worker. Each is queued again as its
    /// next attempt while it has attempts left, else ends `error`. Returns how many were requeued.
    @discardableResult
    public func recoverInterrupted(maxAttempts: Int) async throws -> Int {
        let now = Date().timeIntervalSince1970
        let requeued = try await database.raw("""
            UPDATE runs SET state = 'queued', attempt = attempt + 1, reason = 'requeued: its worker was lost', updated_at = \(bind: now)
            WHERE state = 'running' AND attempt < \(bind: maxAttempts) RETURNING id
            """).all().count
        try await database.raw("""
            UPDATE runs SET state = 'error', reason = 'its worker was lost and it has no attempts left', updated_at = \(bind: now)
            WHERE state = 'running'
            """).run()
        return requeued
    }

    /// Cancels run `id` if it is still queued; false when it is not (running, ended, or unknown).
    public func cancelQueued(_ id: Int) async throws -> Bool {
        try await database.raw("""
            UPDATE runs SET state = 'cancelled', reason = 'cancelled before it started', updated_at = \(bind: Date().timeIntervalSince1970)
            WHERE id = \(bind: id) AND state = 'queued' RETURNING id
            """).first() != nil
    }

    /// Records a state change (written before it is acted on).
    public func transition(_ id: Int, to state: String, reason: String? = nil) async throws {
        try await database.raw("""
            UPDATE runs SET state = \(bind: state), reason = \(bind: reason), updated_at = \(bind: Date().timeIntervalSince1970)
            WHERE id = \(bind: id)
            """).run()
    }

    /// Stores log lines starting at line `offset`; returns how many lines the run's log now has.
    ///
    /// Lines the store already has are skipped (`ON CONFLICT DO NOTHING`, in SQLite and PostgreSQL
    /// alike); a batch that would leave a gap is refused. Each chunk is one statement, so a crash
    /// leaves a gap-free prefix and the resend fills in the rest.
    public func appendLog(run id: Int, offset: Int, lines: [String]) async throws -> Int {
        let have = try await lineCount(run: id)
        guard offset <= have else {
            throw HangarError("log.gap", "log batch for run \(id) starts at line \(offset), but only \(have) lines are stored",
                hint: "resend from line \(have)")
        }
        let new = Array(lines.enumerated().filter { offset + $0.offset >= have })
        for start in stride(from: 0, to: new.count, by: 1000) {
            var query = SQLQueryString("INSERT INTO log_lines (run_id, line, text) VALUES ")
            for (position, (index, text)) in new[start..<min(start + 1000, new.count)].enumerated() {
                query.appendInterpolation(unsafeRaw: position == 0 ? "(" : ", (")
                query.appendInterpolation(binds: [id, offset + index, text])
                query.appendInterpolation(unsafeRaw: ")")
            }
            query.appendInterpolation(unsafeRaw: " ON CONFLICT (run_id, line) DO NOTHING")
            try await database.raw(query).run()
        }
        return try await lineCount(run: id)
    }

    /// Log lines `from` (inclusive), at most `limit`.
    public func log(run id: Int, from: Int = 0, limit: Int = 10_000) async throws -> [String] {
        try await database.raw("""
            SELECT text FROM log_lines WHERE run_id = \(bind: id) AND line >= \(bind: from) ORDER BY line LIMIT \(bind: limit)
            """).all().map { try $0.decode(column: "text", as: String.self) }
    }

    private func lineCount(run id: Int) async throws -> Int {
        try await database.raw("SELECT COUNT(*) AS n FROM log_lines WHERE run_id = \(bind: id)").first()?.decode(column: "n", as: Int.self) ?? 0
    }
}
