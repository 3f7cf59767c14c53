import Crypto
import Foundation
import HTTPTypes
import HangarAPI
import HangarCore
import HangarMachine
import HangarServer
import HangarTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

/// The gate end to end, through the real router and the real gate engine: a bare git repository
/// with pull requests under `refs/pull/N/head`, a git project over it, the stand-in forge
/// (Tests/Fixtures/fake_forge.py) merging for real into the repository, and Gitea's webhooks as
/// Gitea sends them (`X-Gitea-Event: pull_request_approved` for an approving review, written from
/// Gitea's documentation and source: no delivery of one is in ../shared).
@Suite(.timeLimit(.minutes(3))) struct GateTests {
    static let secret = "s3cret"
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-gate-\(UUID().uuidString.prefix(8))").path
    var origin: String { "\(root)/origin.git" }
    var work: String { "\(root)/work" }
    var log: String { "\(root)/forge.jsonl" }

    @discardableResult
    func git(_ arguments: [String], in folder: String? = nil) async throws -> String {
        let result = try await Command.run(
            ["git", "-c", "user.name=T", "-c", "user.email=t@example.org"] + (folder.map { ["-C", $0] } ?? []) + arguments
        )
        #expect(result.status == 0, "git \(arguments.joined(separator: " ")): \(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A commit on top of `main` adding `file`, pushed as pull request `number`; its head commit.
    func pullRequest(_ number: Int, adding file: String) async throws -> String {
        try await git(["checkout", "-q", "-B", "pr\(number)", "main"], in: work)
        try "\(number)\n".write(toFile: "\(work)/\(file)", atomically: true, encoding: .utf8)
        try await git(["add", file], in: work)
        try await git(["commit", "-q", "-m", "pr \(number)"], in: work)
        try await git(["push", "-q", "-f", "origin", "pr\(number):refs/pull/\(number)/head"], in: work)
        return try await git(["rev-parse", "HEAD"], in: work)
    }

    /// Gitea's delivery `event` about pull request `number` at `commit`, signed.
    func delivery(_ event: String, action: String, number: Int, commit: String) -> (body: String, headers: HTTPFields) {
        let body = """
            {"action": "\(action)", "number": \(number), "pull_request": {"number": \(number), "head": {"ref": "pr\(number)", "sha": "\(commit)"},
            "base": {"ref": "main", "sha": "0000000000000000000000000000000000000000"}}, "repository": {"full_name": "team/app"},
            "review": {"type": "pull_request_review_approved", "content": "lgtm"}}
            """
        let signature = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(Self.secret.utf8))).hexString
        return (body, [.init("X-Gitea-Event")!: event, .init("X-Gitea-Delivery")!: UUID().uuidString, .init("X-Gitea-Signature")!: signature])
    }

    struct Recorded: Decodable {
        var method: String
        var path: String
        var body: String

        /// The fields of its JSON body.
        var fields: [String: String] { ((try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: String]) ?? [:] }
        /// A comment's text.
        var text: String { fields["body"] ?? "" }
    }

    func recorded() throws -> [Recorded] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Recorded.self, from: Data($0.utf8)) }
    }

    /// Three approved pull requests, the second breaking the tests: the first and third merge (the
    /// third after its testing on top of the second is cancelled and restarted without it), the
    /// second leaves with a comment naming its failed run; a forge answering 500 to the first merge
    /// is asked again; new commits pushed to an approved request take it out of the gate.
    @Test func approvedChangesMergeInOrderAndABrokenOneLeavesWithAComment() async throws {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await git(["init", "-q", "--bare", "-b", "main", origin])
        try await git(["init", "-q", "-b", "main", work])
        try await git(["remote", "add", "origin", origin], in: work)
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path + "/Fixtures"
        let forgeProcess = try await TestProcess.start(["python3", "-u", "\(fixtures)/fake_forge.py", log, origin], log: log + ".out")
        defer { forgeProcess.signal(SIGTERM) }
        let port = try #require(await forgeProcess.firstLine(), "the stand-in forge did not start: \(forgeProcess.output())")
        try """
        forge: { type: gitea, repository: team/app, url: "http://127.0.0.1:\(port)", token-env: FORGE_TOKEN, secret-env: HOOK_SECRET }
        jobs:
          test: { tasks: [{ host: 'sleep 2; test ! -e BROKEN' }] }
        pipelines:
          gate: { on: approved, jobs: [test] }
        """.write(toFile: "\(work)/hangar.yml", atomically: true, encoding: .utf8)
        try await git(["add", "hangar.yml"], in: work)
        try await git(["commit", "-q", "-m", "base"], in: work)
        try await git(["push", "-q", "origin", "main"], in: work)
        let heads = [try await pullRequest(1, adding: "one"), try await pullRequest(2, adding: "BROKEN"), try await pullRequest(3, adding: "three")]
        try "1".write(toFile: log + ".merge-500", atomically: true, encoding: .utf8)

        let server = ServerHarness()
        try FileManager.default.createDirectory(atPath: "\(server.projects)/app", withIntermediateDirectories: true)
        try "git: \(origin)\nbranch: main\n".write(toFile: "\(server.projects)/app/source.yml", atomically: true, encoding: .utf8)
        let options = ServerHarness.Options(environment: ["HOOK_SECRET": Self.secret, "FORGE_TOKEN": "tok"], publicURL: "http://ci.example")
        try await server.run(options: options) { client in
            try await eventually("the project loads") { try await client.json(API.Project.self, "/api/v1/projects/app").jobs.isEmpty == false }
            for (index, head) in heads.enumerated() {
                let (body, headers) = delivery("pull_request_approved", action: "reviewed", number: index + 1, commit: head)
                let answer = try await client.call(.post, "/hooks/gitea/app", body: body, token: .some(nil), headers: headers)
                #expect(answer.status == .ok && String(buffer: answer.body).contains("joined the gate"), "\(String(buffer: answer.body))")
            }
            let queued = try await client.json([API.Queue].self, "/api/v1/queues")
            #expect(queued.first?.items.map(\.change) == ["team/app#1", "team/app#2", "team/app#3"], "\(queued)")
            try await eventually("the head is tested") {
                try await client.json([API.Queue].self, "/api/v1/queues").first?.items.first?.runs.isEmpty == false
            }
            let page = String(buffer: try await client.call(.get, "/queues").body)
            #expect(page.contains("team/app#3") && page.contains("team/app#1 + team/app#2"), "the page shows what #3 is tested on: \(page)")

            // A fourth, approved, then given new commits: it leaves the gate.
            let fourth = try await pullRequest(4, adding: "four")
            let (approval, approvalHeaders) = delivery("pull_request_approved", action: "reviewed", number: 4, commit: fourth)
            try await client.call(.post, "/hooks/gitea/app", body: approval, token: .some(nil), headers: approvalHeaders)
            let newer = try await pullRequest(4, adding: "four-again")
            let (push, pushHeaders) = delivery("pull_request", action: "synchronized", number: 4, commit: newer)
            let pushed = try await client.call(.post, "/hooks/gitea/app", body: push, token: .some(nil), headers: pushHeaders)
            #expect(String(buffer: pushed.body).contains("left the gate"), "\(String(buffer: pushed.body))")

            try await eventually("the queue empties: \((try? recorded().map(\.path)) ?? [])", within: .seconds(90)) {
                try await client.json([API.Queue].self, "/api/v1/queues").first?.items.isEmpty == true
            }
        }
        let calls = try recorded()
        let merges = calls.filter { $0.path.hasSuffix("/merge") }.map(\.path)
        #expect(
            merges == ["/api/v1/repos/team/app/pulls/1/merge", "/api/v1/repos/team/app/pulls/1/merge", "/api/v1/repos/team/app/pulls/3/merge"],
            "\(merges)"
        )
        let comments = calls.filter { $0.path.hasSuffix("/comments") }
        let second = try #require(comments.first { $0.path == "/api/v1/repos/team/app/issues/2/comments" }, "\(comments.map(\.path))")
        #expect(
            second.text.contains("team/app#2 left the gate: its jobs failed: job test failed") && second.text.contains("http://ci.example/runs/"),
            "\(second.text)"
        )
        #expect(comments.contains { $0.path.hasSuffix("/issues/4/comments") && $0.text.contains("new commits were pushed to it") })
        let statuses = calls.filter { $0.path.contains("/statuses/") }
        #expect(
            statuses.contains {
                $0.path.hasSuffix("/statuses/\(heads[2])") && $0.fields["context"] == "hangar/gate/test" && $0.fields["state"] == "success"
            },
            "the request's head commit gets the gate's status: \(statuses.map(\.fields))"
        )
        let files = try await git(["ls-tree", "--name-only", "main"], in: origin)
        #expect(files.split(separator: "\n").sorted() == ["hangar.yml", "one", "three"], "main has #1 and #3, not #2 or #4: \(files)")
    }
}
