/// The notifications waiting to be sent: the narrow repository the server's notification sender
/// uses. `RunStore` is the real one; `MemoryNotificationOutbox` keeps them in a dictionary under the
/// same rules, which `NotificationOutboxTests` checks on all three (memory, SQLite, PostgreSQL):
///
/// - a queued notification is due at once; a due one is taken by one sender only, for `lease`
///   seconds (a compare-and-set on its next time), oldest first, at most `limit` at a time;
/// - one that got through is never taken again;
/// - one that failed is due again after `StoredNotification.retryDelay` and is given up after
///   `StoredNotification.maxAttempts` tries, its last error kept.
public protocol NotificationOutbox: Sendable {
    /// Queues `notifications`, due now.
    func queue(_ notifications: [NewNotification]) async throws
    /// The notifications due now, each taken for `lease` seconds.
    func takeDueNotifications(lease: Double, limit: Int) async throws -> [StoredNotification]
    /// Notification `id` got through.
    func notificationSent(_ id: Int) async throws
    /// Notification `id`, tried `attempts` times before, did not get through.
    func notificationFailed(_ id: Int, attempts: Int, error: String) async throws
    /// Run `id`'s notifications, in the order they were queued.
    func notifications(run id: Int) async throws -> [StoredNotification]
}

extension RunStore: NotificationOutbox {}
