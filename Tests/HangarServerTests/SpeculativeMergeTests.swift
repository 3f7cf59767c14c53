import Foundation
import HangarCore
import HangarMachine
import HangarTestSupport
import Testing

@testable import HangarServer

/// The gate's speculative states on real git repositories: a bare origin holding `main` and pull
/// requests under `refs/pull/N/head` as GitHub keeps them, the server's clone merging them.
@Suite struct SpeculativeMergeTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-gate-\(UUID().uuidString.prefix(8))").path
    var origin: String { "\(root)/origin.git" }
    var work: String { "\(root)/work" }

    @discardableResult
    func git(_ arguments: [String], in folder: String? = nil) async throws -> String {
        let result = try await Command.run(
            ["git", "-c", "user.name=T", "-c", "user.email=t@example.org"] + (folder.map { ["-C", $0] } ?? []) + arguments
        )
        #expect(result.status == 0, "git \(arguments.joined(separator: " ")): \(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A commit on top of `main` writing `text` to `file`, pushed as pull request `number`.
    func pullRequest(_ number: Int, _ file: String, _ text: String) async throws -> GateChange {
        try await git(["checkout", "-q", "-B", "pr\(number)", "main"], in: work)
        try text.write(toFile: "\(work)/\(file)", atomically: true, encoding: .utf8)
        try await git(["add", file], in: work)
        try await git(["commit", "-q", "-m", "pr \(number)"], in: work)
        try await git(["push", "-q", "origin", "pr\(number):refs/pull/\(number)/head"], in: work)
        return GateChange(name: "team/app#\(number)", ref: "refs/pull/\(number)/head", commit: try await git(["rev-parse", "HEAD"], in: work))
    }

    /// Origin with `main` (a README) and three requests: 1 and 3 both change `app.c`.
    func repositories() async throws -> (GitSource, [GateChange]) {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try await git(["init", "-q", "--bare", "-b", "main", origin])
        try await git(["init", "-q", "-b", "main", work])
        try "base\n".write(toFile: "\(work)/README", atomically: true, encoding: .utf8)
        try await git(["add", "README"], in: work)
        try await git(["commit", "-q", "-m", "base"], in: work)
        try await git(["remote", "add", "origin", origin], in: work)
        try await git(["push", "-q", "origin", "main"], in: work)
        let changes = [
            try await pullRequest(1, "app.c", "int main() { return 1; }\n"),
            try await pullRequest(2, "lib.c", "int lib;\n"),
            try await pullRequest(3, "app.c", "int main() { return 3; }\n"),
        ]
        let source = GitSource(url: origin, branch: "main", clone: "\(root)/clone")
        _ = try await source.update()
        return (source, changes)
    }

    @Test(arguments: PipelineSpec.MergeMethod.allCases)
    func theChangesAheadAndTheChangeAreAppliedOntoTheBranchAsTheGateWillMergeThem(method: PipelineSpec.MergeMethod) async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (source, changes) = try await repositories()
        let commit = try await source.speculativeMerge([changes[0], changes[1]], method: method).commit
        let files = try await git(["ls-tree", "--name-only", commit], in: source.clone)
        #expect(files.split(separator: "\n") == ["README", "app.c", "lib.c"])
        let merges = try await git(["rev-list", "--merges", "--count", "origin/main..\(commit)"], in: source.clone)
        let commits = try await git(["rev-list", "--count", "origin/main..\(commit)"], in: source.clone)
        switch method {
        case .merge: #expect(merges == "2" && commits == "4", "a merge commit per change, beside the change's own")
        case .squash, .rebase: #expect(merges == "0" && commits == "2", "one commit per change, on a line")
        }
        #expect(try await git(["rev-parse", "refs/hangar/gate/\(commit)"], in: source.clone) == commit, "kept where git keeps it")
        let checkout = "\(root)/run"
        try await source.checkout(commit, at: checkout)
        #expect(try String(contentsOfFile: "\(checkout)/lib.c", encoding: .utf8) == "int lib;\n")
        #expect(try await git(["worktree", "list", "--porcelain"], in: source.clone).components(separatedBy: "worktree ").count == 2)
    }

    /// A replica whose clone lacks a merge another made (for a gate run it hands out) makes the very
    /// same commit again from the recipe.
    @Test(arguments: PipelineSpec.MergeMethod.allCases)
    func anotherCloneMakesTheSameMergeAgain(method: PipelineSpec.MergeMethod) async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (source, changes) = try await repositories()
        let (commit, recipe) = try await source.speculativeMerge([changes[0], changes[1]], method: method)
        // The branch moves on meanwhile (the gate merged something): the merge is made on its old head.
        try await git(["checkout", "-q", "main"], in: work)
        try "moved on\n".write(toFile: "\(work)/NEWS", atomically: true, encoding: .utf8)
        try await git(["add", "NEWS"], in: work)
        try await git(["commit", "-q", "-m", "news"], in: work)
        try await git(["push", "-q", "origin", "main"], in: work)
        let other = GitSource(url: source.url, branch: "main", clone: "\(root)/other")
        _ = try await other.update()
        #expect(await !other.has(commit), "made in the first clone only")
        try await other.remake(commit, from: recipe)
        #expect(await other.has(commit))
        let checkout = "\(root)/run"
        try await other.checkout(commit, ref: "refs/hangar/gate/\(commit)", at: checkout)
        #expect(try String(contentsOfFile: "\(checkout)/lib.c", encoding: .utf8) == "int lib;\n")
        let differently = GateRecipe(changes: [changes[1], changes[0]], method: method, base: recipe.base)
        let third = GitSource(url: source.url, branch: "main", clone: "\(root)/third")
        _ = try await third.update()
        let refused = await failure { try await third.remake(commit, from: differently) }
        #expect(refused?.message.contains("could not be made again here") == true, "\(String(describing: refused))")
    }

    @Test func aChangeThatConflictsIsNamedWithWhatItWentOntoAndLeavesNothing() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (source, changes) = try await repositories()
        do {
            _ = try await source.speculativeMerge([changes[0], changes[1], changes[2]], method: .merge)
            Issue.record("request 3 conflicts with request 1")
        } catch {
            #expect(error.code == .sourceConflict)
            #expect(error.message == "change team/app#3 does not apply onto main + team/app#1 + team/app#2: conflicts in app.c", "\(error)")
        }
        #expect(try await git(["worktree", "list", "--porcelain"], in: source.clone).components(separatedBy: "worktree ").count == 2)
        #expect(try await git(["status", "--porcelain"], in: source.clone).isEmpty)
        let alone = try await source.speculativeMerge([changes[2]], method: .rebase).commit
        #expect(try await git(["show", "\(alone):app.c"], in: source.clone) == "int main() { return 3; }")
    }
}
