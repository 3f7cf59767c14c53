import Foundation
public import HangarCore
import SQLKit

/// Who writes to a run: its holder, for one attempt. A write from anyone else (an attempt that was
/// requeued, a replica that lost its lease) is refused with `run.stale`, never applied.
public struct RunHolder: Sendable, Equatable {
    public var owner: String
    public var attempt: Int

    public init(owner: String, attempt: Int) {
        self.owner = owner
        self.attempt = attempt
    }
}

/// One line of a run's log.
public struct LogLine: Sendable, Equatable {
    /// 0-based.
    public var number: Int
    public var text: String
    /// When the coordinator received it (seconds since 1970); nil for lines stored before it was kept.
    public var at: Double?

    public init(number: Int, text: String, at: Double? = nil) {
        self.number = number
        self.text = text
        self.at = at
    }

    init(_ row: any SQLRow) throws {
        number = try row.decode(column: "line", as: Int.self)
        text = try row.decode(column: "text", as: String.self)
        at = try row.decode(column: "at", as: Double?.self)
    }
}

extension RunStore {
    /// One thing a run's holder reports.
    public enum Report: Sendable, Equatable {
        /// Log lines, following the ones before them.
        case lines([String])
        /// Task `position` started.
        case taskStarted(position: Int, title: String)
        /// Task `position` ended.
        case taskFinished(position: Int, status: RunStatus, error: String?, code: HangarError.Code? = nil)
    }

    /// Stores what `holder` reports, in one transaction, its first log line being line `offset`;
    /// returns how many lines the run's log now has. Refused (`run.stale`) unless `holder` holds the run.
    ///
    /// Lines the store already has are skipped (`ON CONFLICT DO NOTHING`, in SQLite and PostgreSQL
    /// alike), and so are task events it has; a batch that would leave a gap in the log is refused
    /// (`log.gap`). A resend is therefore harmless, and a crash leaves nothing half-written.
    ///
    /// On PostgreSQL a batch is usually one statement (`reportAtOnce`); one it does not take, or
    /// refuses, goes through the transaction below, which says exactly why.
    public func report(run id: Int, by holder: RunHolder, offset: Int, _ reports: [Report]) async throws -> Int {
        let now = now()
        if connections.dialect == .postgres, let count = try await reportAtOnce(run: id, by: holder, offset: offset, reports, at: now) {
            return count
        }
        return try await asHolder(holder, of: id) { [self] database, run in
            let have = run.logLines
            guard offset <= have else {
                throw HangarError(
                    .logGap,
                    "log batch for run \(id) starts at line \(offset), but only \(have) lines are stored",
                    hint: "resend from line \(have)"
                )
            }
            var next = offset
            for report in reports {
                switch report {
                case .lines(let lines):
                    try await insert(lines, from: next, have: have, run: id, on: database)
                    next += lines.count
                case .taskStarted(let position, let title):
                    try await database.raw(
                        """
                        INSERT INTO tasks (run_id, position, title, started_at) VALUES (\(bind: id), \(bind: position), \(bind: title), \(bind: now))
                        ON CONFLICT (run_id, position) DO NOTHING
                        """
                    ).run()
                case .taskFinished(let position, let status, let error, let code):
                    try await database.raw(
                        """
                        UPDATE tasks SET status = \(bind: status.rawValue), error = \(bind: error), error_code = \(bind: code?.rawValue), finished_at = \(bind: now)
                        WHERE run_id = \(bind: id) AND position = \(bind: position) AND finished_at IS NULL
                        """
                    ).run()
                }
            }
            // Only the holder writes the log, and it holds the run's row: nobody added lines meanwhile.
            // The count is not part of the run's lifecycle: its version stays.
            if next > have { try await database.raw("UPDATE runs SET log_lines = \(bind: next) WHERE id = \(bind: id)").run() }
            return max(have, next)
        }
    }

    /// `report` in one PostgreSQL statement: data-modifying CTEs that move the run's line count on,
    /// only where `holder` holds the run (state, attempt and owner, as `RunLifecycle.reported`
    /// decides) and the batch leaves no gap, and insert the lines and task events only then. Nil
    /// when it wrote nothing (a refusal, a gap: the transaction says which) or does not take the
    /// batch (a task that starts and ends in it: CTEs do not see each other's rows; very many lines).
    private func reportAtOnce(run id: Int, by holder: RunHolder, offset: Int, _ reports: [Report], at now: Double) async throws -> Int? {
        var lines: [String] = []
        var started: [(position: Int, title: String)] = []
        var finished: [(position: Int, status: RunStatus, error: String?, code: HangarError.Code?)] = []
        for report in reports {
            switch report {
            case .lines(let more): lines += more
            case .taskStarted(let position, let title): started.append((position, title))
            case .taskFinished(let position, let status, let error, let code): finished.append((position, status, error, code))
            }
        }
        guard lines.count <= 1000, !finished.contains(where: { task in started.contains { $0.position == task.position } }) else { return nil }
        var query: SQLQueryString = """
            WITH held AS (UPDATE runs SET log_lines = GREATEST(log_lines, \(bind: offset + lines.count))
            WHERE id = \(bind: id) AND state = \(unsafeRaw: RunState.running.sql) AND attempt = \(bind: holder.attempt) AND owner = \(bind: holder.owner)
            AND log_lines >= \(bind: offset) RETURNING id, log_lines)
            """
        if !lines.isEmpty {
            query.appendInterpolation(
                unsafeRaw: ", new_lines AS (INSERT INTO log_lines (run_id, line, text, at) SELECT held.id, v.line, v.text, v.at FROM held, (VALUES "
            )
            query.appendRows(lines.enumerated().map { [offset + $0.offset, $0.element, now] })
            query.appendInterpolation(unsafeRaw: ") AS v(line, text, at) ON CONFLICT (run_id, line) DO NOTHING)")
        }
        for (number, task) in started.enumerated() {
            query.appendInterpolation(unsafeRaw: ", started_\(number) AS (INSERT INTO tasks (run_id, position, title, started_at) SELECT held.id, ")
            query.appendInterpolation(binds: [task.position, task.title, now] as [any Encodable & Sendable])
            query.appendInterpolation(unsafeRaw: " FROM held ON CONFLICT (run_id, position) DO NOTHING)")
        }
        for (number, task) in finished.enumerated() {
            let parts: [(String, any Encodable & Sendable)] = [
                (", finished_\(number) AS (UPDATE tasks SET status = ", task.status.rawValue), (", error = ", task.error),
                (", error_code = ", task.code?.rawValue), (", finished_at = ", now), (" WHERE run_id = ", id), (" AND position = ", task.position),
            ]
            for (text, value) in parts {
                query.appendInterpolation(unsafeRaw: text)
                query.appendInterpolation(bind: value)
            }
            query.appendInterpolation(unsafeRaw: " AND finished_at IS NULL AND EXISTS (SELECT 1 FROM held))")
        }
        query.appendInterpolation(unsafeRaw: " SELECT log_lines FROM held")
        let finishedQuery = query
        return try await connections.withDatabase { database in
            try await database.raw(finishedQuery).first()?.decode(column: "log_lines", as: Int.self)
        }
    }

    /// Stores log lines starting at line `offset` (a report of lines only).
    public func appendLog(run id: Int, by holder: RunHolder, offset: Int, lines: [String]) async throws -> Int {
        try await report(run: id, by: holder, offset: offset, [.lines(lines)])
    }

    /// Inserts the lines of `lines` (the first being line `first`) the log does not have yet.
    private func insert(_ lines: [String], from first: Int, have: Int, run id: Int, on database: any SQLDatabase) async throws {
        let received = now()
        let new = Array(lines.enumerated().filter { first + $0.offset >= have })
        for start in stride(from: 0, to: new.count, by: 1000) {
            var query = SQLQueryString("INSERT INTO log_lines (run_id, line, text, at) VALUES ")
            query.appendRows(new[start..<min(start + 1000, new.count)].map { [id, first + $0.offset, $0.element, received] })
            query.appendInterpolation(unsafeRaw: " ON CONFLICT (run_id, line) DO NOTHING")
            try await database.raw(query).run()
        }
    }

    /// Log lines `from` (inclusive), at most `limit`.
    public func log(run id: Int, from: Int = 0, limit: Int = 10_000) async throws -> [String] {
        try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT text FROM log_lines WHERE run_id = \(bind: id) AND line >= \(bind: from) ORDER BY line LIMIT \(bind: limit)
                """
            ).all().map { try $0.decode(column: "text", as: String.self) }
        }
    }

    /// Log lines `from` (inclusive), at most `limit`, with their numbers and when they arrived.
    public func logLines(run id: Int, from: Int = 0, limit: Int = 10_000) async throws -> [LogLine] {
        try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT line, text, at FROM log_lines WHERE run_id = \(bind: id) AND line >= \(bind: from) ORDER BY line LIMIT \(bind: limit)
                """
            ).all().map(LogLine.init)
        }
    }

    /// The lines of run `id`'s log that contain `text` (ignoring case), at most `limit`.
    public func searchLog(run id: Int, for text: String, limit: Int = 1_000) async throws -> [LogLine] {
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
        return try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT line, text, at FROM log_lines WHERE run_id = \(bind: id) AND LOWER(text) LIKE LOWER(\(bind: "%\(escaped)%")) ESCAPE '\\'
                ORDER BY line LIMIT \(bind: limit)
                """
            ).all().map(LogLine.init)
        }
    }

    /// How many lines run `id`'s log has.
    public func lineCount(run id: Int) async throws -> Int {
        try await connections.withDatabase { database in
            try await database.raw("SELECT log_lines FROM runs WHERE id = \(bind: id)").first()?.decode(column: "log_lines", as: Int.self) ?? 0
        }
    }

    /// Runs `body` with the run as it is in a transaction that holds run `id`'s row, if `holder`
    /// still holds the run.
    func asHolder<T: Sendable>(
        _ holder: RunHolder,
        of id: Int,
        _ body: @escaping @Sendable (any SQLDatabase, StoredRun) async throws -> T
    ) async throws -> T {
        try await connections.transaction { [self] database in
            guard
                let run = try await database.raw(
                    """
                    SELECT \(unsafeRaw: StoredRun.columns) FROM runs WHERE id = \(bind: id)\(unsafeRaw: connections.dialect.lockRows)
                    """
                ).first().map(StoredRun.init)
            else { throw HangarError(.runUnknown, "there is no run \(id)") }
            if case .refuse(let why) = RunLifecycle(run.record).reported(by: holder.owner, attempt: holder.attempt) {
                throw HangarError(.runStale, "run \(id) refused a write from \(holder.owner) (attempt \(holder.attempt)): \(why)")
            }
            return try await body(database, run)
        }
    }
}

extension RunStore {
    /// Throws `run.stale` unless `holder` holds run `id` now.
    public func checkHolder(_ id: Int, _ holder: RunHolder) async throws {
        try await asHolder(holder, of: id) { _, _ in }
    }
}
