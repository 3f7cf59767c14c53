public import Foundation
public import HangarCore
import SQLKit

/// One task of a run, as the run page's timeline shows it.
public struct StoredTask: Sendable, Codable, Equatable {
    /// 0-based position in the job's plan (implicit image and boot tasks included).
    public var position: Int
    public var title: String
    /// nil while it runs, then `passed`, `failed`, ...
    public var status: String?
    public var error: String?
    public var startedAt: Double
    public var finishedAt: Double?
}

extension RunStore {
    /// Records that task `position` of run `id` started (refused unless `holder` holds the run).
    public func taskStarted(run id: Int, by holder: RunHolder, position: Int, title: String) async throws {
        let now = now()
        try await asHolder(holder, of: id) { database in
            try await database.raw(
                """
                INSERT INTO tasks (run_id, position, title, started_at) VALUES (\(bind: id), \(bind: position), \(bind: title), \(bind: now))
                ON CONFLICT (run_id, position) DO NOTHING
                """
            ).run()
        }
    }

    /// Records how task `position` of run `id` ended (refused unless `holder` holds the run).
    public func taskFinished(run id: Int, by holder: RunHolder, position: Int, status: RunStatus, error: String?) async throws {
        let now = now()
        try await asHolder(holder, of: id) { database in
            try await database.raw(
                """
                UPDATE tasks SET status = \(bind: status.rawValue), error = \(bind: error), finished_at = \(bind: now)
                WHERE run_id = \(bind: id) AND position = \(bind: position)
                """
            ).run()
        }
    }

    /// The tasks of run `id`, in order.
    public func tasks(run id: Int) async throws -> [StoredTask] {
        try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT position, title, status, error, started_at, finished_at FROM tasks WHERE run_id = \(bind: id) ORDER BY position
                """
            ).all().map { row in
                StoredTask(
                    position: try row.decode(column: "position", as: Int.self),
                    title: try row.decode(column: "title", as: String.self),
                    status: try row.decode(column: "status", as: String?.self),
                    error: try row.decode(column: "error", as: String?.self),
                    startedAt: try row.decode(column: "started_at", as: Double.self),
                    finishedAt: try row.decode(column: "finished_at", as: Double?.self)
                )
            }
        }
    }
}
