import Foundation
import HangarCore
import Testing

@testable import HangarServer

/// What the gate hears in a delivery: approvals, labels, new commits and closings. The forges'
/// published payloads (`../shared/fixtures/webhook-payloads/`) where they have one; the approvals,
/// which no fixture there has, written from each forge's documentation (GitHub's
/// `pull_request_review`, Gitea's `pull_request_approved`, GitLab's merge request `approved`).
@Suite struct GateDeliveryTests {
    func read(_ kind: ForgeSpec.Kind, _ event: String, _ body: String) throws -> RequestUpdate? {
        let name = kind == .gitlab ? "X-Gitlab-Event" : kind == .github ? "X-GitHub-Event" : "X-Gitea-Event"
        return try WebhookDelivery.read(kind, body: Array(body.utf8), header: { $0 == name ? event : nil }).request
    }

    func fixture(_ path: String) throws -> String {
        try ForgePayloadTests.payload((path as NSString).deletingLastPathComponent, (path as NSString).lastPathComponent)
    }

    @Test func publishedPayloadsSayLabelsNewCommitsAndClosings() throws {
        let head = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
        #expect(
            try read(.github, "pull_request", fixture("github/pull_request-labeled.payload"))
                == RequestUpdate(number: 2, kind: .labeled(["bug"]), commit: head, base: "master")
        )
        #expect(try read(.github, "pull_request", fixture("github/pull_request-synchronize.payload"))?.kind == .newCommits)
        #expect(try read(.github, "pull_request", fixture("github/pull_request-closed.payload"))?.kind == .closed)
        #expect(
            try read(.gitea, "pull_request", fixture("gitea/go-scm-pull_request_closed"))
                == RequestUpdate(number: 1, kind: .closed, commit: "2eba238e33607c1fa49253182e9fff42baafa1eb", base: "master")
        )
        #expect(try read(.gitlab, "Merge Request Hook", fixture("gitlab/go-scm-pull_request_close"))?.kind == .closed)
        #expect(try read(.gitlab, "Merge Request Hook", fixture("gitlab/go-scm-pull_request_merge"))?.kind == .closed)
        #expect(try read(.github, "push", fixture("github/push-payload")) == nil, "a push is not the gate's")
    }

    @Test func eachForgesApprovalIsHeard() throws {
        let request = #""pull_request": {"number": 7, "head": {"ref": "fix", "sha": "abc"}, "base": {"ref": "main", "sha": "def"}}"#
        let approved = RequestUpdate(number: 7, kind: .approved, commit: "abc", base: "main")
        #expect(try read(.github, "pull_request_review", #"{"action": "submitted", "review": {"state": "approved"}, \#(request)}"#) == approved)
        #expect(try read(.github, "pull_request_review", #"{"action": "submitted", "review": {"state": "commented"}, \#(request)}"#) == nil)
        #expect(
            try read(
                .gitea,
                "pull_request_approved",
                #"{"action": "reviewed", "number": 7, "review": {"type": "pull_request_review_approved"}, \#(request)}"#
            ) == approved
        )
        let gitlab =
            #"{"object_attributes": {"action": "approved", "iid": 7, "source_branch": "fix", "target_branch": "main", "last_commit": {"id": "abc"}}}"#
        #expect(try read(.gitlab, "Merge Request Hook", gitlab) == approved)
        let labels =
            #"{"object_attributes": {"action": "update", "iid": 7, "source_branch": "fix", "target_branch": "main", "last_commit": {"id": "abc"}}, "changes": {"labels": {"current": [{"title": "merge"}]}}}"#
        #expect(try read(.gitlab, "Merge Request Hook", labels)?.kind == .labeled(["merge"]))
    }
}
