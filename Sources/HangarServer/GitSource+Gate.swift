import Foundation
import HangarCore
import HangarMachine

/// A change in the gate's queue as git sees it: where its forge keeps its head (GitHub and Gitea
/// `refs/pull/N/head`, GitLab `refs/merge-requests/N/head`) and which commit that is.
struct GateChange: Sendable, Equatable, Codable {
    /// How people name it (`team/app#12`).
    var name: String
    var ref: String
    var commit: String
}

/// How a speculative merge is made: what `GitSource.speculativeMerge` was given, kept with its
/// testing (JSON) so another replica can make the same commit.
struct GateRecipe: Codable, Equatable {
    var changes: [GateChange]
    var method: PipelineSpec.MergeMethod
    /// The branch's commit the changes went onto (the branch moves on as the gate merges).
    var base: String

    var json: String { String(decoding: (try? JSONEncoder().encode(self)) ?? Data(), as: UTF8.self) }
}

extension GitSource {
    /// Makes merge `commit` again from `recipe` (a testing another replica started), unless the
    /// clone has it; an error when the same changes no longer make the same commit.
    func remake(_ commit: String, from recipe: GateRecipe) async throws(HangarError) {
        guard await !has(commit) else { return }
        let made = try await speculativeMerge(recipe.changes, method: recipe.method, onto: recipe.base).commit
        guard made == commit else {
            throw HangarError(.sourceGit, "the gate's merge \(commit) could not be made again here (the same changes made \(made))")
        }
    }

    /// The gate's speculative state (Zuul's merger): the branch head with `changes` merged onto it in
    /// order, each as the gate will merge it (`method`), made in a scratch worktree of the server's
    /// clone and kept under `refs/hangar/gate/COMMIT` so a run can check it out (`checkout`) and git
    /// does not collect it. A change that does not apply is a `source.conflict` naming it, what it
    /// went onto and the files; nothing is left of the attempt.
    ///
    /// The merge is the same commit wherever it is made (Hangar's name and a fixed date on what it
    /// commits), so another replica whose clone lacks it makes it again for a run it hands out.
    /// `base`: the commit to start from instead of the branch's head (making a merge again).
    func speculativeMerge(
        _ changes: [GateChange],
        method: PipelineSpec.MergeMethod,
        onto base: String? = nil
    ) async throws(HangarError) -> (commit: String, recipe: GateRecipe) {
        try await exclusively { () throws(HangarError) in
            try await git(["-C", clone, "fetch", "--quiet", "origin"])
            let start = try await git(["-C", clone, "rev-parse", base ?? "origin/\(branch)"]).trimmingCharacters(in: .whitespacesAndNewlines)
            return (try await merge(changes, method: method, onto: start), GateRecipe(changes: changes, method: method, base: start))
        }
    }

    private func merge(_ changes: [GateChange], method: PipelineSpec.MergeMethod, onto start: String) async throws(HangarError) -> String {
        let scratch = "\(clone).gate-\(UUID().uuidString.prefix(8))"
        try await git(["-C", clone, "worktree", "add", "--quiet", "--detach", scratch, start])
        do {
            for (index, change) in changes.enumerated() {
                try await apply(change, onto: changes[..<index].map(\.name), method: method, in: scratch)
            }
            let commit = try await git(["-C", scratch, "rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
            try await git(["-C", clone, "update-ref", "refs/hangar/gate/\(commit)", commit])
            try await removeWorktree(scratch)
            return commit
        } catch {
            try? await removeWorktree(scratch)
            throw error
        }
    }

    private func removeWorktree(_ scratch: String) async throws(HangarError) {
        try await git(["-C", clone, "worktree", "remove", "--force", scratch])
    }

    /// Applies `change` onto the scratch worktree's head, where the branch and `applied` are.
    private func apply(_ change: GateChange, onto applied: [String], method: PipelineSpec.MergeMethod, in scratch: String) async throws(HangarError) {
        try await fetch(change.commit, refs: [change.ref])
        do {
            try await apply(change, method: method, in: scratch)
        } catch {
            let files = (try? await git(["-C", scratch, "diff", "--name-only", "--diff-filter=U"])) ?? ""
            let conflicts = files.split(separator: "\n").joined(separator: ", ")
            throw HangarError(
                .sourceConflict,
                "change \(change.name) does not apply onto \(([branch] + applied).joined(separator: " + "))"
                    + (conflicts.isEmpty ? ": \(error.message)" : ": conflicts in \(conflicts)"),
                hint: "rebase it onto \(branch) and push again"
            )
        }
    }

    /// Applies one change onto the scratch worktree's head.
    private func apply(_ change: GateChange, method: PipelineSpec.MergeMethod, in scratch: String) async throws(HangarError) {
        let author = ["-c", "user.name=Hangar", "-c", "user.email=hangar@localhost", "-C", scratch]
        let fixed = ["GIT_AUTHOR_DATE": Self.mergeDate, "GIT_COMMITTER_DATE": Self.mergeDate]
        switch method {
        case .merge:
            try await git(author + ["merge", "--quiet", "--no-ff", "-m", "Merge \(change.name)", change.commit], environment: fixed)
        case .squash:
            try await git(author + ["merge", "--quiet", "--squash", change.commit], environment: fixed)
            try await git(author + ["commit", "--quiet", "--allow-empty", "-m", "\(change.name) (squashed)"], environment: fixed)
        case .rebase:
            let base = try await git(["-C", scratch, "merge-base", "HEAD", change.commit]).trimmingCharacters(in: .whitespacesAndNewlines)
            // The picked commits keep their authors; only the committer's date is fixed.
            let committed = ["GIT_COMMITTER_DATE": Self.mergeDate]
            try await git(author + ["cherry-pick", "--allow-empty", "--keep-redundant-commits", "\(base)..\(change.commit)"], environment: committed)
        }
    }

    /// The date on what the gate commits, so a merge is the same commit on every replica.
    static let mergeDate = "2000-01-01T00:00:00+0000"
}
