import Crypto
import Foundation
import HangarAPI
import HangarCore
import HangarMachine
import HangarServer
import HangarStore
import HangarTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

/// Webhooks from GitHub, GitLab and Gitea through the real router, with commit statuses sent to a
/// real stand-in forge (Tests/Fixtures/fake_forge.py) over HTTP.
@Suite(.timeLimit(.minutes(2))) struct WebhookTests {
    static let secret = "s3cret"
    static let commit = "0123456789abcdef0123456789abcdef01234567"

    let log = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-forge-\(UUID().uuidString.prefix(8)).jsonl").path

    /// Starts the stand-in forge and returns its process and URL.
    func startForge() async throws -> (BackgroundProcess, String) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path
        let process = try await TestProcess.start(["python3", "-u", "\(root)/Fixtures/fake_forge.py", log], log: log + ".out")
        let port = try #require(await process.firstLine(), "the stand-in forge did not start: \(process.output())")
        return (process, "http://127.0.0.1:\(port)")
    }

    func project(_ kind: String, forge url: String) -> String {
        """
        machines:
          default: { image: ./none.qcow2 }
        forge: { type: \(kind), repository: team/app, url: "\(url)", token-env: FORGE_TOKEN, trust: everyone }
        jobs:
          ci:
            triggers: [{ push: [main] }, pull-request]
            tasks: [{ host: 'echo "testing $HANGAR_COMMIT on $HANGAR_BRANCH ($HANGAR_EVENT)"' }]
        """
    }

    struct Recorded: Decodable {
        var path: String
        var authorization: String
        var body: String
    }

    /// The requests the forge has seen.
    func recorded() throws -> [Recorded] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Recorded.self, from: Data($0.utf8)) }
    }

    struct Answer: Decodable {
        var result: String
        var runs: [Int]
    }

    func hmac(_ body: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(Self.secret.utf8))).hexString
    }

    func push(_ kind: String, branch: String = "main") -> (body: String, headers: HTTPFields) {
        switch kind {
        case "github":
            let body = #"{"ref": "refs/heads/\#(branch)", "after": "\#(Self.commit)", "repository": {"full_name": "team/app"}}"#
            return (
                body,
                [
                    .init("X-GitHub-Event")!: "push", .init("X-GitHub-Delivery")!: UUID().uuidString,
                    .init("X-Hub-Signature-256")!: "sha256=\(hmac(body))",
                ]
            )
        case "gitea":
            let body = #"{"ref": "refs/heads/\#(branch)", "after": "\#(Self.commit)", "repository": {"full_name": "team/app"}}"#
            return (body, [.init("X-Gitea-Event")!: "push", .init("X-Gitea-Delivery")!: UUID().uuidString, .init("X-Gitea-Signature")!: hmac(body)])
        default:
            let body = #"{"ref": "refs/heads/\#(branch)", "after": "\#(Self.commit)", "project": {"path_with_namespace": "team/app"}}"#
            return (
                body,
                [.init("X-Gitlab-Event")!: "Push Hook", .init("X-Gitlab-Event-UUID")!: UUID().uuidString, .init("X-Gitlab-Token")!: Self.secret]
            )
        }
    }

    /// A push to a matrix job queues a run per cell, one group: each cell with its own commit status,
    /// or, with `status: summary`, one status for the group that ends with the cells' combined state.
    @Test(arguments: [false, true]) func aPushToAMatrixJobReportsItsCells(summary: Bool) async throws {
        let (forgeProcess, forge) = try await startForge()
        defer {
            forgeProcess.signal(SIGTERM)
            try? FileManager.default.removeItem(atPath: log)
            try? FileManager.default.removeItem(atPath: log + ".out")
        }
        let project = """
            forge: { type: github, repository: team/app, url: "\(forge)", token-env: FORGE_TOKEN }
            jobs:
              ci:
                triggers: [{ push: [main] }]
                status: \(summary ? "summary" : "per-cell")
                matrix:
                  DISTRO: [{ value: leap, name: opensuse }, debian]
                tasks: [{ host: 'echo "testing on $DISTRO"' }]
            """
        let options = ServerHarness.Options(
            environment: ["HANGAR_WEBHOOK_SECRET": Self.secret, "FORGE_TOKEN": "tok"],
            publicURL: "http://ci.example"
        )
        try await ServerHarness(extra: ["app": project]).run(options: options) { client in
            let (body, headers) = push("github")
            let response = try await client.call(.post, "/hooks/github/app", body: body, token: .some(nil), headers: headers)
            let answer = try JSONDecoder().decode(Answer.self, from: Data(String(buffer: response.body).utf8))
            #expect(response.status == .created && answer.runs.count == 2)
            var runs: [API.Run] = []
            for id in answer.runs { runs.append(try await client.waitForEnd(id)) }
            #expect(runs.map(\.cell) == ["opensuse", "debian"] && runs.allSatisfy { $0.group == answer.runs[0] && $0.state == .passed })
            var statuses: [[String: String]] = []
            let deadline = ContinuousClock.now + .seconds(20)
            func done() -> Bool { summary ? statuses.last?["state"] == "success" : statuses.count >= 6 }
            while !done(), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                statuses = try recorded().compactMap { try? JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: String] }
            }
            let contexts = statuses.compactMap { $0["context"] }
            if summary {
                #expect(contexts.allSatisfy { $0 == "hangar/ci" } && statuses.first?["state"] == "pending", "\(statuses)")
                #expect(statuses.last?["description"] == "2 cells: 2 passed", "\(statuses)")
                #expect(statuses.last?["target_url"] == "http://ci.example/groups/\(answer.runs[0])")
                #expect(Set(statuses.map { "\($0)" }).count == statuses.count, "no status is sent twice: \(statuses)")
            } else {
                #expect(
                    contexts.filter { $0 == "hangar/ci (opensuse)" }.count == 3 && contexts.filter { $0 == "hangar/ci (debian)" }.count == 3,
                    "\(contexts)"
                )
            }
        }
    }

    @Test(arguments: ["github", "gitlab", "gitea"])
    func aSignedPushRunsTheJobAndReportsItsStatus(kind: String) async throws {
        let (forgeProcess, forge) = try await startForge()
        defer {
            forgeProcess.signal(SIGTERM)
            try? FileManager.default.removeItem(atPath: log)
            try? FileManager.default.removeItem(atPath: log + ".out")
        }
        let server = ServerHarness(extra: ["app": project(kind, forge: forge)])
        let options = ServerHarness.Options(
            environment: ["HANGAR_WEBHOOK_SECRET": Self.secret, "FORGE_TOKEN": "tok"],
            publicURL: "http://ci.example"
        )
        try await server.run(options: options) { client in
            let (body, headers) = push(kind)
            let response = try await client.call(.post, "/hooks/\(kind)/app", body: body, token: .some(nil), headers: headers)
            #expect(response.status == .created, "\(String(buffer: response.body))")
            let answer = try JSONDecoder().decode(Answer.self, from: Data(String(buffer: response.body).utf8))
            let run = try await client.waitForEnd(try #require(answer.runs.first))
            #expect(run.state == .passed)
            #expect(run.cause == "push to main at \(Self.commit.prefix(7)) (\(kind))")
            #expect(String(buffer: try await client.call(.get, "/api/v1/runs/\(run.id)/log").body).contains("testing \(Self.commit) on main (push)"))

            // The same delivery again starts nothing.
            let replay = try await client.call(.post, "/hooks/\(kind)/app", body: body, token: .some(nil), headers: headers)
            #expect(replay.status == .ok)
            #expect(String(buffer: replay.body).contains("duplicate"))
            // A wrong proof is refused; a push to another branch is ignored.
            var forged = push(kind).headers
            for name in ["X-Hub-Signature-256", "X-Gitea-Signature", "X-Gitlab-Token"] where forged[.init(name)!] != nil {
                forged[.init(name)!] = "sha256=00"
            }
            #expect(try await client.call(.post, "/hooks/\(kind)/app", body: body, token: .some(nil), headers: forged).status == .unauthorized)
            let other = push(kind, branch: "feature")
            let ignored = try await client.call(.post, "/hooks/\(kind)/app", body: other.body, token: .some(nil), headers: other.headers)
            #expect(String(buffer: ignored.body).contains("ignored"))
            #expect(try await client.json([API.Run].self, "/api/v1/runs?project=app").count == 1)

            // pending → running → success, in order, each linking to the run.
            var statuses = try recorded()
            let deadline = ContinuousClock.now + .seconds(20)
            while statuses.count < 3, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                statuses = try recorded()
            }
            try #require(statuses.count == 3, "statuses received: \(statuses)")
            let expectedPath =
                switch kind {
                case "github": "/repos/team/app/statuses/\(Self.commit)"
                case "gitea": "/api/v1/repos/team/app/statuses/\(Self.commit)"
                default: "/api/v4/projects/team%2Fapp/statuses/\(Self.commit)?"
                }
            #expect(statuses.allSatisfy { $0.path.hasPrefix(expectedPath) }, "\(statuses.map(\.path))")
            #expect(statuses[0].authorization == (kind == "github" ? "Bearer tok" : kind == "gitea" ? "token tok" : "tok"))
            let text = statuses.map { ($0.body + $0.path).replacingOccurrences(of: "\\/", with: "/") }
            #expect(text[0].contains("pending"))
            #expect(text[2].contains("success"))
            #expect(
                text[2].contains("http://ci.example/runs/\(run.id)") || text[2].contains("http%3A%2F%2Fci.example%2Fruns%2F\(run.id)"),
                "\(text[2])"
            )
            let metrics = String(buffer: try await client.call(.get, "/metrics", token: .some(nil)).body)
            #expect(metrics.contains(#"hangar_webhook_deliveries_total{forge="\#(kind)",result="triggered"} 1"#))
            #expect(metrics.contains(#"hangar_webhook_deliveries_total{forge="\#(kind)",result="duplicate"} 1"#))
            #expect(metrics.contains(#"hangar_webhook_deliveries_total{forge="\#(kind)",result="refused"} 1"#))
            #expect(metrics.contains("hangar_run_duration_seconds_count{project=\"app\",job=\"ci\",status=\"passed\"} 1"))
        }
    }
}
