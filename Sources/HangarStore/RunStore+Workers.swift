public import Foundation
public import HangarCore
import SQLKit

/// A worker as the store remembers it: what it last said of itself, and when.
public struct StoredWorker: Sendable, Equatable {
    /// Its status as JSON (the API's `WorkerStatus`; the store does not look inside).
    public var status: String
    public var lastSeen: Double
    /// True once it said it stopped (it is offline at once, not after its heartbeats stop).
    public var stopped: Bool
}

extension RunStore {
    /// Gives worker `name` to its life `instance`, which says `status` (JSON), now. Refused — nil
    /// returned — while another instance holds the name: one that is not `replaces` (this worker's
    /// own last life), has not stopped, and was seen within `takeover` seconds; else the name's
    /// last-seen time is returned. One statement: two instances registering at once cannot both win.
    public func registerWorker(_ name: String, instance: String, replaces: String?, status: String, takeover: Double) async throws -> Double? {
        let now = now()
        return try await connections.withDatabase { database in
            let taken = try await database.raw(
                """
                INSERT INTO workers (name, status, last_seen, instance, stopped) VALUES (\(bind: name), \(bind: status), \(bind: now), \(bind: instance), 0)
                ON CONFLICT (name) DO UPDATE SET status = excluded.status, last_seen = excluded.last_seen, instance = excluded.instance, stopped = 0
                WHERE workers.instance IS NULL OR workers.instance = excluded.instance OR workers.instance = \(bind: replaces ?? "")
                    OR workers.stopped = 1 OR workers.last_seen < \(bind: now - takeover)
                RETURNING name
                """
            ).first()
            guard taken == nil else { return nil }
            return try await database.raw("SELECT last_seen FROM workers WHERE name = \(bind: name)").first()?.decode(
                column: "last_seen",
                as: Double.self
            )
                ?? now
        }
    }

    /// Remembers what instance `instance` of worker `name` says of itself (`status`, JSON), now;
    /// false when the name is no longer that instance's (another took it over).
    public func saveWorker(_ name: String, instance: String, status: String) async throws -> Bool {
        let now = now()
        return try await connections.withDatabase { database in
            try await database.raw(
                """
                UPDATE workers SET status = \(bind: status), last_seen = \(bind: now), stopped = 0
                WHERE name = \(bind: name) AND instance = \(bind: instance) RETURNING name
                """
            ).first() != nil
        }
    }

    /// Instance `instance` of worker `name` stopped: it is offline from now on.
    public func workerStopped(_ name: String, instance: String) async throws {
        try await connections.withDatabase { database in
            try await database.raw("UPDATE workers SET stopped = 1 WHERE name = \(bind: name) AND instance = \(bind: instance)").run()
        }
    }

    /// Every worker seen within `seconds`, by name.
    public func workers(seenWithin seconds: Double) async throws -> [String: StoredWorker] {
        let since = now() - seconds
        return try await connections.withDatabase { database in
            var workers: [String: StoredWorker] = [:]
            for row in try await database.raw("SELECT name, status, last_seen, stopped FROM workers WHERE last_seen >= \(bind: since)").all() {
                workers[try row.decode(column: "name", as: String.self)] = StoredWorker(
                    status: try row.decode(column: "status", as: String.self),
                    lastSeen: try row.decode(column: "last_seen", as: Double.self),
                    stopped: try row.decode(column: "stopped", as: Int.self) != 0
                )
            }
            return workers
        }
    }

    /// The runs `owner` holds, with their attempts.
    public func held(by owner: String) async throws -> [(id: Int, attempt: Int)] {
        try await connections.withDatabase { database in
            let running = RunState.running.sql
            return try await database.raw("SELECT id, attempt FROM runs WHERE state = \(unsafeRaw: running) AND owner = \(bind: owner) ORDER BY id")
                .all().map { row in
                    (try row.decode(column: "id", as: Int.self), try row.decode(column: "attempt", as: Int.self))
                }
        }
    }

    /// How many runs each worker holds now, by name (workers holding none are not listed).
    public func heldCounts() async throws -> [String: Int] {
        try await connections.withDatabase { database in
            var counts: [String: Int] = [:]
            let rows = try await database.raw(
                "SELECT owner, COUNT(*) AS n FROM runs WHERE state = \(unsafeRaw: RunState.running.sql) AND owner IS NOT NULL GROUP BY owner"
            ).all()
            for row in rows { counts[try row.decode(column: "owner", as: String.self)] = try row.decode(column: "n", as: Int.self) }
            return counts
        }
    }

    /// The queued runs, oldest first, at most `limit` (to tell them why they wait).
    public func queued(limit: Int = 200) async throws -> [StoredRun] {
        try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT \(unsafeRaw: StoredRun.columns) FROM runs WHERE state = \(unsafeRaw: RunState.queued.sql) ORDER BY priority DESC, id LIMIT \(literal: limit)
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
                UPDATE runs SET reason = \(bind: reason) WHERE id = \(bind: id) AND state = \(unsafeRaw: RunState.queued.sql) AND (reason IS NULL OR reason <> \(bind: reason))
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
