import Crypto
public import Foundation
import HangarCore
public import HangarMachine

/// What the gate's tests need of the world: a bare git repository (`origin`) whose `main` holds a
/// hangar.yml with a gate, pull requests pushed under `refs/pull/N/head` as GitHub and Gitea keep
/// them, and the stand-in forge (Tests/Fixtures/fake_forge.py) that records every call and merges
/// into `origin` for real. Gitea's deliveries are made as Gitea signs them.
public final class GateStandIn: Sendable {
    public static let secret = "s3cret"
    public let root: String
    public var origin: String { "\(root)/origin.git" }
    var work: String { "\(root)/work" }
    var log: String { "\(root)/forge.jsonl" }
    let forge: BackgroundProcess
    /// The forge's address.
    public let url: String

    /// A request the forge received.
    public struct Call: Decodable, Sendable {
        public var method: String
        public var path: String
        public var body: String

        /// The fields of its JSON body.
        public var fields: [String: String] { ((try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: String]) ?? [:] }
        /// A comment's text.
        public var text: String { fields["body"] ?? "" }
    }

    /// Makes the repositories and starts the forge; `main` gets a hangar.yml whose job `test` runs
    /// `task` on the host, in the gate and (with `check`) on each new head of a pull request — without
    /// one, a task that waits for `release()`, so no run ends before the test says so however slow
    /// the machine. The forge's only member is `alice`. Stop it with `stop()`.
    public init(task given: String? = nil, check: Bool = false) async throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-gate-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: "\(root)/work", withIntermediateDirectories: true)
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path + "/Fixtures"
        let origin = "\(root)/origin.git"
        forge = try await TestProcess.start(["python3", "-u", "\(fixtures)/fake_forge.py", "\(root)/forge.jsonl", origin], log: "\(root)/forge.out")
        guard let port = await forge.firstLine() else {
            forge.terminate()
            throw HangarError(.testGate, "the stand-in forge did not start: \(forge.output())")
        }
        url = "http://127.0.0.1:\(port)"
        let task = given ?? "while [ ! -e \(root)/release ]; do sleep 0.1; done"
        try "alice\n".write(toFile: "\(root)/forge.jsonl.members", atomically: true, encoding: .utf8)
        try await git(["init", "-q", "--bare", "-b", "main", origin])
        try await git(["init", "-q", "-b", "main", work])
        try await git(["remote", "add", "origin", origin], in: work)
        try """
        forge: { type: gitea, repository: team/app, url: "\(url)", token-env: FORGE_TOKEN, secret-env: HOOK_SECRET }
        jobs:
          test: { tasks: [{ host: '\(task)' }] }
        pipelines:
          gate: { on: approved, jobs: [test] }
        \(check ? "  check: { on: pull-request, jobs: [test] }" : "")
        """.write(toFile: "\(work)/hangar.yml", atomically: true, encoding: .utf8)
        try await git(["add", "hangar.yml"], in: work)
        try await git(["commit", "-q", "-m", "base"], in: work)
        try await git(["push", "-q", "origin", "main"], in: work)
    }

    /// The environment a server needs for the gate's project.
    public static let environment = ["HOOK_SECRET": secret, "FORGE_TOKEN": "tok"]

    /// A git project's `source.yml` over `origin`, written into `projects/NAME`.
    public func project(in projects: String, name: String = "app") throws {
        try FileManager.default.createDirectory(atPath: "\(projects)/\(name)", withIntermediateDirectories: true)
        try "git: \(origin)\nbranch: main\n".write(toFile: "\(projects)/\(name)/source.yml", atomically: true, encoding: .utf8)
    }

    /// Lets the runs of a stand-in made without a task end.
    public func release() { FileManager.default.createFile(atPath: "\(root)/release", contents: nil) }

    public func stop() {
        forge.terminate()
        TestProcess.remove(root)
    }

    @discardableResult
    public func git(_ arguments: [String], in folder: String? = nil) async throws -> String {
        let result = try await Command.run(
            ["git", "-c", "user.name=T", "-c", "user.email=t@example.org"] + (folder.map { ["-C", $0] } ?? []) + arguments
        )
        guard result.status == 0 else { throw HangarError(.testGate, "git \(arguments.joined(separator: " ")): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A commit on top of `main` writing `file` (`text`, else the number), pushed as pull request
    /// `number`; its head commit.
    public func pullRequest(_ number: Int, adding file: String, text: String? = nil) async throws -> String {
        try await git(["fetch", "-q", "origin"], in: work)
        try await git(["checkout", "-q", "-B", "pr\(number)", "origin/main"], in: work)
        try (text ?? "\(number)\n").write(toFile: "\(work)/\(file)", atomically: true, encoding: .utf8)
        try await git(["add", file], in: work)
        try await git(["commit", "-q", "-m", "pr \(number)"], in: work)
        try await git(["push", "-q", "-f", "origin", "pr\(number):refs/pull/\(number)/head"], in: work)
        return try await git(["rev-parse", "HEAD"], in: work)
    }

    /// Pull requests 1 to `count`, each adding `fileN`; their head commits.
    public func pullRequests(_ count: Int) async throws -> [String] {
        var heads: [String] = []
        for number in 1...count { heads.append(try await pullRequest(number, adding: "file\(number)")) }
        return heads
    }

    /// Gitea's delivery `event` about pull request `number` at `commit`, opened by `author`, sent
    /// by `sender` (an approval's reviewer), and its headers, signed.
    public func delivery(
        _ event: String,
        action: String,
        number: Int,
        commit: String,
        author: String = "alice",
        sender: String = "alice"
    ) -> (body: String, headers: [(String, String)]) {
        let description = (try? JSONEncoder().encode(descriptions()[number] ?? "")).map { String(decoding: $0, as: UTF8.self) } ?? #""""#
        return signed(
            event,
            """
            {"action": "\(action)", "number": \(number), "pull_request": {"number": \(number), "head": {"ref": "pr\(number)", "sha": "\(commit)"},
            "base": {"ref": "main", "sha": "0000000000000000000000000000000000000000"}, "user": {"login": "\(author)"}, "body": \(description)},
            "repository": {"full_name": "team/app"}, "review": {"type": "pull_request_review_approved", "content": "lgtm"},
            "sender": {"login": "\(sender)"}}
            """
        )
    }

    /// Gitea's delivery of `text` commented on pull request `number` by `author`, signed.
    public func comment(_ text: String, number: Int, by author: String) -> (body: String, headers: [(String, String)]) {
        signed(
            "issue_comment",
            """
            {"action": "created", "is_pull": true, "issue": {"number": \(number)}, "comment": {"body": "\(text)", "user": {"login": "\(author)"}},
            "repository": {"full_name": "team/app"}}
            """
        )
    }

    private func signed(_ event: String, _ body: String) -> (body: String, headers: [(String, String)]) {
        let signature = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(Self.secret.utf8)))
            .map { String(format: "%02x", $0) }.joined()
        return (body, [("X-Gitea-Event", event), ("X-Gitea-Delivery", UUID().uuidString), ("X-Gitea-Signature", signature)])
    }

    /// Gives request `number` a description (`body`): the forge answers it, deliveries carry it.
    public func describe(_ number: Int, _ text: String) throws {
        var all = descriptions()
        all[number] = text
        try JSONEncoder().encode(Dictionary(uniqueKeysWithValues: all.map { ("\($0.key)", $0.value) }))
            .write(to: URL(fileURLWithPath: log + ".bodies"))
    }

    private func descriptions() -> [Int: String] {
        guard let data = FileManager.default.contents(atPath: log + ".bodies"),
            let all = try? JSONDecoder().decode([String: String].self, from: data)
        else { return [:] }
        return Dictionary(uniqueKeysWithValues: all.compactMap { key, value in Int(key).map { ($0, value) } })
    }

    /// The forge answers the next `count` merges 500.
    public func failMerges(_ count: Int) throws {
        try "\(count)".write(toFile: log + ".merge-500", atomically: true, encoding: .utf8)
    }

    /// Every request the forge received, in order.
    public func calls() throws -> [Call] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Call.self, from: Data($0.utf8)) }
    }

    /// The paths of the merges the forge was asked for, in order.
    public func merges() throws -> [String] { try calls().filter { $0.path.hasSuffix("/merge") }.map(\.path) }

    /// The files on `main` now.
    public func filesOnMain() async throws -> [String] {
        try await git(["ls-tree", "--name-only", "main"], in: origin).split(separator: "\n").map(String.init).sorted()
    }
}
