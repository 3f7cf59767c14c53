public import HangarCore
import SQLKit

/// A message to send about a run.
public struct NewNotification: Sendable, Equatable {
    public enum Channel: String, Sendable, Codable { case webhook, email }
    public var run: Int
    public var channel: Channel
    /// The webhook's URL, or the e-mail address.
    public var target: String
    public var subject: String
    /// The webhook's JSON, or the e-mail's text.
    public var body: String

    public init(run: Int, channel: Channel, target: String, subject: String, body: String) {
        self.run = run
        self.channel = channel
        self.target = target
        self.subject = subject
        self.body = body
    }
}

/// A notification as the store keeps it, with how its delivery went.
public struct StoredNotification: Sendable, Equatable {
    public var id: Int
    public var message: NewNotification
    public var attempts: Int
    /// When it is tried next (seconds since 1970).
    public var nextAt: Double
    public var sentAt: Double?
    public var lastError: String?

    public init(id: Int, message: NewNotification, attempts: Int, nextAt: Double, sentAt: Double? = nil, lastError: String? = nil) {
        self.id = id
        self.message = message
        self.attempts = attempts
        self.nextAt = nextAt
        self.sentAt = sentAt
        self.lastError = lastError
    }

    /// Tries before a notification is given up.
    public static let maxAttempts = 20

    /// Seconds to wait after `attempts` failed tries: 2, 4, 8… up to 5 minutes.
    public static func retryDelay(afterAttempts attempts: Int) -> Double { min(300, Double(1 << min(max(attempts, 1), 9))) }
}

extension RunStore {
    /// Queues `notifications`, due now.
    public func queue(_ notifications: [NewNotification]) async throws {
        let now = now()
        try await connections.transaction { database in
            for message in notifications {
                try await database.raw(
                    """
                    INSERT INTO notifications (run_id, channel, target, subject, body, next_at)
                    VALUES (\(bind: message.run), \(bind: message.channel.rawValue), \(bind: message.target), \(bind: message.subject), \(bind: message.body), \(bind: now))
                    """
                ).run()
            }
        }
    }

    /// Notifications due now and not given up, oldest first, each taken for `lease` seconds (a
    /// compare-and-set on its next time, so two replicas never both send one).
    public func takeDueNotifications(lease: Double, limit: Int) async throws -> [StoredNotification] {
        let now = now()
        let due = try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT \(unsafeRaw: Self.notificationColumns) FROM notifications
                WHERE sent_at IS NULL AND attempts < \(literal: StoredNotification.maxAttempts) AND next_at <= \(bind: now)
                ORDER BY id LIMIT \(literal: limit)
                """
            ).all().map(Self.notification)
        }
        var taken: [StoredNotification] = []
        for notification in due {
            let won = try await connections.withDatabase { database in
                try await database.raw(
                    """
                    UPDATE notifications SET next_at = \(bind: now + lease)
                    WHERE id = \(bind: notification.id) AND next_at = \(bind: notification.nextAt) AND sent_at IS NULL RETURNING id
                    """
                ).first() != nil
            }
            if won { taken.append(notification) }
        }
        return taken
    }

    /// Notification `id` got through.
    public func notificationSent(_ id: Int) async throws {
        let now = now()
        try await connections.withDatabase { database in
            try await database.raw(
                "UPDATE notifications SET sent_at = \(bind: now), attempts = attempts + 1, last_error = NULL WHERE id = \(bind: id)"
            ).run()
        }
    }

    /// Notification `id` did not get through: tried again later, until it has been tried `maxAttempts` times.
    public func notificationFailed(_ id: Int, attempts: Int, error: String) async throws {
        let next = now() + StoredNotification.retryDelay(afterAttempts: attempts + 1)
        try await connections.withDatabase { database in
            try await database.raw(
                "UPDATE notifications SET attempts = attempts + 1, next_at = \(bind: next), last_error = \(bind: error) WHERE id = \(bind: id)"
            ).run()
        }
    }

    /// Run `id`'s notifications, in the order they were queued.
    public func notifications(run id: Int) async throws -> [StoredNotification] {
        try await connections.withDatabase { database in
            try await database.raw("SELECT \(unsafeRaw: Self.notificationColumns) FROM notifications WHERE run_id = \(bind: id) ORDER BY id").all()
                .map(Self.notification)
        }
    }

    /// The state of the last run of `project`/`job` before run `id` that passed or ended badly.
    public func previousOutcome(project: String, job: String, before id: Int) async throws -> RunState? {
        try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT state FROM runs WHERE project = \(bind: project) AND job = \(bind: job) AND id < \(bind: id)
                AND state IN \(unsafeRaw: ([RunState.passed] + RunState.endedBadly).sqlList) ORDER BY id DESC LIMIT 1
                """
            ).first().flatMap { RunState(rawValue: try $0.decode(column: "state", as: String.self)) }
        }
    }

    private static let notificationColumns = "id, run_id, channel, target, subject, body, attempts, next_at, sent_at, last_error"

    private static func notification(_ row: any SQLRow) throws -> StoredNotification {
        StoredNotification(
            id: try row.decode(column: "id", as: Int.self),
            message: NewNotification(
                run: try row.decode(column: "run_id", as: Int.self),
                channel: NewNotification.Channel(rawValue: try row.decode(column: "channel", as: String.self)) ?? .webhook,
                target: try row.decode(column: "target", as: String.self),
                subject: try row.decode(column: "subject", as: String.self),
                body: try row.decode(column: "body", as: String.self)
            ),
            attempts: try row.decode(column: "attempts", as: Int.self),
            nextAt: try row.decode(column: "next_at", as: Double.self),
            sentAt: try row.decode(column: "sent_at", as: Double?.self),
            lastError: try row.decode(column: "last_error", as: String?.self)
        )
    }
}
