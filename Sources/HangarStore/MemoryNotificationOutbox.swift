import Synchronization

/// Notifications in a dictionary, for unit tests of what sends them: the rules are the store's
/// (`NotificationOutbox`), and the time is the test's (`now`).
public final class MemoryNotificationOutbox: NotificationOutbox {
    private struct State {
        var notifications: [Int: StoredNotification] = [:]
        var nextID = 1
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Double

    public init(now: @escaping @Sendable () -> Double) { self.now = now }

    public func queue(_ notifications: [NewNotification]) async throws {
        let now = now()
        state.withLock { state in
            for message in notifications {
                state.notifications[state.nextID] = StoredNotification(id: state.nextID, message: message, attempts: 0, nextAt: now)
                state.nextID += 1
            }
        }
    }

    public func takeDueNotifications(lease: Double, limit: Int) async throws -> [StoredNotification] {
        let now = now()
        return state.withLock { state in
            let due = state.notifications.values
                .filter { $0.sentAt == nil && $0.attempts < StoredNotification.maxAttempts && $0.nextAt <= now }
                .sorted { $0.id < $1.id }
                .prefix(limit)
            for notification in due { state.notifications[notification.id]?.nextAt = now + lease }
            return Array(due)
        }
    }

    public func notificationSent(_ id: Int) async throws {
        let now = now()
        state.withLock { state in
            state.notifications[id]?.sentAt = now
            state.notifications[id]?.attempts += 1
            state.notifications[id]?.lastError = nil
        }
    }

    public func notificationFailed(_ id: Int, attempts: Int, error: String) async throws {
        let next = now() + StoredNotification.retryDelay(afterAttempts: attempts + 1)
        state.withLock { state in
            state.notifications[id]?.attempts += 1
            state.notifications[id]?.nextAt = next
            state.notifications[id]?.lastError = error
        }
    }

    public func notifications(run id: Int) async throws -> [StoredNotification] {
        state.withLock { $0.notifications.values.filter { $0.message.run == id }.sorted { $0.id < $1.id } }
    }
}
