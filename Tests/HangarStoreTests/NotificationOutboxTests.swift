import Foundation
import HangarCore
import HangarStore
import HangarTestSupport
import Testing

/// The notification outbox's rules, the same test on the memory outbox the sender's unit tests use
/// and on the store over SQLite and PostgreSQL: what the fake promises, the databases keep.
@Suite(.timeLimit(.minutes(2))) struct NotificationOutboxTests {
    enum Kind: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case memory, sqlite, postgres
        var testDescription: String { rawValue }
    }

    let clock = TestClock()

    func withOutbox(_ kind: Kind, _ body: (any NotificationOutbox, () async throws -> any NotificationOutbox) async throws -> Void) async throws {
        let now: @Sendable () -> Double = { [clock] in clock.now }
        let location: DatabaseLocation
        switch kind {
        case .memory:
            let outbox = MemoryNotificationOutbox(now: now)
            return try await body(outbox) { outbox }
        case .sqlite: location = try await Database.sqlite.location()
        case .postgres: location = try await Database.postgres.location()
        }
        defer { if case .sqlite(let path) = location { try? FileManager.default.removeItem(atPath: path) } }
        let store = try await RunStore.open(location, now: now)
        var replicas: [RunStore] = []
        do {
            try await body(store) {
                let replica = try await RunStore.open(location, now: now)
                replicas.append(replica)
                return replica
            }
        } catch {
            for replica in replicas { try? await replica.close() }
            try? await store.close()
            throw error
        }
        for replica in replicas { try await replica.close() }
        try await store.close()
    }

    func message(_ run: Int, _ target: String) -> NewNotification {
        NewNotification(run: run, channel: .webhook, target: target, subject: "run \(run)", body: "{}")
    }

    @Test(arguments: Kind.allCases) func aDueNotificationIsTakenOnceAndRetriedWithBackoff(_ kind: Kind) async throws {
        try await withOutbox(kind) { outbox, replica in
            try await outbox.queue([message(1, "http://a"), message(1, "http://b"), message(2, "http://c")])
            let taken = try await outbox.takeDueNotifications(lease: 120, limit: 2)
            #expect(taken.map(\.message.target) == ["http://a", "http://b"] && taken.allSatisfy { $0.attempts == 0 })
            // Taken for the lease: another sender (another replica) gets only what is left.
            let other = try await replica()
            #expect(try await other.takeDueNotifications(lease: 120, limit: 20).map(\.message.target) == ["http://c"])
            #expect(try await outbox.takeDueNotifications(lease: 120, limit: 20).isEmpty)

            try await outbox.notificationSent(taken[0].id)
            try await outbox.notificationFailed(taken[1].id, attempts: 0, error: "refused")
            clock.advance(1)
            #expect(try await outbox.takeDueNotifications(lease: 120, limit: 20).isEmpty, "the first retry waits 2 s")
            clock.advance(1)
            let retry = try await outbox.takeDueNotifications(lease: 120, limit: 20)
            #expect(retry.map(\.message.target) == ["http://b"] && retry.first?.attempts == 1 && retry.first?.lastError == "refused")

            let run1 = try await outbox.notifications(run: 1)
            #expect(run1.map(\.message.target) == ["http://a", "http://b"])
            #expect(run1[0].sentAt == clock.now - 2 && run1[0].attempts == 1 && run1[0].lastError == nil)
            // After its lease, a taken one that was never reported is due again (the sender died).
            clock.advance(120)
            #expect(try await outbox.takeDueNotifications(lease: 120, limit: 20).map(\.message.target).sorted() == ["http://b", "http://c"])
        }
    }

    @Test(arguments: Kind.allCases) func aNotificationIsGivenUpAfterItsLastTry(_ kind: Kind) async throws {
        try await withOutbox(kind) { outbox, _ in
            try await outbox.queue([message(7, "http://gone")])
            for attempt in 0..<StoredNotification.maxAttempts {
                let taken = try #require(try await outbox.takeDueNotifications(lease: 120, limit: 20).first, "try \(attempt + 1)")
                #expect(taken.attempts == attempt)
                try await outbox.notificationFailed(taken.id, attempts: taken.attempts, error: "refused \(attempt + 1)")
                clock.advance(StoredNotification.retryDelay(afterAttempts: attempt + 1))
            }
            clock.advance(3600)
            #expect(try await outbox.takeDueNotifications(lease: 120, limit: 20).isEmpty)
            let kept = try #require(try await outbox.notifications(run: 7).first)
            #expect(kept.attempts == StoredNotification.maxAttempts && kept.sentAt == nil && kept.lastError == "refused 20")
        }
    }
}
