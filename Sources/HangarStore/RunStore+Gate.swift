public import Foundation
public import HangarCore
import SQLKit

/// A gate pipeline's queue as the store keeps it.
public struct StoredGateQueue: Sendable, Equatable {
    public var project: String
    public var pipeline: String
    public var queue: GateQueue
    /// Bumped by every change, for compare-and-set writes; 0 for a queue never written.
    public var version: Int
}

extension RunStore {
    /// The queue of `project`'s gate pipeline `pipeline`: empty when nothing was ever queued.
    public func gateQueue(project: String, pipeline: String) async throws -> StoredGateQueue {
        try await connections.withDatabase { database in
            try await Self.gateQueue(project: project, pipeline: pipeline, lock: "", on: database)
        }
    }

    /// Applies `event` to the queue of `project`'s pipeline `pipeline`: the queue after it and what
    /// to do. A change is written with a compare-and-set on the queue's version (`store.contention`
    /// when another replica changed it first: apply the event again); an event that changes nothing
    /// writes nothing.
    public func changeGateQueue(
        project: String,
        pipeline: String,
        _ event: GateQueue.Event
    ) async throws -> (queue: StoredGateQueue, actions: [GateQueue.Action]) {
        let now = now()
        return try await connections.transaction { [connections] database in
            var stored = try await Self.gateQueue(project: project, pipeline: pipeline, lock: connections.dialect.lockRows, on: database)
            let before = stored.queue
            let actions = stored.queue.apply(event)
            guard stored.queue != before else { return (stored, actions) }
            let text = String(decoding: try JSONEncoder().encode(stored.queue), as: UTF8.self)
            let written =
                stored.version == 0
                ? try await database.raw(
                    """
                    INSERT INTO gate_queues (project, pipeline, queue, version, changed_at)
                    VALUES (\(bind: project), \(bind: pipeline), \(bind: text), 1, \(bind: now))
                    ON CONFLICT (project, pipeline) DO NOTHING RETURNING version
                    """
                ).first()
                : try await database.raw(
                    """
                    UPDATE gate_queues SET queue = \(bind: text), version = version + 1, changed_at = \(bind: now)
                    WHERE project = \(bind: project) AND pipeline = \(bind: pipeline) AND version = \(bind: stored.version) RETURNING version
                    """
                ).first()
            guard let written else {
                throw HangarError(.storeContention, "the queue of \(project)'s pipeline '\(pipeline)' changed meanwhile; try again")
            }
            stored.version = try written.decode(column: "version", as: Int.self)
            return (stored, actions)
        }
    }

    private static func gateQueue(project: String, pipeline: String, lock: String, on database: any SQLDatabase) async throws -> StoredGateQueue {
        guard
            let row = try await database.raw(
                """
                SELECT queue, version FROM gate_queues WHERE project = \(bind: project) AND pipeline = \(bind: pipeline)\(unsafeRaw: lock)
                """
            ).first()
        else { return StoredGateQueue(project: project, pipeline: pipeline, queue: GateQueue(), version: 0) }
        let text = try row.decode(column: "queue", as: String.self)
        let queue: GateQueue
        do {
            queue = try JSONDecoder().decode(GateQueue.self, from: Data(text.utf8))
        } catch {
            throw HangarError(.storeState, "the queue of \(project)'s pipeline '\(pipeline)' is not readable: \(error)")
        }
        return StoredGateQueue(project: project, pipeline: pipeline, queue: queue, version: try row.decode(column: "version", as: Int.self))
    }
}

/// A run the gate queued for one testing (`attempt`) of a change, as it stands.
public struct GateRun: Sendable, Equatable {
    public var change: String
    public var attempt: Int
    public var run: Int
    public var job: String
    public var state: RunState
    public var reason: String?
    /// When it started, if it did.
    public var startedAt: Double?

    public init(change: String, attempt: Int, run: Int, job: String, state: RunState, reason: String? = nil, startedAt: Double? = nil) {
        (self.change, self.attempt, self.run, self.job, self.state, self.reason) = (change, attempt, run, job, state, reason)
        self.startedAt = startedAt
    }
}

extension RunStore {
    /// Queues `runs` for testing `attempt` of `change` at `commit`, once: nil when that testing was
    /// queued before (by this replica or another).
    /// `recipe`: how the merge was made (the gate's words), for `gateRecipe(commit:)`.
    public func queueGateRuns(
        project: String,
        pipeline: String,
        change: String,
        attempt: Int,
        commit: String,
        recipe: String,
        runs: [NewRun]
    ) async throws -> [StoredRun]? {
        let now = now()
        return try await connections.transaction { [self] database -> [StoredRun]? in
            let recorded = try await database.raw(
                """
                INSERT INTO gate_attempts (project, pipeline, change_name, attempt, commit_id, started_at, recipe)
                VALUES (\(bind: project), \(bind: pipeline), \(bind: change), \(bind: attempt), \(bind: commit), \(bind: now), \(bind: recipe))
                ON CONFLICT (project, pipeline, change_name, attempt) DO NOTHING RETURNING attempt
                """
            ).first()
            guard recorded != nil else { return nil }
            let queued = try await insert(into: database, runs)
            for run in queued {
                try await database.raw(
                    """
                    INSERT INTO gate_runs (run_id, project, pipeline, change_name, attempt, settled)
                    VALUES (\(bind: run.id), \(bind: project), \(bind: pipeline), \(bind: change), \(bind: attempt), 0)
                    """
                ).run()
            }
            return queued
        }
    }

    /// How the gate made merge `commit` (what `queueGateRuns` was given); nil when it made none such.
    public func gateRecipe(commit: String) async throws -> String? {
        try await connections.withDatabase { database in
            try await database.raw("SELECT recipe FROM gate_attempts WHERE commit_id = \(bind: commit) AND recipe IS NOT NULL LIMIT 1").first()
                .map { try $0.decode(column: "recipe", as: String.self) }
        }
    }

    /// The gate's runs of `project`'s `pipeline` not settled yet, oldest first.
    public func openGateRuns(project: String, pipeline: String) async throws -> [GateRun] {
        try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT g.change_name, g.attempt, r.id, r.job, r.state, r.reason, r.started_at FROM gate_runs g JOIN runs r ON r.id = g.run_id
                WHERE g.project = \(bind: project) AND g.pipeline = \(bind: pipeline) AND g.settled = 0 ORDER BY r.id
                """
            ).all().map(GateRun.init)
        }
    }

    /// The runs of `attempt` of `change` no longer need looking at: their result was applied, or
    /// the testing no longer counts and they ended.
    public func settleGateRuns(project: String, pipeline: String, change: String, attempt: Int) async throws {
        try await connections.withDatabase { database in
            try await database.raw(
                """
                UPDATE gate_runs SET settled = 1 WHERE project = \(bind: project) AND pipeline = \(bind: pipeline)
                AND change_name = \(bind: change) AND attempt = \(bind: attempt)
                """
            ).run()
        }
    }

    /// The gate's runs of `project`'s `pipeline`, newest first, at most `limit` (the status page).
    public func recentGateRuns(project: String, pipeline: String, limit: Int = 200) async throws -> [GateRun] {
        try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT g.change_name, g.attempt, r.id, r.job, r.state, r.reason, r.started_at FROM gate_runs g JOIN runs r ON r.id = g.run_id
                WHERE g.project = \(bind: project) AND g.pipeline = \(bind: pipeline) ORDER BY r.id DESC LIMIT \(bind: limit)
                """
            ).all().map(GateRun.init)
        }
    }
}

extension GateRun {
    init(_ row: any SQLRow) throws {
        let state = try row.decode(column: "state", as: String.self)
        guard let runState = RunState(rawValue: state) else { throw HangarError(.storeState, "run state '\(state)' is unknown") }
        self.init(
            change: try row.decode(column: "change_name", as: String.self),
            attempt: try row.decode(column: "attempt", as: Int.self),
            run: try row.decode(column: "id", as: Int.self),
            job: try row.decode(column: "job", as: String.self),
            state: runState,
            reason: try row.decode(column: "reason", as: String?.self),
            startedAt: try row.decode(column: "started_at", as: Double?.self)
        )
    }
}
