import Foundation
public import HangarCore
import SQLKit

/// A signature as the store keeps it: where it came from and when it last changed.
public struct StoredSignature: Sendable, Equatable {
    public var signature: Signature
    /// `api`, or `file` for one read from the server's signatures folder (it is changed there).
    public var source: String
    public var updatedAt: Double
}

/// Failed runs per day, and how many of them a signature explained.
public struct ClassificationDay: Sendable, Equatable {
    /// `YYYY-MM-DD` (UTC).
    public var day: String
    public var failed: Int
    public var classified: Int

    public init(day: String, failed: Int, classified: Int) {
        self.day = day
        self.failed = failed
        self.classified = classified
    }
}

extension RunStore {
    /// The states of runs that ended badly (`RunState.endedBadly`): the ones classification looks at.
    static let failedStates = RunState.endedBadly.sqlList

    public func signatures() async throws -> [StoredSignature] {
        try await connections.withDatabase { database in
            try await database.raw("SELECT name, body, source, updated_at FROM signatures ORDER BY name").all().map(Self.signature)
        }
    }

    public func signature(named name: String) async throws -> StoredSignature? {
        try await connections.withDatabase { database in
            try await database.raw("SELECT name, body, source, updated_at FROM signatures WHERE name = \(bind: name)").first().map(Self.signature)
        }
    }

    /// Adds `signature` or replaces the one of its name.
    public func saveSignature(_ signature: Signature, source: String) async throws {
        try await connections.withDatabase { [self] database in try await upsert(signature, source: source, on: database) }
    }

    /// Makes the file signatures exactly `signatures` (a signatures folder read again), in one
    /// transaction; signatures added through the API are left alone unless a file names them.
    public func replaceFileSignatures(_ signatures: [Signature]) async throws {
        try await connections.transaction { [self] database in
            let kept = Set(signatures.map(\.name))
            for old in try await database.raw("SELECT name FROM signatures WHERE source = 'file'").all() {
                let name = try old.decode(column: "name", as: String.self)
                if !kept.contains(name) { try await database.raw("DELETE FROM signatures WHERE name = \(bind: name)").run() }
            }
            for signature in signatures { try await upsert(signature, source: "file", on: database) }
        }
    }

    /// Removes signature `name` (the runs it matched keep their matches); false when there was none.
    public func deleteSignature(named name: String) async throws -> Bool {
        try await connections.withDatabase { database in
            let gone = try await database.raw("DELETE FROM signatures WHERE name = \(bind: name) RETURNING name").all()
            return !gone.isEmpty
        }
    }

    private func upsert(_ signature: Signature, source: String, on database: any SQLDatabase) async throws {
        let body = String(decoding: try JSONEncoder.sorted.encode(signature), as: UTF8.self)
        try await database.raw(
            """
            INSERT INTO signatures (name, body, source, updated_at) VALUES (\(bind: signature.name), \(bind: body), \(bind: source), \(bind: now()))
            ON CONFLICT (name) DO UPDATE SET body = excluded.body, source = excluded.source, updated_at = excluded.updated_at
            """
        ).run()
    }

    private static func signature(_ row: any SQLRow) throws -> StoredSignature {
        StoredSignature(
            signature: try JSONDecoder().decode(Signature.self, from: Data(try row.decode(column: "body", as: String.self).utf8)),
            source: try row.decode(column: "source", as: String.self),
            updatedAt: try row.decode(column: "updated_at", as: Double.self)
        )
    }

    /// Keeps `matches` as run `id`'s matches of the signatures `names` (all of the run's, when nil),
    /// replacing what was kept for them, in one transaction.
    public func saveMatches(_ matches: [SignatureMatch], run id: Int, replacing names: [String]? = nil) async throws {
        let now = now()
        try await connections.transaction { database in
            if let names {
                for name in names { try await database.raw("DELETE FROM run_matches WHERE run_id = \(bind: id) AND signature = \(bind: name)").run() }
            } else {
                try await database.raw("DELETE FROM run_matches WHERE run_id = \(bind: id)").run()
            }
            for match in matches {
                try await database.raw(
                    """
                    INSERT INTO run_matches (run_id, signature, kind, issue, line, text, matched_at)
                    VALUES (\(bind: id), \(bind: match.signature), \(bind: match.kind.rawValue), \(bind: match.issue), \(bind: match.line), \(bind: match.text), \(bind: now))
                    """
                ).run()
            }
        }
    }

    /// The signatures that explain run `id`, by the line they matched.
    public func matches(run id: Int) async throws -> [SignatureMatch] {
        try await connections.withDatabase { database in
            try await database.raw("SELECT signature, kind, issue, line, text FROM run_matches WHERE run_id = \(bind: id) ORDER BY line, signature")
                .all().map { row in
                    SignatureMatch(
                        signature: try row.decode(column: "signature", as: String.self),
                        kind: Signature.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .knownBug,
                        issue: try row.decode(column: "issue", as: String?.self),
                        line: try row.decode(column: "line", as: Int.self),
                        text: try row.decode(column: "text", as: String.self)
                    )
                }
        }
    }

    /// Runs that ended in one of `states` since `since` (seconds since 1970), newest first.
    public func endedRuns(since: Double, states: [RunState] = RunState.endedBadly, limit: Int = 10_000) async throws -> [StoredRun] {
        try await connections.withDatabase { database in
            var query: SQLQueryString = "SELECT \(unsafeRaw: StoredRun.columns) FROM runs WHERE finished_at >= \(bind: since) AND state IN ("
            for (index, state) in states.enumerated() {
                query.appendInterpolation(unsafeRaw: index == 0 ? "" : ", ")
                query.appendInterpolation(bind: state.rawValue)
            }
            query.appendInterpolation(unsafeRaw: ") ORDER BY id DESC LIMIT \(max(0, limit))")
            return try await database.raw(query).all().map(StoredRun.init)
        }
    }

    /// Runs that ended badly and that no signature explains, newest first.
    public func unclassifiedRuns(limit: Int = 50) async throws -> [StoredRun] {
        try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT \(unsafeRaw: StoredRun.columns) FROM runs WHERE state IN \(unsafeRaw: Self.failedStates)
                AND NOT EXISTS (SELECT 1 FROM run_matches WHERE run_matches.run_id = runs.id)
                ORDER BY id DESC LIMIT \(literal: max(0, limit))
                """
            ).all().map(StoredRun.init)
        }
    }

    /// For each of the last `days` days (UTC, oldest first) with failed runs: how many failed and
    /// how many of those a signature explains.
    public func classificationRate(days: Int) async throws -> [ClassificationDay] {
        let since = (now() / 86_400).rounded(.down) * 86_400 - Double(days - 1) * 86_400
        let rows = try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT finished_at, EXISTS (SELECT 1 FROM run_matches WHERE run_matches.run_id = runs.id) AS classified
                FROM runs WHERE state IN \(unsafeRaw: Self.failedStates) AND finished_at >= \(bind: since)
                """
            ).all().map { row in
                (
                    day: Int(try row.decode(column: "finished_at", as: Double.self) / 86_400),
                    classified: try row.decode(column: "classified", as: Bool.self)
                )
            }
        }
        return Dictionary(grouping: rows, by: \.day).sorted { $0.key < $1.key }.map { day, runs in
            let date = Date(timeIntervalSince1970: Double(day) * 86_400)
            return ClassificationDay(day: String(date.ISO8601Format().prefix(10)), failed: runs.count, classified: runs.filter(\.classified).count)
        }
    }

    /// The automatic retry of run `id`, if one was queued.
    public func retry(of id: Int) async throws -> StoredRun? {
        try await connections.withDatabase { database in
            try await database.raw("SELECT \(unsafeRaw: StoredRun.columns) FROM runs WHERE retry_of = \(bind: id) ORDER BY id LIMIT 1").first()
                .map(StoredRun.init)
        }
    }
}

extension RunStore {
    /// For each signature that explains a run: how many, and when the last of them ended.
    public func signatureHits() async throws -> [String: (runs: Int, last: Double)] {
        try await connections.withDatabase { database in
            let rows = try await database.raw(
                """
                SELECT signature, COUNT(*) AS runs, MAX(runs.finished_at) AS last FROM run_matches JOIN runs ON runs.id = run_matches.run_id
                GROUP BY signature
                """
            ).all()
            var hits: [String: (runs: Int, last: Double)] = [:]
            for row in rows {
                hits[try row.decode(column: "signature", as: String.self)] = (
                    try row.decode(column: "runs", as: Int.self), try row.decode(column: "last", as: Double.self)
                )
            }
            return hits
        }
    }
}

extension RunStore {
    /// How many runs each signature explained on each of the last `days` days (UTC), oldest first.
    public func signatureHitsPerDay(days: Int) async throws -> [String: [Int]] {
        let since = (now() / 86_400).rounded(.down) * 86_400 - Double(days - 1) * 86_400
        let rows = try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT signature, runs.finished_at AS finished FROM run_matches JOIN runs ON runs.id = run_matches.run_id
                WHERE runs.finished_at >= \(bind: since)
                """
            ).all().map { row in (try row.decode(column: "signature", as: String.self), try row.decode(column: "finished", as: Double.self)) }
        }
        var hits: [String: [Int]] = [:]
        for (signature, finished) in rows {
            let day = min(days - 1, Int((finished - since) / 86_400))
            hits[signature, default: Array(repeating: 0, count: days)][day] += 1
        }
        return hits
    }
}
