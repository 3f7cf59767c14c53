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
    /// The error's code, for programs.
    public var errorCode: String?
    public var startedAt: Double
    public var finishedAt: Double?
}

extension RunStore {
    /// The tasks of run `id`, in order.
    public func tasks(run id: Int) async throws -> [StoredTask] {
        try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT position, title, status, error, error_code, started_at, finished_at FROM tasks WHERE run_id = \(bind: id) ORDER BY position
                """
            ).all().map { row in
                StoredTask(
                    position: try row.decode(column: "position", as: Int.self),
                    title: try row.decode(column: "title", as: String.self),
                    status: try row.decode(column: "status", as: String?.self),
                    error: try row.decode(column: "error", as: String?.self),
                    errorCode: try row.decode(column: "error_code", as: String?.self),
                    startedAt: try row.decode(column: "started_at", as: Double.self),
                    finishedAt: try row.decode(column: "finished_at", as: Double?.self)
                )
            }
        }
    }
}
