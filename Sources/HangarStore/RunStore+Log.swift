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

extension RunStore {
    /// Stores log lines starting at line `offset`; returns how many lines the run's log now has.
    ///
    /// Lines the store already has are skipped (`ON CONFLICT DO NOTHING`, in SQLite and PostgreSQL
    /// alike); a batch that would leave a gap is refused. It is one transaction, so a crash leaves a
    /// gap-free prefix and the resend fills in the rest.
    public func appendLog(run id: Int, by holder: RunHolder, offset: Int, lines: [String]) async throws -> Int {
        try await asHolder(holder, of: id) { [self] database in
            let have = try await lineCount(run: id, on: database)
            guard offset <= have else {
                throw HangarError(
                    "log.gap",
                    "log batch for run \(id) starts at line \(offset), but only \(have) lines are stored",
                    hint: "resend from line \(have)"
                )
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
            return try await lineCount(run: id, on: database)
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

    private func lineCount(run id: Int, on database: any SQLDatabase) async throws -> Int {
        try await database.raw("SELECT COUNT(*) AS n FROM log_lines WHERE run_id = \(bind: id)").first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Runs `body` in a transaction that holds run `id`'s row, if `holder` still holds the run.
    func asHolder<T: Sendable>(_ holder: RunHolder, of id: Int, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await connections.transaction { [self] database in
            guard
                let run = try await database.raw(
                    """
                    SELECT \(unsafeRaw: StoredRun.columns) FROM runs WHERE id = \(bind: id)\(unsafeRaw: connections.dialect.lockRows)
                    """
                ).first().map(StoredRun.init)
            else { throw HangarError("run.unknown", "there is no run \(id)") }
            if case .refuse(let why) = RunLifecycle(run.record).reported(by: holder.owner, attempt: holder.attempt) {
                throw HangarError("run.stale", "run \(id) refused a write from \(holder.owner) (attempt \(holder.attempt)): \(why)")
            }
            return try await body(database)
        }
    }
}

extension RunStore {
    /// Throws `run.stale` unless `holder` holds run `id` now.
    public func checkHolder(_ id: Int, _ holder: RunHolder) async throws {
        try await asHolder(holder, of: id) { _ in }
    }
}
