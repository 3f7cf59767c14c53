import Foundation
import HangarCore
import Testing

@testable import HangarServer

/// What the gate hears in a delivery: approvals, labels, new commits and closings. The forges'
/// published payloads (`../shared/fixtures/webhook-payloads/`) where they have one; the approvals,
/// which no fixture there has, written from each forge's documentation (GitHub's
/// `pull_request_review`, Gitea's `pull_request_approved`, GitLab's merge request `approved`).
@Suite struct GateDeliveryTests {
    /// The request update in a delivery, without its author (`author` reads that).
    func read(_ kind: ForgeSpec.Kind, _ event: String, _ body: String) throws -> RequestUpdate? {
        var update = try delivery(kind, event, body).request
        update?.author = nil
        return update
    }

    func delivery(_ kind: ForgeSpec.Kind, _ event: String, _ body: String) throws -> WebhookDelivery {
        let name = kind == .gitlab ? "X-Gitlab-Event" : kind == .github ? "X-GitHub-Event" : "X-Gitea-Event"
        return try WebhookDelivery.read(kind, body: Array(body.utf8), header: { $0 == name ? event : nil })
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

    @Test func authorsAndCommentsAreRead() throws {
        let opened = try delivery(.github, "pull_request", fixture("github/pull_request-opened.payload"))
        #expect(opened.request?.author == Person(login: "Codertocat", id: 21_031_067, association: "OWNER"))
        let github =
            #"{"action": "created", "issue": {"number": 7, "pull_request": {"url": "x"}}, "comment": {"body": "lgtm\n/hangar ok-to-test", "user": {"login": "alice"}, "author_association": "MEMBER"}}"#
        let asked = try #require(try delivery(.github, "issue_comment", github).comment)
        #expect(
            asked.number == 7 && asked.command == .okToTest && asked.by == Person(login: "alice", id: nil, association: "MEMBER") && asked.head == nil
        )
        let onIssue = #"{"action": "created", "issue": {"number": 8}, "comment": {"body": "recheck", "user": {"login": "alice"}}}"#
        #expect(try delivery(.github, "issue_comment", onIssue).comment == nil, "a comment on an issue, not a pull request")
        let gitea = #"{"action": "created", "is_pull": true, "issue": {"number": 7}, "comment": {"body": " Recheck ", "user": {"login": "bob"}}}"#
        #expect(try delivery(.gitea, "issue_comment", gitea).comment?.command == .recheck)
        let gitlab =
            #"{"object_attributes": {"note": "recheck", "noteable_type": "MergeRequest"}, "merge_request": {"iid": 7, "source_branch": "fix", "target_branch": "main", "last_commit": {"id": "abc"}}, "user": {"id": 5, "username": "carol"}}"#
        let note = try #require(try delivery(.gitlab, "Note Hook", gitlab).comment)
        #expect(note.command == .recheck && note.by.id == 5 && note.head?.commit == "abc" && note.head?.ref == "refs/merge-requests/7/head")
        #expect(RequestComment(number: 1, text: "please recheck this", by: note.by).command == nil, "a command is a line of its own")
    }

    @Test func dependsOnLinesNameChanges() {
        let text = """
            Fixes the thing.
            Depends-On: https://github.com/team/lib/pull/12
            depends-on:   https://gitea.example.org/team/app/pulls/3
            Depends-On: https://gitlab.example.org/group/sub/project/-/merge_requests/7
            Depends-On: https://example.org/not/a/request
            Not a Depends-On: https://github.com/team/lib/pull/13
            """
        #expect(DependsOn.changes(in: text) == ["team/lib#12", "team/app#3", "group/sub/project#7"])
    }
}
