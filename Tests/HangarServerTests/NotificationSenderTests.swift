import HangarStore
import HangarTestSupport
import Logging
import Testing

@testable import HangarServer

/// The notification sender on a memory outbox and a manual clock: when it looks again and what it
/// records of a notification that does not get through, without waiting for either.
@Suite(.timeLimit(.minutes(1))) struct NotificationSenderTests {
    let time = TestClock()
    let clock = ManualClock()

    /// Returns once the sender waits on the clock again (it looked, sent what was due, and sleeps).
    func waitUntilAsleep() async {
        while clock.sleeping == 0 { await Task.yield() }
    }

    @Test func aMailWithoutAnSMTPServerIsRetriedAfterTwoThenFourSeconds() async throws {
        let outbox = MemoryNotificationOutbox { [time] in time.now }
        try await outbox.queue([NewNotification(run: 3, channel: .email, target: "dev@example.org", subject: "run 3 failed", body: "…")])
        let sender = NotificationSender(notifications: outbox, smtp: nil, mailFrom: "hangar@example.org", clock: clock, logger: Logger(label: "test"))
        let running = Task { try await sender.run() }
        defer { running.cancel() }
        func tries() async throws -> (attempts: Int, nextAt: Double, error: String?) {
            let kept = try #require(try await outbox.notifications(run: 3).first)
            return (kept.attempts, kept.nextAt, kept.lastError)
        }

        await waitUntilAsleep()
        var now = try await tries()
        #expect(now.attempts == 1 && now.nextAt == 1_002 && now.error?.contains("no SMTP server to send e-mail through") == true)
        // A look before it is due sends nothing.
        time.advance(1)
        clock.advance(by: .seconds(1))
        await waitUntilAsleep()
        #expect(try await tries().attempts == 1)
        time.advance(1)
        clock.advance(by: .seconds(1))
        await waitUntilAsleep()
        now = try await tries()
        #expect(now.attempts == 2 && now.nextAt == 1_006)
    }
}
