public import Foundation
public import HangarCore
import SQLKit

/// A task of an attempt, by the run, the attempt and its position in the job.
public struct PlacedTaskKey: Sendable, Hashable {
    public var run: Int
    public var attempt: Int
    public var position: Int

    public init(run: Int, attempt: Int, position: Int) {
        self.run = run
        self.attempt = attempt
        self.position = position
    }
}

/// A placed task as the store keeps it: the task itself (`runner` empty), or one worker's part of
/// an every-worker task (`runner` the worker's name).
public struct StoredPlacedTask: Sendable, Equatable {
    public var key: PlacedTaskKey
    public var runner: String
    public var placement: Placement
    public var state: PlacedTaskState
    /// The coordinator replica that took the task itself.
    public var takenBy: String?
    public var lines: [String]
    public var error: String?
    public var code: HangarError.Code?
    public var kind: HangarError.Kind?
    public var updatedAt: Double
}

extension RunStore {
    private static let placedColumns = "run_id, attempt, position, runner, placement, state, taken_by, lines, error, code, kind, updated_at"

    /// Records task `key`, placed as `placement`: its own row (running, taken by `identity`) and
    /// one pending row per worker in `workers`. False, writing nothing, when it was recorded
    /// before (a resend, or another replica got there first): it is never run twice.
    public func placeTask(_ key: PlacedTaskKey, placement: Placement, by identity: String, workers: [String]) async throws -> Bool {
        let now = now()
        return try await connections.transaction { database in
            let created = try await database.raw(
                """
                INSERT INTO placed_tasks (run_id, attempt, position, runner, placement, state, taken_by, updated_at)
                VALUES (\(bind: key.run), \(bind: key.attempt), \(bind: key.position), '', \(bind: placement.rawValue), \(unsafeRaw: PlacedTaskState.running.sql), \(bind: identity), \(bind: now))
                ON CONFLICT DO NOTHING RETURNING run_id
                """
            ).first()
            guard created != nil else { return false }
            for worker in workers {
                try await database.raw(
                    """
                    INSERT INTO placed_tasks (run_id, attempt, position, runner, placement, state, updated_at)
                    VALUES (\(bind: key.run), \(bind: key.attempt), \(bind: key.position), \(bind: worker), \(bind: placement.rawValue), \(unsafeRaw: PlacedTaskState.pending.sql), \(bind: now))
                    """
                ).run()
            }
            return true
        }
    }

    /// The rows of task `key`: the task's own first, then the workers' parts by name.
    public func placedTask(_ key: PlacedTaskKey) async throws -> [StoredPlacedTask] {
        try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT \(unsafeRaw: Self.placedColumns) FROM placed_tasks
                WHERE run_id = \(bind: key.run) AND attempt = \(bind: key.attempt) AND position = \(bind: key.position) ORDER BY runner
                """
            ).all().map(Self.placedTask)
        }
    }

    /// Applies `event` to `runner`'s row of task `key` when `PlacedTaskState.after` allows it
    /// (compare-and-set on its state); `ending` is stored with an `ended` event. False when refused.
    @discardableResult
    public func updatePlacedTask(_ key: PlacedTaskKey, runner: String, _ event: PlacedTaskEvent, ending: PlacedTaskResult? = nil) async throws -> Bool
    {
        let now = now()
        return try await connections.withDatabase { database in
            guard
                let row = try await database.raw(
                    """
                    SELECT state FROM placed_tasks WHERE run_id = \(bind: key.run) AND attempt = \(bind: key.attempt)
                    AND position = \(bind: key.position) AND runner = \(bind: runner)
                    """
                ).first(),
                let state = PlacedTaskState(rawValue: try row.decode(column: "state", as: String.self)),
                let next = state.after(event)
            else { return false }
            let lines = String(decoding: try JSONEncoder().encode(ending?.lines ?? []), as: UTF8.self)
            return try await database.raw(
                """
                UPDATE placed_tasks SET state = \(bind: next.rawValue), updated_at = \(bind: now),
                lines = CASE WHEN \(bind: ending != nil) THEN \(bind: lines) ELSE lines END,
                error = \(bind: ending?.error), code = \(bind: ending?.code?.rawValue), kind = \(bind: ending?.kind?.rawValue)
                WHERE run_id = \(bind: key.run) AND attempt = \(bind: key.attempt) AND position = \(bind: key.position)
                AND runner = \(bind: runner) AND state = \(bind: state.rawValue) RETURNING state
                """
            ).first() != nil
        }
    }

    /// The every-worker parts waiting for `worker`.
    public func pendingPlacedTasks(for worker: String) async throws -> [PlacedTaskKey] {
        try await connections.withDatabase { database in
            try await database.raw(
                "SELECT \(unsafeRaw: Self.placedColumns) FROM placed_tasks WHERE runner = \(bind: worker) AND state = \(unsafeRaw: PlacedTaskState.pending.sql)"
            ).all().map { try Self.placedTask($0).key }
        }
    }

    /// Whether any worker has a part waiting to be handed to it.
    public func anyPendingPlacedTask() async throws -> Bool {
        try await connections.withDatabase { database in
            try await database.raw("SELECT 1 AS one FROM placed_tasks WHERE state = \(unsafeRaw: PlacedTaskState.pending.sql) LIMIT 1").first() != nil
        }
    }

    /// The every-worker parts `worker` has not ended: after it restarted, they are lost.
    public func unendedPlacedTasks(runner worker: String) async throws -> [StoredPlacedTask] {
        try await connections.withDatabase { database in
            try await database.raw(
                "SELECT \(unsafeRaw: Self.placedColumns) FROM placed_tasks WHERE runner = \(bind: worker) AND state IN \(unsafeRaw: [PlacedTaskState.pending, .running].sqlList)"
            ).all().map(Self.placedTask)
        }
    }

    /// Says that the coordinator running task `key` itself is still at it (its `updated_at`), so
    /// a replica waiting for it does not take it for lost.
    public func touchPlacedTask(_ key: PlacedTaskKey) async throws {
        let now = now()
        try await connections.withDatabase { database in
            try await database.raw(
                """
                UPDATE placed_tasks SET updated_at = \(bind: now) WHERE run_id = \(bind: key.run) AND attempt = \(bind: key.attempt)
                AND position = \(bind: key.position) AND runner = '' AND state = \(unsafeRaw: PlacedTaskState.running.sql)
                """
            ).run()
        }
    }

    private static func placedTask(_ row: any SQLRow) throws -> StoredPlacedTask {
        let lines = try row.decode(column: "lines", as: String.self)
        return StoredPlacedTask(
            key: PlacedTaskKey(
                run: try row.decode(column: "run_id", as: Int.self),
                attempt: try row.decode(column: "attempt", as: Int.self),
                position: try row.decode(column: "position", as: Int.self)
            ),
            runner: try row.decode(column: "runner", as: String.self),
            placement: Placement(rawValue: try row.decode(column: "placement", as: String.self)) ?? .worker,
            state: PlacedTaskState(rawValue: try row.decode(column: "state", as: String.self)) ?? .lost,
            takenBy: try row.decode(column: "taken_by", as: String?.self),
            lines: (try? JSONDecoder().decode([String].self, from: Data(lines.utf8))) ?? [],
            error: try row.decode(column: "error", as: String?.self),
            code: try row.decode(column: "code", as: String?.self).map(HangarError.Code.init(rawValue:)),
            kind: try row.decode(column: "kind", as: String?.self).flatMap(HangarError.Kind.init(rawValue:)),
            updatedAt: try row.decode(column: "updated_at", as: Double.self)
        )
    }
}
