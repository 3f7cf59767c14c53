import HangarCore
import SQLKit

extension RunStore {
    /// Stores log lines starting at line `offset`; returns how many lines the run's log now has.
    ///
    /// Lines the store already has are skipped (`ON CONFLICT DO NOTHING`, in SQLite and PostgreSQL
    /// alike); a batch that would leave a gap is refused. Each chunk is one statement, so a crash
    /// leaves a gap-free prefix and the resend fills in the rest.
    public func appendLog(run id: Int, offset: Int, lines: [String]) async throws -> Int {
        let have = try await lineCount(run: id)
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
        return try await lineCount(run: id)
    }

    /// Log lines `from` (inclusive), at most `limit`.
    public func log(run id: Int, from: Int = 0, limit: Int = 10_000) async throws -> [String] {
        try await database.raw(
            """
            SELECT text FROM log_lines WHERE run_id = \(bind: id) AND line >= \(bind: from) ORDER BY line LIMIT \(bind: limit)
            """
        ).all().map { try $0.decode(column: "text", as: String.self) }
    }

    private func lineCount(run id: Int) async throws -> Int {
        try await database.raw("SELECT COUNT(*) AS n FROM log_lines WHERE run_id = \(bind: id)").first()?.decode(column: "n", as: Int.self) ?? 0
    }
}
