import Foundation
import HangarCore
import HangarMachine
import HangarStore
import Logging
import ServiceLifecycle

/// Sends the notifications the store holds, one second after they are queued at most: webhooks
/// with a POST of their JSON, e-mails through the SMTP server (`hangar serve --smtp HOST:PORT`, with
/// curl, which speaks SMTP). One that does not get through is tried again after 2 s, 4 s, 8 s… (at
/// most 5 minutes apart, 20 times), and its last error is kept; runs never wait for it.
struct NotificationSender: Service {
    /// The store (`RunStore`), or a memory outbox in its unit tests.
    let notifications: any NotificationOutbox
    /// `HOST:PORT` of the SMTP server; nil: e-mails fail with a message saying so.
    let smtp: String?
    /// The sender's address.
    let mailFrom: String
    /// What it waits on between looks.
    let clock: any Clock<Duration>
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    for notification in try await notifications.takeDueNotifications(lease: 120, limit: 20) { await deliver(notification) }
                } catch {
                    if !Task.isCancelled { logger.warning("cannot read the notifications to send", metadata: ["error": "\(error)"]) }
                }
                try? await clock.sleep(for: .seconds(1))
            }
        }
    }

    private func deliver(_ notification: StoredNotification) async {
        let message = notification.message
        do {
            switch message.channel {
            case .webhook: try await post(message)
            case .email: try await mail(message)
            }
            try await notifications.notificationSent(notification.id)
        } catch {
            // Stopped by the server's shutdown: not a failure. It stays taken until its lease ends,
            // and the next start (or another replica) sends it then.
            if Task.isCancelled || error is CancellationError { return }
            logger.warning(
                "a notification did not get through; it is tried again",
                metadata: ["run": "\(message.run)", "to": "\(message.target)", "error": "\(error)"]
            )
            do {
                try await notifications.notificationFailed(notification.id, attempts: notification.attempts, error: "\(error)")
            } catch {
                // Still taken for its lease: it is tried again after it.
                logger.error("cannot record a failed notification", metadata: ["error": "\(error)"])
            }
        }
    }

    private func post(_ message: NewNotification) async throws {
        try await Webhook.post(message.body, to: message.target)
    }

    private func mail(_ message: NewNotification) async throws {
        guard let smtp else {
            throw HangarError(.notifySmtp, "no SMTP server to send e-mail through", hint: "start hangar serve with --smtp HOST:PORT")
        }
        let mail = """
            From: Hangar <\(mailFrom)>\r
            To: <\(message.target)>\r
            Subject: \(message.subject)\r
            Content-Type: text/plain; charset=utf-8\r
            \r
            \(message.body.replacingOccurrences(of: "\n", with: "\r\n"))
            """
        let result = try await Command.run(
            [
                "curl", "--silent", "--show-error", "--max-time", "30", "smtp://\(smtp)", "--mail-from", mailFrom, "--mail-rcpt", message.target,
                "--upload-file", "-",
            ],
            input: Data(mail.utf8)
        )
        guard result.status == 0 else {
            throw HangarError(
                .notifySmtp,
                "the SMTP server \(smtp) did not take the mail: \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
            )
        }
    }
}
