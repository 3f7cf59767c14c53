import Crypto
import Foundation
import HangarCore

/// A forge's webhook request, checked and read: which delivery, and what happened to which commit.
struct WebhookEvent: Equatable {
    enum Kind: String {
        case push
        case pullRequest = "pull-request"
    }

    var kind: Kind
    /// The branch pushed to, or the request's source branch.
    var branch: String
    /// `refs/heads/…` for a push, `refs/pull/N/head`-style for a request (as the forge names it).
    var ref: String
    var commit: String
    var repository: String

    /// What started a run, for people: `push to main at 1a2b3c4 (gitea)`.
    func cause(forge: String) -> String {
        "\(kind == .push ? "push to" : "pull request from") \(branch) at \(commit.prefix(7)) (\(forge))"
    }

    /// Why a delivery is refused or ignored.
    enum Problem: Error, Equatable {
        /// Signature or token wrong or missing: 401.
        case unauthenticated(String)
        /// Not a push or an opened/updated request (ping, closed, tag deletion...): accepted, nothing run.
        case ignored(String)
        /// Not the JSON the forge sends: 400.
        case malformed(String)
    }

    /// The delivery's id header, forge-prefixed (`github:…`), or nil when the forge sent none.
    static func deliveryID(_ kind: ForgeSpec.Kind, header: (String) -> String?) -> String? {
        let name =
            switch kind {
            case .github: "X-GitHub-Delivery"
            case .gitea: "X-Gitea-Delivery"
            case .gitlab: "X-Gitlab-Event-UUID"
            }
        return header(name).map { "\(kind.rawValue):\($0)" }
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
            let expected = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
            guard constantTimeEqual(expected.hexString, given.lowercased()) else { throw .unauthenticated("\(name) does not match the body") }
        case .gitlab:
            guard let given = header("X-Gitlab-Token"), constantTimeEqual(given, secret) else {
                throw .unauthenticated("X-Gitlab-Token is missing or wrong")
            }
        }
    }

    /// Reads the event from a verified body.
    static func parse(_ kind: ForgeSpec.Kind, body: [UInt8], header: (String) -> String?) throws(Problem) -> WebhookEvent {
        guard let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw .malformed("the body is not a JSON object")
        }
        let event = kind == .gitlab ? header("X-Gitlab-Event") : header(kind == .github ? "X-GitHub-Event" : "X-Gitea-Event")
        switch (kind, event) {
        case (.github, "push"), (.gitea, "push"), (.gitlab, "Push Hook"):
            guard let ref = json["ref"] as? String, let commit = json["after"] as? String else {
                throw .malformed("a push without 'ref' and 'after'")
            }
            guard ref.hasPrefix("refs/heads/") else { throw .ignored("a push to \(ref), not to a branch") }
            guard commit.contains(where: { $0 != "0" }) else { throw .ignored("branch \(ref) was deleted") }
            let repository =
                kind == .gitlab
                ? (json["project"] as? [String: Any])?["path_with_namespace"] as? String
                : (json["repository"] as? [String: Any])?["full_name"] as? String
            return WebhookEvent(
                kind: .push,
                branch: String(ref.dropFirst("refs/heads/".count)),
                ref: ref,
                commit: commit,
                repository: repository ?? ""
            )
        case (.github, "pull_request"), (.gitea, "pull_request"):
            guard let action = json["action"] as? String, let request = json["pull_request"] as? [String: Any],
                let head = request["head"] as? [String: Any], let commit = head["sha"] as? String, let branch = head["ref"] as? String
            else { throw .malformed("a pull request without 'action' and 'pull_request.head'") }
            guard ["opened", "synchronize", "synchronized", "reopened"].contains(action) else { throw .ignored("pull request \(action)") }
            let number = (json["number"] as? Int).map(String.init) ?? "?"
            let repository = (json["repository"] as? [String: Any])?["full_name"] as? String
            return WebhookEvent(kind: .pullRequest, branch: branch, ref: "refs/pull/\(number)/head", commit: commit, repository: repository ?? "")
        case (.gitlab, "Merge Request Hook"):
            guard let attributes = json["object_attributes"] as? [String: Any], let action = attributes["action"] as? String,
                let commit = (attributes["last_commit"] as? [String: Any])?["id"] as? String, let branch = attributes["source_branch"] as? String
            else { throw .malformed("a merge request without 'object_attributes'") }
            guard ["open", "update", "reopen"].contains(action) else { throw .ignored("merge request \(action)") }
            let number = (attributes["iid"] as? Int).map(String.init) ?? "?"
            let repository = (json["project"] as? [String: Any])?["path_with_namespace"] as? String
            return WebhookEvent(
                kind: .pullRequest,
                branch: branch,
                ref: "refs/merge-requests/\(number)/head",
                commit: commit,
                repository: repository ?? ""
            )
        default:
            throw .ignored("event '\(event ?? "none")' starts no runs")
        }
    }

    /// True when `trigger` asks for this event.
    func matches(_ trigger: JobTrigger) -> Bool {
        switch (trigger, kind) {
        case (.push(let branches), .push): branches.isEmpty || branches.contains(branch)
        case (.pullRequest, .pullRequest): true
        default: false
        }
    }

    /// The parameters a run for this event gets.
    var parameters: [String: String] { ["HANGAR_COMMIT": commit, "HANGAR_REF": ref, "HANGAR_BRANCH": branch, "HANGAR_EVENT": kind.rawValue] }

    private static func constantTimeEqual(_ left: String, _ right: String) -> Bool {
        let a = Array(left.utf8)
        let b = Array(right.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
