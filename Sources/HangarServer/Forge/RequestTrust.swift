import HangarCore
import HangarStore
import Logging

/// Who may make a pull request run (the forge's `trust:`): with `members`, a request whose author
/// is not one of the repository's members runs nothing — no check runs, no secrets near its code —
/// until a member comments `/hangar ok-to-test` (remembered per request, so its later pushes run);
/// `recheck` (or `/hangar recheck`) from a member, or on a request a member let run, runs its jobs
/// again, and Hangar says which known issue its last failure matched.
extension Webhooks {
    /// What a comment asks for.
    enum CommentOutcome {
        /// Run the request's jobs on `head`, then say `say` (with the runs) on it.
        case run(WebhookEvent, say: String)
        case ignore(String)
    }

    /// Whether `request`'s runs may start: the forge trusts everyone, its author is a member, or a
    /// member let it run.
    func trusted(_ request: RequestUpdate, project: String, forge: ForgeSpec) async throws -> Bool {
        if forge.trust == .everyone { return true }
        if let author = request.author, await client(forge).isMember(author) { return true }
        return try await control.store.isTrusted(project: project, number: request.number)
    }

    /// Whether an approval counts: only a member's does (anyone may leave an approving review on a
    /// public repository). Other news of a request always counts.
    func approvedByMember(_ request: RequestUpdate, forge: ForgeSpec) async throws -> Bool {
        guard request.kind == .approved else { return true }
        guard let reviewer = request.by, await client(forge).isMember(reviewer) else {
            logger.notice("an approval by someone who is not a member does not gate", metadata: ["reviewer": "\(request.by?.login ?? "?")"])
            return false
        }
        return true
    }

    func commented(_ comment: RequestComment, project: String, forge: ForgeSpec) async throws -> CommentOutcome {
        guard let command = comment.command else { return .ignore("a comment starts runs only with '/hangar ok-to-test' or 'recheck'") }
        let client = client(forge)
        let member = await client.isMember(comment.by)
        switch command {
        case .okToTest:
            guard member else {
                return .ignore("only a member of \(forge.repository) lets a pull request run; \(comment.by.login) is not one")
            }
            try await control.store.trustRequest(project: project, number: comment.number, by: comment.by.login)
        case .recheck:
            let letRun = try await control.store.isTrusted(project: project, number: comment.number)
            guard forge.trust == .everyone || member || letRun else {
                return .ignore("pull request #\(comment.number) waits for a member's '/hangar ok-to-test'; a recheck does not run it")
            }
        }
        let fetched = comment.head == nil ? await client.head(of: comment.number) : nil
        guard let head = comment.head ?? fetched else {
            return .ignore("the forge did not say pull request #\(comment.number)'s head commit; nothing was started")
        }
        switch command {
        case .okToTest:
            return .run(head, say: "\(comment.by.login) let pull request #\(comment.number) run at \(head.commit.prefix(7))")
        case .recheck:
            return .run(head, say: "rechecking #\(comment.number) at \(head.commit.prefix(7))\(try await lastFailure(of: head, project: project))")
        }
    }

    /// The request's last failed run and the known issues it matched: ` (its last failure, run #12,
    /// matched signature 'mirror-down')`, or nothing.
    private func lastFailure(of head: WebhookEvent, project: String) async throws -> String {
        var failed: [StoredRun] = []
        for state in RunState.endedBadly { failed += try await control.store.runs(state: state, project: project, trigger: .webhook, limit: 200) }
        guard let last = failed.filter({ $0.parameters["HANGAR_REF"] == head.ref }).max(by: { $0.id < $1.id }) else { return "" }
        let matches = try await control.store.matches(run: last.id)
        guard !matches.isEmpty else { return " (its last failure, run #\(last.id), matched no known issue)" }
        return " (its last failure, run #\(last.id), matched \(RunControl.named(matches)))"
    }

    func client(_ forge: ForgeSpec) -> ForgeClient {
        ForgeClient(forge: forge, token: forge.tokenVariable.flatMap { environment[$0] } ?? "", logger: logger)
    }

    /// Comments `text` on request `number`; a forge that refuses is logged.
    func say(_ text: String, on number: Int, forge: ForgeSpec) async {
        do {
            try await client(forge).comment(number, text)
        } catch {
            logger.error("cannot comment on a pull request", metadata: ["repository": "\(forge.repository)", "error": "\(error)"])
        }
    }
}
