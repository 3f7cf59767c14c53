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
