public import Foundation
public import HangarCore
import SQLKit

/// A worker as the store remembers it: what it last said of itself, and when.
public struct StoredWorker: Sendable, Equatable {
    /// Its status as JSON (the API's `WorkerStatus`; the store does not look inside).
    public var status: String
    public var lastSeen: Double
}

extension RunStore {
    /// Remembers what worker `name` says of itself (`status`, JSON), now.
    public func saveWorker(_ name: String, status: String) async throws {
        let now = now()
        try await connections.withDatabase { database in
            try await database.raw(
                """
                INSERT INTO workers (name, status, last_seen) VALUES (\(bind: name), \(bind: status), \(bind: now))
                ON CONFLICT (name) DO UPDATE SET status = excluded.status, last_seen = excluded.last_seen
                """
            ).run()
        }
    }

    /// Every worker seen within `seconds`, by name.
    public func workers(seenWithin seconds: Double) async throws -> [String: StoredWorker] {
        let since = now() - seconds
        return try await connections.withDatabase { database in
            var workers: [String: StoredWorker] = [:]
            for row in try await database.raw("SELECT name, status, last_seen FROM workers WHERE last_seen >= \(bind: since)").all() {
                workers[try row.decode(column: "name", as: String.self)] = StoredWorker(
                    status: try row.decode(column: "status", as: String.self),
                    lastSeen: try row.decode(column: "last_seen", as: Double.self)
                )
            }
            return workers
        }
    }

    /// The runs `owner` holds, with their attempts.
    public func held(by owner: String) async throws -> [(id: Int, attempt: Int)] {
        try await connections.withDatabase { database in
            try await database.raw("SELECT id, attempt FROM runs WHERE state = 'running' AND owner = \(bind: owner) ORDER BY id").all().map { row in
                (try row.decode(column: "id", as: Int.self), try row.decode(column: "attempt", as: Int.self))
            }
        }
    }

    /// The queued runs, oldest first, at most `limit` (to tell them why they wait).
    public func queued(limit: Int = 200) async throws -> [StoredRun] {
        try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT \(unsafeRaw: StoredRun.columns) FROM runs WHERE state = 'queued' ORDER BY priority DESC, id LIMIT \(literal: limit)
                """
            ).all().map(StoredRun.init)
        }
    }

    /// Records the image run `id`'s machine boots (not a transition: a fact about the run).
    public func setImage(_ id: Int, _ image: String) async throws {
        try await connections.withDatabase { database in
            try await database.raw("UPDATE runs SET image = \(bind: image) WHERE id = \(bind: id)").run()
        }
    }

    /// Tells queued run `id` why it waits (not a transition: only the text people read changes).
    public func explain(_ id: Int, _ reason: String) async throws {
        try await connections.withDatabase { database in
            try await database.raw(
                """
                UPDATE runs SET reason = \(bind: reason) WHERE id = \(bind: id) AND state = 'queued' AND (reason IS NULL OR reason <> \(bind: reason))
                """
            ).run()
        }
    }

    /// Gives up the run `holder` holds: it is queued again as its next attempt (or ends error).
    public func release(_ id: Int, by holder: RunHolder) async throws -> Transition? {
        let now = now()
        return try await transition(id) { lifecycle in
            if case .refuse(let why) = lifecycle.reported(by: holder.owner, attempt: holder.attempt) { return .refuse(why) }
            return lifecycle.holderLost(at: now)
        }
    }
}
