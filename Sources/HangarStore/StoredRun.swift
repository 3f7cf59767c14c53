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
    /// Higher runs first.
    public var priority: Int
    /// The values given for the job's parameters.
    public var parameters: [String: String]
    /// When it was queued (seconds since 1970).
    public var createdAt: Double
    /// Its lifecycle: state, attempt, holder, lease, times, reason.
    public var record: RunRecord
    /// Bumped by every transition, for compare-and-set writes.
    public var version: Int
    /// What a worker needs to take it: these labels, and this much free memory (MiB).
    public var requires: [String]
    public var memory: Int
    /// Who or what started it (`NewRun.cause`); empty for runs from before it was recorded.
    public var cause: String
    /// What kind of thing started it (`manual` for runs from before it was recorded).
    public var trigger: RunTrigger
    /// An automatic retry (a signature explained the run it retries) waits until then (seconds since 1970).
    public var notBefore: Double?
    /// The run this one retries automatically, and how many automatic retries came before it in that chain.
    public var retryOf: Int?
    public var automaticRetries: Int
    /// The image its machine boots (a URL or a path, parameters filled in), once a worker claimed it;
    /// nil before, and for a job that boots nothing.
    public var image: String?
    /// For a run of a matrix job: its group (the cells queued with it; the first one's id) and its
    /// cell's name (`debian-12/selinux`). Nil for other jobs.
    public var group: Int?
    public var cell: String?
    /// How many lines its log has.
    public var logLines: Int
    /// What it asks of its machines when it ends (`keep:`), if anything.
    public var keep: KeepRequest?

    public var state: RunState { record.state }
    public var attempt: Int { record.attempt }
    public var maxAttempts: Int { record.maxAttempts }
    public var reason: String? { record.reason }
    public var startedAt: Double? { record.startedAt }
    public var finishedAt: Double? { record.finishedAt }
    /// True once the run has ended.
    public var isFinished: Bool { state.isFinished }

    /// True when a worker with `labels` and `freeMemory` MiB free can take it.
    public func fits(labels: Set<String>, freeMemory: Int) -> Bool { Set(requires).isSubset(of: labels) && memory <= freeMemory }

    /// The columns this decodes from, for every query that returns runs.
    static let columns = """
        id, project, job, state, priority, attempt, max_attempts, reason, parameters, created_at, started_at, finished_at, \
        owner, lease_expires_at, cancel_requested, version, requires, memory, cause, error_code, error_kind, failed_task, \
        not_before, retry_of, automatic_retries, image, started_by, group_id, cell, log_lines, keep
        """

    init(_ row: any SQLRow) throws {
        id = try row.decode(column: "id", as: Int.self)
        project = try row.decode(column: "project", as: String.self)
        job = try row.decode(column: "job", as: String.self)
        priority = try row.decode(column: "priority", as: Int.self)
        parameters = try JSONDecoder().decode([String: String].self, from: Data(try row.decode(column: "parameters", as: String.self).utf8))
        createdAt = try row.decode(column: "created_at", as: Double.self)
        version = try row.decode(column: "version", as: Int.self)
        requires = try JSONDecoder().decode([String].self, from: Data(try row.decode(column: "requires", as: String.self).utf8))
        memory = try row.decode(column: "memory", as: Int.self)
        cause = try row.decode(column: "cause", as: String.self)
        trigger = RunTrigger(rawValue: try row.decode(column: "started_by", as: String.self)) ?? .manual
        notBefore = try row.decode(column: "not_before", as: Double?.self)
        retryOf = try row.decode(column: "retry_of", as: Int?.self)
        automaticRetries = try row.decode(column: "automatic_retries", as: Int.self)
        image = try row.decode(column: "image", as: String?.self)
        group = try row.decode(column: "group_id", as: Int?.self)
        cell = try row.decode(column: "cell", as: String?.self)
        logLines = try row.decode(column: "log_lines", as: Int.self)
        keep = try row.decode(column: "keep", as: String?.self).map { try JSONDecoder().decode(KeepRequest.self, from: Data($0.utf8)) }
        let state = try row.decode(column: "state", as: String.self)
        guard let known = RunState(rawValue: state) else { throw HangarError(.storeState, "run \(id) has an unknown state '\(state)'") }
        record = RunRecord(
            state: known,
            attempt: try row.decode(column: "attempt", as: Int.self),
            maxAttempts: try row.decode(column: "max_attempts", as: Int.self),
            owner: try row.decode(column: "owner", as: String?.self),
            leaseExpiresAt: try row.decode(column: "lease_expires_at", as: Double?.self),
            cancelRequested: try row.decode(column: "cancel_requested", as: Int.self) != 0,
            reason: try row.decode(column: "reason", as: String?.self),
            failure: try Self.failure(row),
            startedAt: try row.decode(column: "started_at", as: Double?.self),
            finishedAt: try row.decode(column: "finished_at", as: Double?.self)
        )
    }
}

extension StoredRun {
    /// The failure its columns record, if any (an unknown kind reads as infrastructure).
    static func failure(_ row: any SQLRow) throws -> RunFailure? {
        guard let code = try row.decode(column: "error_code", as: String?.self) else { return nil }
        let kind = try row.decode(column: "error_kind", as: String?.self).flatMap(HangarError.Kind.init(rawValue:)) ?? .infrastructure
        return RunFailure(code: HangarError.Code(rawValue: code), kind: kind, task: try row.decode(column: "failed_task", as: Int?.self))
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

extension [StoredRun] {
    /// Of a group's runs, each cell's latest (a cell retried or rerun counts by its last run), in order.
    public var latestOfEachCell: [StoredRun] {
        var latest: [String: Int] = [:]
        for run in self { latest[run.cell ?? ""] = run.id }
        return filter { latest[$0.cell ?? ""] == $0.id }
    }
}
