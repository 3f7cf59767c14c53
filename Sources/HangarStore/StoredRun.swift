public import Foundation
public import HangarCore
import SQLKit

/// One run as the store keeps it.
public struct StoredRun: Sendable, Equatable {
    /// Increasing with creation, so ordering by id is stable.
    public var id: Int
    /// The project's name.
    public var project: String
    /// The job's name.
    public var job: String
    /// Where it is in its life.
    public var state: RunState
    /// Higher runs first.
    public var priority: Int
    /// 1 for the first try.
    public var attempt: Int
    /// Tries allowed when a worker is lost (the job's `retries:` + 1).
    public var maxAttempts: Int
    /// Why it waits or how it ended, for people.
    public var reason: String?
    /// The values given for the job's parameters.
    public var parameters: [String: String]
    /// When it was queued, started and ended (seconds since 1970).
    public var createdAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?

    /// True once the run has ended.
    public var isFinished: Bool { state.isFinished }

    init(_ row: any SQLRow) throws {
        id = try row.decode(column: "id", as: Int.self)
        project = try row.decode(column: "project", as: String.self)
        job = try row.decode(column: "job", as: String.self)
        let state = try row.decode(column: "state", as: String.self)
        guard let known = RunState(rawValue: state) else { throw HangarError("store.state", "run \(id) has an unknown state '\(state)'") }
        self.state = known
        priority = try row.decode(column: "priority", as: Int.self)
        attempt = try row.decode(column: "attempt", as: Int.self)
        maxAttempts = try row.decode(column: "max_attempts", as: Int.self)
        reason = try row.decode(column: "reason", as: String?.self)
        parameters = try JSONDecoder().decode([String: String].self, from: Data(try row.decode(column: "parameters", as: String.self).utf8))
        createdAt = try row.decode(column: "created_at", as: Double.self)
        startedAt = try row.decode(column: "started_at", as: Double?.self)
        finishedAt = try row.decode(column: "finished_at", as: Double?.self)
    }
}

extension JSONEncoder {
    /// An encoder with sorted keys, so equal values store as equal text.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }
}
