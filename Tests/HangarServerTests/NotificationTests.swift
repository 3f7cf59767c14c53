import Foundation
import HangarAPI
import HangarCore
import HangarMachine
import HangarTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

/// A project's `notify:` against a real SMTP server (aiosmtpd, Tests/Fixtures/sinks.py) and a real
/// webhook receiver: a failure and a fix are told, a pass after a pass is not, and an SMTP server
/// that is down delays the e-mail without touching the run.
@Suite struct NotificationTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-sinks-\(UUID().uuidString.prefix(8))").path

    func sink(_ kind: String, port: Int) async throws -> BackgroundProcess {
        try await Sink.start(kind, port: port, folder: "\(folder)/\(kind)").process
    }

    /// The messages a sink kept, oldest first.
    func received(_ kind: String, _ suffix: String) -> [String] { Sink.received(in: "\(folder)/\(kind)", suffix) }

    func until(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<300 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting: \(what)")
    }

    @Test func failuresAndFixesAreToldByWebhookAndMailAndADownSMTPServerOnlyDelaysTheMail() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (webPort, smtpPort) = (PortPicker.freePort(), PortPicker.freePort())
        let web = try await sink("http", port: webPort)
        defer { web.terminate() }
        let project = """
            notify:
              when: [failed, fixed]
              webhook: http://127.0.0.1:\(webPort)/hook
              email: [team@example.org]
            jobs:
              flip:
                parameters: { OUTCOME: { default: pass } }
                tasks: [{ host: 'echo "the tests say $OUTCOME"; [ "$OUTCOME" = pass ]' }]
            """
        var options = ServerHarness.Options()
        options.environment = [:]
        options.publicURL = "http://ci.example.org"
        options.smtp = "127.0.0.1:\(smtpPort)"
        try await ServerHarness(extra: ["told": project]).run(options: options) { client in
            func run(_ outcome: String) async throws -> API.Run {
                try await client.waitForEnd(
                    try await client.trigger("flip", project: "told", body: #"{"parameters": {"OUTCOME": "\#(outcome)"}}"#).id
                )
            }
            // A first pass tells nobody.
            let passed = try await run("pass")
            #expect(passed.state == .passed)
            #expect(try await client.json([API.Notification].self, "/api/v1/runs/\(passed.id)/notifications").isEmpty)

            // A failure: the webhook hears at once; the mail waits for the SMTP server, the run does not.
            let failed = try await run("fail")
            #expect(failed.state == .failed)
            try await until("the webhook") { received("http", ".json").count == 1 }
            let hook = try JSONSerialization.jsonObject(with: Data(try #require(received("http", ".json").first).utf8)) as? [String: Any]
            #expect(hook?["event"] as? String == "run.failed")
            #expect(hook?["summary"] as? String == "told/flip #\(failed.id) failed (it passed before)")
            #expect(hook?["url"] as? String == "http://ci.example.org/runs/\(failed.id)")
            #expect(hook?["previous"] as? String == "passed")
            try await until("a failed try at the mail") {
                let mail = try await client.json([API.Notification].self, "/api/v1/runs/\(failed.id)/notifications").first { $0.channel == "email" }
                return (mail?.attempts ?? 0) >= 1 && mail?.sentAt == nil && mail?.lastError?.contains("did not take the mail") == true
            }
            #expect(try await client.state(failed.id) == .failed)

            // The SMTP server comes up: the mail gets through on a later try.
            let smtp = try await sink("smtp", port: smtpPort)
            defer { smtp.terminate() }
            try await until("the mail") { received("smtp", ".eml").count == 1 }
            let mail = try #require(received("smtp", ".eml").first)
            #expect(mail.contains("Subject: [hangar] told/flip #\(failed.id) failed (it passed before)"))
            #expect(mail.contains("To: <team@example.org>") && mail.contains("http://ci.example.org/runs/\(failed.id)"))
            #expect(mail.contains("Why: "))

            // The fix is told; a pass after it is not.
            let fixed = try await run("pass")
            try await until("the fix") { received("http", ".json").count == 2 && received("smtp", ".eml").count == 2 }
            #expect(received("smtp", ".eml").last?.contains("Subject: [hangar] told/flip #\(fixed.id) passed (fixed: it failed before)") == true)
            let quiet = try await run("pass")
            // A later failure is told: by then whatever the quiet pass queued would have been sent before it.
            let later = try await run("fail")
            try await until("the later failure") { received("http", ".json").count == 3 }
            #expect(try await client.json([API.Notification].self, "/api/v1/runs/\(quiet.id)/notifications").isEmpty)
            #expect(received("http", ".json").contains { $0.contains("#\(later.id) failed (it passed before)") })
        }
    }
}
