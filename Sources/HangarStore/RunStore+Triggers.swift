import Foundation
import SQLKit

/// A schedule's memory: when it last fired and what the job's image was then.
public struct ScheduleState: Sendable, Equatable {
    public var lastFired: Double
    public var imageFingerprint: String?

    public init(lastFired: Double, imageFingerprint: String?) {
        self.lastFired = lastFired
        self.imageFingerprint = imageFingerprint
    }
}

extension RunStore {
    /// Records webhook delivery `id` (forge-prefixed); false when it was recorded before (a replay).
    public func recordDelivery(_ id: String, project: String) async throws -> Bool {
        try await database.raw(
            """
            INSERT INTO webhook_deliveries (id, project, result, received_at)
            VALUES (\(bind: id), \(bind: project), 'received', \(bind: Date().timeIntervalSince1970))
            ON CONFLICT (id) DO NOTHING RETURNING id
            """
        ).first() != nil
    }

    /// Notes what came of delivery `id`: `ignored`, `triggered` (with the first run), `error`.
    public func finishDelivery(_ id: String, result: String, run: Int?) async throws {
        try await database.raw("UPDATE webhook_deliveries SET result = \(bind: result), run_id = \(bind: run) WHERE id = \(bind: id)").run()
    }

    /// What schedule `schedule` of `project`/`job` remembers, if it ran before.
    public func scheduleState(project: String, job: String, schedule: String) async throws -> ScheduleState? {
        try await database.raw(
            """
            SELECT last_fired, image_fingerprint FROM schedules
            WHERE project = \(bind: project) AND job = \(bind: job) AND schedule = \(bind: schedule)
            """
        ).first().map { row in
            ScheduleState(
                lastFired: try row.decode(column: "last_fired", as: Double.self),
                imageFingerprint: try row.decode(column: "image_fingerprint", as: String?.self)
            )
        }
    }

    /// Remembers `state` for the schedule.
    public func saveScheduleState(_ state: ScheduleState, project: String, job: String, schedule: String) async throws {
        try await database.raw(
            """
            INSERT INTO schedules (project, job, schedule, last_fired, image_fingerprint)
            VALUES (\(bind: project), \(bind: job), \(bind: schedule), \(bind: state.lastFired), \(bind: state.imageFingerprint))
            ON CONFLICT (project, job, schedule) DO UPDATE SET last_fired = excluded.last_fired, image_fingerprint = excluded.image_fingerprint
            """
        ).run()
    }
}
