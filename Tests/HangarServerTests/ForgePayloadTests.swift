import Crypto
import Foundation
import HangarAPI
import HangarCore
import HangarMachine
import HangarServer
import HangarTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

/// Webhook deliveries as the forges really send them: the payloads GitHub, GitLab and Gitea publish
/// (`../shared/fixtures/webhook-payloads/`, origins in its SOURCES.md), read from there as they are
/// and signed as each forge signs, through the real router.
@Suite(.timeLimit(.minutes(2))) struct ForgePayloadTests {
    static let secret = "s3cret"
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/fixtures/webhook-payloads").path

    /// A fixture's text, as published.
    static func payload(_ forge: String, _ name: String) throws -> String {
        let path = "\(fixtures)/\(forge)/\(name).json"
        return try #require(try? String(contentsOfFile: path, encoding: .utf8), "no fixture \(path): ../shared is beside the project")
    }

    /// The headers `forge` sends with `body` for `event` (a delivery id unless `id` is nil).
    static func headers(_ forge: String, event: String, body: String, id: String? = UUID().uuidString) -> HTTPFields {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(secret.utf8))).hexString
        var fields: HTTPFields = [:]
        switch forge {
        case "github":
            fields[.init("X-GitHub-Event")!] = event
            fields[.init("X-Hub-Signature-256")!] = "sha256=\(mac)"
            if let id { fields[.init("X-GitHub-Delivery")!] = id }
        case "gitea":
            fields[.init("X-Gitea-Event")!] = event
            fields[.init("X-Gitea-Signature")!] = mac
            if let id { fields[.init("X-Gitea-Delivery")!] = id }
        default:
            fields[.init("X-Gitlab-Event")!] = event
            fields[.init("X-Gitlab-Token")!] = secret
            if let id { fields[.init("X-Gitlab-Event-UUID")!] = id }
        }
        fields[.contentType] = "application/json"
        return fields
    }

    /// A project of `forge` for `repository`, whose job `ci` runs on `triggers` and prints what it got.
    static func project(_ forge: String, repository: String, triggers: String, url: String = "http://127.0.0.1:9") -> String {
        """
        forge: { type: \(forge), repository: \(repository), url: "\(url)", token-env: FORGE_TOKEN, trust: everyone }
        jobs:
          ci:
            triggers: \(triggers)
            tasks: [{ host: 'echo "commit=$HANGAR_COMMIT branch=$HANGAR_BRANCH base=${HANGAR_BASE_BRANCH:-none} event=$HANGAR_EVENT"' }]
        """
    }

    struct Answer: Decodable {
        var result: String
        var runs: [Int]
        var detail: String?
    }

    static let options = ServerHarness.Options(environment: ["HANGAR_WEBHOOK_SECRET": secret, "FORGE_TOKEN": "tok"])

    /// Sends `body` to `/hooks/FORGE/PROJECT`: the status and the answer (nil for an error body).
    static func deliver(
        _ client: Client,
        _ forge: String,
        _ project: String,
        _ body: String,
        _ headers: HTTPFields
    ) async throws -> (status: Int, answer: Answer?, text: String) {
        let response = try await client.call(.post, "/hooks/\(forge)/\(project)", body: body, token: .some(nil), headers: headers)
        let text = String(buffer: response.body)
        // The text as people read it: JSON writes '/' as '\/'.
        return (response.status.code, try? JSONDecoder().decode(Answer.self, from: Data(text.utf8)), text.replacingOccurrences(of: "\\/", with: "/"))
    }

    /// A delivery for another repository than the project's (an organisation's hook, or two projects
    /// sharing a secret) is refused, starts nothing and posts nothing; one for its own starts its run.
    @Test func aDeliveryForAnotherRepositoryIsRefused() async throws {
        let server = ServerHarness(extra: [
            "other": Self.project("github", repository: "someone/other-repo", triggers: "[{ push: [] }]"),
            "hello": Self.project("github", repository: "codertocat/hello-world", triggers: "[{ push: [] }]"),
            "lab": Self.project("gitlab", repository: "gitlab-org/hello-world", triggers: "[{ push: [] }]"),
            "ping": Self.project("github", repository: "someone/other-repo", triggers: "[{ push: [] }]"),
        ])
        try await server.run(options: Self.options) { client in
            let push = try Self.payload("github", "push-with-new-branch.payload")
            let refused = try await Self.deliver(client, "github", "other", push, Self.headers("github", event: "push", body: push))
            #expect(refused.status == 422, "\(refused.text)")
            #expect(refused.text.contains("repository Codertocat/Hello-World") && refused.text.contains("someone/other-repo"), "\(refused.text)")
            let lab = try Self.payload("gitlab", "go-gitlab-push")
            let labRefused = try await Self.deliver(client, "gitlab", "lab", lab, Self.headers("gitlab", event: "Push Hook", body: lab))
            #expect(labRefused.status == 422 && labRefused.text.contains("mike/diaspora"), "\(labRefused.text)")
            // A ping says where the hook points, too: the wrong one is refused when it is set up.
            let ping = try Self.payload("github", "ping-payload")
            #expect(try await Self.deliver(client, "github", "ping", ping, Self.headers("github", event: "ping", body: ping)).status == 422)
            #expect(try await client.json([API.Run].self, "/api/v1/runs").isEmpty)
            // The same push to the project it is for (names compared as GitHub does, ignoring case).
            let taken = try await Self.deliver(client, "github", "hello", push, Self.headers("github", event: "push", body: push))
            #expect(taken.status == 201, "\(taken.text)")
            let run = try await client.waitForEnd(try #require(taken.answer?.runs.first))
            #expect(run.state == .passed)
        }
    }

    /// A check pipeline's event starts its jobs as their own triggers would.
    @Test func aCheckPipelineRunsItsJobsWhenARequestsHeadChanges() async throws {
        let piped =
            Self.project("github", repository: "Codertocat/Hello-World", triggers: "[]")
            + "\npipelines:\n  check: { on: pull-request, branches: [master], jobs: [ci] }\n"
        try await ServerHarness(extra: ["piped": piped]).run(options: Self.options) { client in
            for (name, runs) in [("pull_request-opened.payload", true), ("pull_request-labeled.payload", false)] {
                let body = try Self.payload("github", name)
                let delivered = try await Self.deliver(client, "github", "piped", body, Self.headers("github", event: "pull_request", body: body))
                #expect(delivered.status == (runs ? 201 : 200) && delivered.answer?.result == (runs ? "triggered" : "ignored"), "\(name)")
            }
        }
    }

    /// One rule for all three forges: a request starts a run when its head commit changed (opened,
    /// reopened, new commits), not when it was edited, labelled or closed; its target branch is
    /// `HANGAR_BASE_BRANCH` and `pull-request: [BRANCH]` filters on it.
    @Test func aRequestRunsOnlyWhenItsHeadCommitChanged() async throws {
        let server = ServerHarness(extra: [
            "gh": Self.project("github", repository: "Codertocat/Hello-World", triggers: "[pull-request: [master]]"),
            "main-only": Self.project("github", repository: "Codertocat/Hello-World", triggers: "[pull-request: [main]]"),
            "tea": Self.project("gitea", repository: "jcitizen/my-repo", triggers: "[pull-request]"),
            "lab": Self.project("gitlab", repository: "rathod.meetsatish/meet", triggers: "[pull-request]"),
            "hello": Self.project("gitlab", repository: "gitlab-org/hello-world", triggers: "[pull-request]"),
        ])
        try await server.run(options: Self.options) { client in
            func outcome(_ forge: String, _ project: String, _ event: String, _ body: String) async throws -> (Int, Answer?) {
                let delivered = try await Self.deliver(client, forge, project, body, Self.headers(forge, event: event, body: body))
                return (delivered.status, delivered.answer)
            }
            for (name, runs) in [
                ("pull_request-opened.payload", true), ("pull_request-reopened.payload", true), ("pull_request-synchronize.payload", true),
                ("pull_request-opened.with-null-body", true), ("pull_request-labeled.payload", false), ("pull_request-closed.payload", false),
            ] {
                let (status, answer) = try await outcome("github", "gh", "pull_request", try Self.payload("github", name))
                #expect(status == (runs ? 201 : 200) && (answer?.result == (runs ? "triggered" : "ignored")), "github \(name): \(status)")
            }
            for (name, runs) in [
                ("go-scm-pull_request_opened", true), ("go-scm-pull_request_reopened", true), ("go-scm-pull_request_synchronized", true),
                ("go-scm-pull_request_edited", false), ("go-scm-pull_request_closed", false),
            ] {
                let (status, answer) = try await outcome("gitea", "tea", "pull_request", try Self.payload("gitea", name))
                #expect(status == (runs ? 201 : 200) && (answer?.result == (runs ? "triggered" : "ignored")), "gitea \(name): \(status)")
            }
            for (name, runs) in [
                ("go-scm-pull_request_create", true), ("go-scm-pull_request_reopen", true), ("go-scm-pull_request_close", false),
                ("go-scm-pull_request_merge", false),
            ] {
                let (status, _) = try await outcome("gitlab", "hello", "Merge Request Hook", try Self.payload("gitlab", name))
                #expect(status == (runs ? 201 : 200), "gitlab \(name): \(status)")
            }
            // GitLab's `update` without `oldrev` is an edit (here: marked ready); with one, new commits.
            let ready = try Self.payload("gitlab", "go-scm-pull_request_review_ready")
            let (edited, editedAnswer) = try await outcome("gitlab", "lab", "Merge Request Hook", ready)
            #expect(edited == 200 && editedAnswer?.detail?.contains("no new commits") == true)
            let pushed = ready.replacingOccurrences(of: #""action": "update""#, with: #""action": "update", "oldrev": "0a1b2c3d""#)
            #expect(pushed != ready)
            let (updated, updatedAnswer) = try await outcome("gitlab", "lab", "Merge Request Hook", pushed)
            #expect(updated == 201, "\(String(describing: updatedAnswer))")
            // The target branch: a run's HANGAR_BASE_BRANCH, and what `pull-request: [BRANCH]` filters on.
            let opened = try Self.payload("github", "pull_request-opened.payload")
            let (filtered, _) = try await outcome("github", "main-only", "pull_request", opened)
            #expect(filtered == 200, "the request targets master, not main")
            let (_, answer) = try await outcome("github", "gh", "pull_request", opened)
            let run = try await client.waitForEnd(try #require(answer?.runs.first))
            let log = String(buffer: try await client.call(.get, "/api/v1/runs/\(run.id)/log").body)
            #expect(log.contains("branch=changes base=master event=pull-request"), "\(log)")
        }
    }

    /// GitLab may send no `X-Gitlab-Event-UUID` (older versions, other senders): the delivery is
    /// taken, and its resend is told apart by event, ref and commit. Only a delivery that queued
    /// runs is remembered: an ignored or malformed one, redelivered once fixed, starts its runs.
    @Test func deliveriesAreRememberedOnlyWhenTheyQueuedRuns() async throws {
        let server = ServerHarness(extra: [
            "lab": Self.project("gitlab", repository: "gitlab-org/hello-world", triggers: "[{ push: [main] }]")
        ])
        try await server.run(options: Self.options) { client in
            let push = try Self.payload("gitlab", "go-scm-push")
            // A push to master, which no trigger asks for: ignored, and not remembered.
            let headers = Self.headers("gitlab", event: "Push Hook", body: push, id: nil)
            let ignored = try await Self.deliver(client, "gitlab", "lab", push, headers)
            #expect(ignored.status == 200 && ignored.answer?.result == "ignored", "\(ignored.text)")
            // The project's trigger is fixed; the forge's redelivery now starts the run.
            try Self.project("gitlab", repository: "gitlab-org/hello-world", triggers: "[{ push: [master] }]")
                .write(toFile: "\(server.projects)/lab/hangar.yml", atomically: true, encoding: .utf8)
            var again = try await Self.deliver(client, "gitlab", "lab", push, headers)
            let deadline = ContinuousClock.now + .seconds(10)
            while again.status == 200, again.answer?.result == "ignored", ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                again = try await Self.deliver(client, "gitlab", "lab", push, headers)
            }
            #expect(again.status == 201, "\(again.text)")
            // Its resend, without an id either, starts nothing.
            let resent = try await Self.deliver(client, "gitlab", "lab", push, headers)
            #expect(resent.status == 200 && resent.answer?.result == "duplicate", "\(resent.text)")
            // A malformed delivery is not remembered: the same id with a proper body starts its run.
            let id = UUID().uuidString
            let broken = #"{"ref": 5}"#
            #expect(
                try await Self.deliver(client, "gitlab", "lab", broken, Self.headers("gitlab", event: "Push Hook", body: broken, id: id)).status
                    == 400
            )
            let fixed = try await Self.deliver(client, "gitlab", "lab", push, Self.headers("gitlab", event: "Push Hook", body: push, id: id))
            #expect(fixed.status == 201, "\(fixed.text)")
        }
    }

    /// A push listing many commits can pass the API's 5 MiB: webhooks take up to 25 MiB (GitHub's
    /// cap). GitHub's default content type, a form with a `payload` field, is taken too.
    @Test func largeAndFormEncodedDeliveriesAreTaken() async throws {
        let server = ServerHarness(extra: [
            "hello": Self.project("github", repository: "Codertocat/Hello-World", triggers: "[{ push: [] }]")
        ])
        try await server.run(options: Self.options) { client in
            let push = try Self.payload("github", "push-with-new-branch.payload")
            // Its one commit repeated: spliced in as text (building 25 MB through JSONSerialization
            // takes a thread of the test pool for a long while).
            let object = try #require(try JSONSerialization.jsonObject(with: Data(push.utf8)) as? [String: Any])
            let commit = String(
                decoding: try JSONSerialization.data(withJSONObject: try #require((object["commits"] as? [Any])?.first)),
                as: UTF8.self
            )
            var trimmed = object
            trimmed["commits"] = ["COMMITS"]
            let template = String(decoding: try JSONSerialization.data(withJSONObject: trimmed), as: UTF8.self)
            func repeated(toReach bytes: Int) -> String {
                template.replacingOccurrences(
                    of: #"["COMMITS"]"#,
                    with: "[" + Array(repeating: commit, count: bytes / commit.utf8.count + 1).joined(separator: ",") + "]"
                )
            }
            let big = repeated(toReach: 5_300_000)
            #expect(big.utf8.count > Limits.bodyBytes)
            let taken = try await Self.deliver(client, "github", "hello", big, Self.headers("github", event: "push", body: big))
            #expect(taken.status == 201, "\(taken.text.prefix(300))")
            let huge = repeated(toReach: Limits.webhookBytes + 1000)
            let refused = try await Self.deliver(client, "github", "hello", huge, Self.headers("github", event: "push", body: huge))
            #expect(refused.status == 413)

            // Form-encoded, as GitHub sends it by default: signed over the form's bytes.
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            let form = "payload=" + (push.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
            var headers = Self.headers("github", event: "push", body: form)
            headers[.contentType] = "application/x-www-form-urlencoded"
            let formed = try await Self.deliver(client, "github", "hello", form, headers)
            #expect(formed.status == 201, "\(formed.text)")
        }
    }
}
