import Crypto
import Foundation
import HangarCore
import Hummingbird

/// What a forge's push or pull/merge request did to which commit, read from a verified delivery.
struct WebhookEvent: Equatable {
    enum Kind: String {
        case push
        case pullRequest = "pull-request"
    }

    var kind: Kind
    /// The branch pushed to, or the request's source branch.
    var branch: String
    /// A request's target branch (nil for a push).
    var base: String?
    /// `refs/heads/…` for a push, `refs/pull/N/head`-style for a request (as the forge names it).
    var ref: String
    var commit: String

    /// What started a run, for people: `push to main at 1a2b3c4 (gitea)`.
    func cause(forge: String) -> String {
        "\(kind == .push ? "push to" : "pull request from") \(branch) at \(commit.prefix(7)) (\(forge))"
    }

    /// A request's number, from its ref (`refs/pull/12/head`, `refs/merge-requests/12/head`).
    var number: Int? {
        guard kind == .pullRequest else { return nil }
        let parts = ref.split(separator: "/")
        return parts.count == 4 ? Int(parts[2]) : nil
    }

    /// True when `trigger` asks for this event.
    func matches(_ trigger: JobTrigger) -> Bool {
        switch (trigger, kind) {
        case (.push(let branches), .push): branches.isEmpty || branches.contains(branch)
        case (.pullRequest(let branches), .pullRequest): branches.isEmpty || base.map(branches.contains) == true
        default: false
        }
    }

    /// The parameters a run for this event gets.
    var parameters: [String: String] {
        var values = ["HANGAR_COMMIT": commit, "HANGAR_REF": ref, "HANGAR_BRANCH": branch, "HANGAR_EVENT": kind.rawValue]
        if let base { values["HANGAR_BASE_BRANCH"] = base }
        return values
    }
}

/// A forge's webhook request, checked and read: the repository it is about and the event in it,
/// if that event starts runs.
struct WebhookDelivery: Equatable {
    /// The repository as the forge names it (`owner/name`; GitLab: the project's full path); nil
    /// when the delivery names none (an organisation's ping).
    var repository: String?
    /// The push or request; nil when the delivery starts no runs.
    var event: WebhookEvent?
    /// Why it starts no runs (a ping, a tag, a closed request...).
    var ignored: String?
    /// What happened to a pull or merge request, for the gate (approved, labelled, new commits,
    /// closed); nil for a push.
    var request: RequestUpdate?
    /// A comment on a pull or merge request (`/hangar ok-to-test`, `recheck`).
    var comment: RequestComment?
    /// What the forge called it, and the action (`Push Hook`, `pull_request`/`opened`), for a
    /// delivery that carries no id of its own.
    var name: String

    /// Why a delivery is refused.
    enum Problem: Error, Equatable {
        /// Signature or token wrong or missing: 401.
        case unauthenticated(String)
        /// Not what the forge sends: 400.
        case malformed(String)
    }

    /// Deliveries without an id of their own are told apart by forge, event, ref and commit: the
    /// same within this many seconds is a resend.
    static let resendWindow = 3600.0

    /// The delivery's id: its header (forge-prefixed, `github:…`) when the forge sent one (GitHub
    /// and Gitea always do; GitLab from 13.x on), else one made of the forge, the event, the ref
    /// and the commit, which is a resend only within `resendWindow`.
    func id(_ kind: ForgeSpec.Kind, header: (String) -> String?) -> (id: String, window: Double?) {
        let name =
            switch kind {
            case .github: "X-GitHub-Delivery"
            case .gitea: "X-Gitea-Delivery"
            case .gitlab: "X-Gitlab-Event-UUID"
            }
        if let given = header(name), !given.isEmpty { return ("\(kind.rawValue):\(given)", nil) }
        return ("\(kind.rawValue):\(self.name):\(event?.ref ?? ""):\(event?.commit ?? "")", Self.resendWindow)
    }

    /// Checks the request's proof against `secret`: GitHub's and Gitea's HMAC-SHA256 of the body,
    /// GitLab's token header.
    static func verify(_ kind: ForgeSpec.Kind, body: [UInt8], secret: String, header: (String) -> String?) throws(Problem) {
        switch kind {
        case .github, .gitea:
            let name = kind == .github ? "X-Hub-Signature-256" : "X-Gitea-Signature"
            guard var given = header(name) else { throw .unauthenticated("no \(name) header") }
            if kind == .github {
                guard given.hasPrefix("sha256=") else { throw .unauthenticated("\(name) is not sha256=…") }
                given.removeFirst("sha256=".count)
            }
            guard let code = Data(hex: given),
                HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: body, using: SymmetricKey(data: Data(secret.utf8)))
            else { throw .unauthenticated("\(name) does not match the body") }
        case .gitlab:
            let given = Data((header("X-Gitlab-Token") ?? "").utf8)
            // Compared as MACs of each, so the comparison takes the same time wherever they differ.
            let key = SymmetricKey(size: .bits256)
            guard
                HMAC<SHA256>.isValidAuthenticationCode(
                    HMAC<SHA256>.authenticationCode(for: given, using: key),
                    authenticating: Data(secret.utf8),
                    using: key
                )
            else { throw .unauthenticated("X-Gitlab-Token is missing or wrong") }
        }
    }

    /// Reads a verified body: JSON, or GitHub's form encoding (`payload=…`, a new hook's default).
    static func read(_ kind: ForgeSpec.Kind, body: [UInt8], header: (String) -> String?) throws(Problem) -> WebhookDelivery {
        var json = Data(body)
        if header("Content-Type")?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true {
            struct Form: Decodable { var payload: String }
            guard let form = try? URLEncodedFormDecoder().decode(Form.self, from: String(decoding: body, as: UTF8.self)) else {
                throw .malformed("a form-encoded delivery without a 'payload' field")
            }
            json = Data(form.payload.utf8)
        }
        let payload: WebhookPayload
        do {
            payload = try WebhookPayload.decoder.decode(WebhookPayload.self, from: json)
        } catch {
            throw .malformed("the body is not a \(kind.rawValue) delivery: \(WebhookPayload.describe(error))")
        }
        let event = header(kind == .gitlab ? "X-Gitlab-Event" : kind == .github ? "X-GitHub-Event" : "X-Gitea-Event") ?? "none"
        let repository = kind == .gitlab ? payload.project?.pathWithNamespace : payload.repository?.fullName
        var delivery = WebhookDelivery(repository: repository, name: event)
        switch (kind, event) {
        case (.github, "push"), (.gitea, "push"), (.gitlab, "Push Hook"):
            guard let ref = payload.ref, let commit = payload.after else { throw .malformed("a push without 'ref' and 'after'") }
            if !ref.hasPrefix("refs/heads/") {
                delivery.ignored = "a push to \(ref), not to a branch"
            } else if !commit.contains(where: { $0 != "0" }) {
                delivery.ignored = "branch \(ref) was deleted"
            } else {
                delivery.event = WebhookEvent(kind: .push, branch: String(ref.dropFirst("refs/heads/".count)), ref: ref, commit: commit)
            }
        case (.github, "pull_request"), (.gitea, "pull_request"):
            guard let action = payload.action, let request = payload.pullRequest else {
                throw .malformed("a pull request without 'action' and 'pull_request'")
            }
            delivery.name = "\(event)/\(action)"
            let change = RequestChange(action: action)
            delivery.ignored = change.startsRuns ? nil : "pull request \(action): no new commits"
            delivery.event =
                change.startsRuns
                ? WebhookEvent(
                    kind: .pullRequest,
                    branch: request.head.ref,
                    base: request.base.ref,
                    ref: "refs/pull/\(payload.number.map(String.init) ?? "?")/head",
                    commit: request.head.sha
                ) : nil
            let labels = action == "labeled" ? [payload.label?.name].compactMap { $0 } : (request.labels ?? []).compactMap(\.name)
            delivery.request = RequestUpdate(change: change, labels: action.hasPrefix("label") ? labels : nil, number: payload.number, request)
            delivery.request?.author = request.user.map { Person($0, association: request.authorAssociation) }
            delivery.request?.dependsOn = DependsOn.changes(in: request.body ?? "")
        case (.github, "pull_request_review"), (.gitea, "pull_request_approved"):
            guard let request = payload.pullRequest, let number = payload.number ?? request.number else {
                throw .malformed("a review without 'pull_request' and its number")
            }
            delivery.name = "\(event)/\(payload.action ?? "")"
            // GitHub says the review's state; Gitea sends this event only for an approval.
            let approved = kind == .gitea || (payload.action == "submitted" && payload.review?.state?.lowercased() == "approved")
            delivery.ignored = approved ? "a review starts no runs of its own" : "a review that does not approve"
            if approved {
                delivery.request = RequestUpdate(number: number, kind: .approved, commit: request.head.sha, base: request.base.ref)
                // The reviewer: GitHub's review says who and how they stand; Gitea's sender is the reviewer.
                let reviewer = payload.review?.user ?? payload.sender
                delivery.request?.by = reviewer.map { Person($0, association: payload.review?.authorAssociation) }
                delivery.request?.dependsOn = DependsOn.changes(in: request.body ?? "")
            }
        case (.gitlab, "Merge Request Hook"):
            guard let request = payload.objectAttributes, let action = request.action, let commit = request.lastCommit?.id,
                let branch = request.sourceBranch
            else { throw .malformed("a merge request without 'object_attributes' (action, last_commit, source_branch)") }
            delivery.name = "\(event)/\(action)"
            let change = RequestChange(action: action, oldrev: request.oldrev)
            delivery.ignored = change.startsRuns ? nil : "merge request \(action): no new commits"
            delivery.event =
                change.startsRuns
                ? WebhookEvent(
                    kind: .pullRequest,
                    branch: branch,
                    base: request.targetBranch,
                    ref: "refs/merge-requests/\(request.iid.map(String.init) ?? "?")/head",
                    commit: commit
                ) : nil
            if let number = request.iid {
                let kind: RequestUpdate.Kind? =
                    switch change {
                    case .other("approved"): .approved
                    case .other("close"), .other("merge"): .closed
                    case .other: payload.changes?.labels.map { .labeled(($0.current ?? []).compactMap(\.title)) }
                    default: .newCommits
                    }
                delivery.request = kind.map { RequestUpdate(number: number, kind: $0, commit: commit, base: request.targetBranch) }
                delivery.request?.author = Person(login: payload.user?.username ?? "", id: request.authorId, association: nil)
                delivery.request?.by = payload.user.map { Person($0, association: nil) }
                delivery.request?.dependsOn = DependsOn.changes(in: request.description ?? "")
            }
        case (.github, "issue_comment"), (.gitea, "issue_comment"), (.gitea, "pull_request_comment"):
            guard let issue = payload.issue, let number = issue.number, let comment = payload.comment, let user = comment.user ?? payload.sender
            else {
                throw .malformed("a comment without 'issue' (its number) and 'comment' (its author)")
            }
            delivery.name = "\(event)/\(payload.action ?? "")"
            let onRequest = issue.pullRequest != nil || payload.isPull == true || event == "pull_request_comment"
            delivery.ignored = onRequest ? "a comment starts runs only with /hangar ok-to-test or recheck" : "a comment on an issue"
            if onRequest, payload.action == "created" {
                delivery.comment = RequestComment(number: number, text: comment.body ?? "", by: Person(user, association: comment.authorAssociation))
            }
        case (.gitlab, "Note Hook"):
            guard let note = payload.objectAttributes else { throw .malformed("a note without 'object_attributes'") }
            delivery.name = event
            delivery.ignored = "a comment starts runs only with /hangar ok-to-test or recheck"
            if note.noteableType == "MergeRequest", let request = payload.mergeRequest, let number = request.iid, let user = payload.user {
                var comment = RequestComment(
                    number: number,
                    text: note.note ?? "",
                    by: Person(login: user.username ?? "", id: user.id, association: nil)
                )
                if let commit = request.lastCommit?.id, let branch = request.sourceBranch {
                    comment.head = WebhookEvent(
                        kind: .pullRequest,
                        branch: branch,
                        base: request.targetBranch,
                        ref: "refs/merge-requests/\(number)/head",
                        commit: commit
                    )
                }
                delivery.comment = comment
            }
        default:
            delivery.ignored = "event '\(event)' starts no runs"
        }
        return delivery
    }
}

/// What happened to a pull or merge request, as all three forges say it. One rule for all of them:
/// a request starts runs when its head commit changed — opened, reopened, or given new commits —
/// not when its title, labels, reviewers or draft state did.
enum RequestChange: Equatable {
    case opened, reopened, newCommits
    case other(String)

    /// GitHub's and Gitea's `action` (Gitea says `synchronized`, GitHub `synchronize`), or GitLab's
    /// `object_attributes.action`, whose `update` brings new commits only with an `oldrev`.
    init(action: String, oldrev: String? = nil) {
        switch action {
        case "opened", "open": self = .opened
        case "reopened", "reopen": self = .reopened
        case "synchronize", "synchronized": self = .newCommits
        case "update" where oldrev?.isEmpty == false: self = .newCommits
        default: self = .other(action)
        }
    }

    var startsRuns: Bool { if case .other = self { false } else { true } }
}

/// Someone on the forge: a login (GitLab: the username), GitLab's numeric id, and GitHub's author
/// association (`OWNER`, `MEMBER`, `COLLABORATOR`, `CONTRIBUTOR`, `NONE`…).
struct Person: Equatable {
    var login: String
    var id: Int?
    var association: String?

    init(login: String, id: Int?, association: String?) { (self.login, self.id, self.association) = (login, id, association) }
    init(_ user: WebhookPayload.User, association: String?) {
        self.init(login: user.login ?? user.username ?? "", id: user.id, association: association)
    }
}

/// A comment on pull or merge request `number`: `/hangar ok-to-test` from a member lets an outsider's
/// request run; `recheck` runs its jobs again.
struct RequestComment: Equatable {
    var number: Int
    var text: String
    var by: Person
    /// The request's head, when the delivery says it (GitLab's notes do; GitHub and Gitea are asked).
    var head: WebhookEvent?

    /// The command the comment gives, if a line of it is one.
    var command: Command? {
        for line in text.split(whereSeparator: \.isNewline) {
            let words = line.trimmingCharacters(in: .whitespaces).lowercased()
            if words == "/hangar ok-to-test" { return .okToTest }
            if words == "recheck" || words == "/hangar recheck" { return .recheck }
        }
        return nil
    }

    enum Command { case okToTest, recheck }
}

/// What happened to a pull or merge request `number` that matters to the gate.
struct RequestUpdate: Equatable {
    enum Kind: Equatable {
        /// A reviewer approved it (GitHub's approving review, Gitea's approval, GitLab's approval).
        case approved
        /// Its labels are now these (a `gate-label:` among them approves it).
        case labeled([String])
        /// Opened, reopened, or given new commits: an older approval no longer counts.
        case newCommits
        /// Closed or merged outside the gate.
        case closed
    }

    var number: Int
    var kind: Kind
    /// Its head commit, when the delivery says it.
    var commit: String?
    /// Its target branch.
    var base: String?
    /// Who opened it, when the delivery says.
    var author: Person?
    /// Who did what the delivery tells (the reviewer who approved, the one who labelled).
    var by: Person?
    /// The changes its description says it depends on (`Depends-On:` lines).
    var dependsOn: [String] = []

    /// From GitHub's or Gitea's `pull_request` event: nil when it matters not to the gate.
    init?(change: RequestChange, labels: [String]?, number: Int?, _ request: WebhookPayload.PullRequest) {
        guard let number = number ?? request.number else { return nil }
        let kind: Kind
        switch change {
        case .opened, .reopened, .newCommits: kind = .newCommits
        case .other("closed"): kind = .closed
        case .other where labels != nil: kind = .labeled(labels ?? [])
        case .other: return nil
        }
        self.init(number: number, kind: kind, commit: request.head.sha, base: request.base.ref)
    }

    init(number: Int, kind: Kind, commit: String?, base: String?) {
        (self.number, self.kind, self.commit, self.base) = (number, kind, commit, base)
    }
}

/// The parts of the three forges' payloads Hangar reads (GitHub's and Gitea's share a shape).
struct WebhookPayload: Decodable {
    struct Repository: Decodable { var fullName: String? }
    struct Project: Decodable { var pathWithNamespace: String? }
    struct Side: Decodable {
        var ref: String
        var sha: String
    }
    struct PullRequest: Decodable {
        var number: Int?
        var head: Side
        var base: Side
        var labels: [Label]?
        var user: User?
        var authorAssociation: String?
        var body: String?
    }
    /// GitHub's and Gitea's users have a `login`; GitLab's a `username` and an `id`.
    struct User: Decodable {
        var login: String?
        var username: String?
        var id: Int?
    }
    struct Issue: Decodable {
        struct Link: Decodable { var url: String? }
        var number: Int?
        /// Present when the issue is a pull request (GitHub).
        var pullRequest: Link?
    }
    struct Comment: Decodable {
        var body: String?
        var user: User?
        var authorAssociation: String?
    }
    /// GitHub's and Gitea's labels have a `name`, GitLab's a `title`.
    struct Label: Decodable {
        var name: String?
        var title: String?
    }
    /// GitHub: `state` (`approved`, `commented`, `changes_requested`); Gitea: `type`.
    struct Review: Decodable {
        var state: String?
        var type: String?
        var user: User?
        var authorAssociation: String?
    }
    /// GitLab's `changes`: what an update changed, here its labels.
    struct Changes: Decodable {
        struct Labels: Decodable { var current: [Label]? }
        var labels: Labels?
    }
    struct Commit: Decodable { var id: String }
    struct MergeRequest: Decodable {
        var action: String?
        var iid: Int?
        var sourceBranch: String?
        var targetBranch: String?
        var lastCommit: Commit?
        var oldrev: String?
        var authorId: Int?
        var description: String?
        /// A note's text and what it is on (`MergeRequest`).
        var note: String?
        var noteableType: String?
    }

    var ref: String?
    var after: String?
    var action: String?
    var number: Int?
    var repository: Repository?
    var project: Project?
    var pullRequest: PullRequest?
    var objectAttributes: MergeRequest?
    var review: Review?
    var label: Label?
    var changes: Changes?
    var issue: Issue?
    var comment: Comment?
    var isPull: Bool?
    var sender: User?
    var user: User?
    var mergeRequest: MergeRequest?

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    /// A decoding error in words: which field, and what was wrong.
    static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "'\(path)': \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}

extension Data {
    /// The bytes a hexadecimal text spells; nil when it is not one.
    init?(hex: String) {
        guard hex.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}
