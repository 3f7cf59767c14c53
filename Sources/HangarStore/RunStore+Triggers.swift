public import Foundation
public import HangarCore
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

/// A run to queue, as a webhook delivery asks for it.
public struct NewRun: Sendable, Equatable, Codable {
    public var project: String
    public var job: String
    public var parameters: [String: String]
    public var priority = 0
    public var maxAttempts: Int
    /// Labels a worker must have, and the memory (MiB) its machines take.
    public var requires: [String] = []
    public var memory = 0
    /// Who or what started it, as people read it: `manual by ops@laptop`, `push to main at 1a2b3c4`,
    /// `schedule 0 3 * * *`, `rerun of #12 by ops@laptop`.
    public var cause = ""
    /// What kind of thing started it.
    public var trigger = RunTrigger.manual
    /// For an automatic retry: seconds to wait before it may start, the run it retries, and the
    /// automatic retries before it.
    public var delay: Double?
    public var retryOf: Int?
    public var automaticRetries = 0
    /// For a run of a matrix job, its cell's name; the cells of one job queued together form a group,
    /// unless `group` names the one it joins (a retry of a cell joins its run's group).
    public var cell: String?
    public var group: Int?
    /// What it asks of its machines when it ends (`keep:`, `--keep`).
    public var keep: KeepRequest?

    public init(project: String, job: String, parameters: [String: String], maxAttempts: Int, requires: [String] = [], memory: Int = 0) {
        self.project = project
        self.job = job
        self.parameters = parameters
        self.maxAttempts = maxAttempts
        self.requires = requires
        self.memory = memory
    }
}

extension RunStore {
    /// Records webhook delivery `id` (forge-prefixed) with what it came to, and queues `runs`, in one
    /// transaction: either both are stored or neither (a forge's resend then tries again). Nil when
    /// the delivery was recorded before (a replay, on this replica or another): nothing is queued.
    /// With `window`, a delivery recorded more than that many seconds ago is not a replay but a new
    /// one under the same id (ids made of an event's contents, when the forge sent none).
    public func recordDelivery(_ id: String, project: String, result: String, runs: [NewRun], window: Double? = nil) async throws -> [StoredRun]? {
        let now = now()
        return try await connections.transaction { [self] database -> [StoredRun]? in
            let recorded = try await database.raw(
                """
                INSERT INTO webhook_deliveries (id, project, result, received_at)
                VALUES (\(bind: id), \(bind: project), \(bind: result), \(bind: now))
                ON CONFLICT (id) DO UPDATE SET project = excluded.project, result = excluded.result, received_at = excluded.received_at,
                    run_id = NULL
                WHERE webhook_deliveries.received_at < \(bind: window.map { now - $0 } ?? -1)
                RETURNING id
                """
            ).first()
            guard recorded != nil else { return nil }
            let queued = try await insert(into: database, runs)
            if let first = queued.first {
                try await database.raw("UPDATE webhook_deliveries SET run_id = \(bind: first.id) WHERE id = \(bind: id)").run()
            }
            return queued
        }
    }

    /// What schedule `schedule` of `project`/`job` remembers, if it ran before.
    public func scheduleState(project: String, job: String, schedule: String) async throws -> ScheduleState? {
        try await connections.withDatabase { database in
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
    }

    /// Remembers `state` for the schedule.
    public func saveScheduleState(_ state: ScheduleState, project: String, job: String, schedule: String) async throws {
        try await connections.withDatabase { database in
            try await database.raw(
                """
                INSERT INTO schedules (project, job, schedule, last_fired, image_fingerprint)
                VALUES (\(bind: project), \(bind: job), \(bind: schedule), \(bind: state.lastFired), \(bind: state.imageFingerprint))
                ON CONFLICT (project, job, schedule) DO UPDATE SET last_fired = excluded.last_fired, image_fingerprint = excluded.image_fingerprint
                """
            ).run()
        }
    }

    /// Takes or keeps the lead of `name` (say, the scheduler) for `holder`, for `seconds`; true when
    /// `holder` leads. One replica leads at a time; when it stops renewing, another takes over after
    /// the lease (the same as a lock, and the same SQL on both databases).
    public func lead(_ name: String, holder: String, for seconds: Double) async throws -> Bool {
        let now = now()
        return try await connections.withDatabase { database in
            try await database.raw(
                """
                INSERT INTO leaders (name, holder, expires_at) VALUES (\(bind: name), \(bind: holder), \(bind: now + seconds))
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                WHERE leaders.holder = excluded.holder OR leaders.expires_at < \(bind: now)
                RETURNING holder
                """
            ).first() != nil
        }
    }
}
