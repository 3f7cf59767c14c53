import AsyncHTTPClient
import Foundation
import HangarCore
import NIOCore
import NIOHTTP1

/// What the gate and the trust check ask of a forge about a pull (merge) request `number`: merge
/// it, say something on it, whether it is merged already, its head, and whether someone is a member. GitHub and Gitea share `/repos/OWNER/NAME/…` (Gitea's
/// under `/api/v1`); GitLab's requests are `/api/v4/projects/PATH/merge_requests/IID…`.
extension ForgeClient {
    /// What a merge came to.
    enum Merge: Equatable {
        case merged
        /// The forge will not merge it (not mergeable, its head moved, a conflict): said why.
        case refused(String)
        /// The forge did not answer, or answered 5xx: try again.
        case unanswered(String)
    }

    /// Merges request `number`, whose head must still be `commit`, the way `method` says.
    func merge(_ number: Int, commit: String, method: PipelineSpec.MergeMethod) async -> Merge {
        let answer: (status: UInt, body: String)
        do {
            switch forge.kind {
            case .github:
                answer = try await call(.PUT, "/pulls/\(number)/merge", ["merge_method": method.rawValue, "sha": commit])
            case .gitea:
                answer = try await call(.POST, "/pulls/\(number)/merge", ["Do": method.rawValue, "head_commit_id": commit])
            case .gitlab:
                // GitLab rebases or merges as the project is set up; it squashes when asked.
                var body = ["sha": commit]
                if method == .squash { body["squash"] = "true" }
                answer = try await call(.PUT, "/merge_requests/\(number)/merge", body)
            }
        } catch {
            return .unanswered("\(error)")
        }
        switch answer.status {
        case 200..<300: return .merged
        case 500...: return .unanswered("the forge answered \(answer.status): \(answer.body.prefix(200))")
        default:
            // A resent merge of what the forge merged already (the coordinator stopped in between).
            if await isMerged(number) == true { return .merged }
            return .refused("the forge answered \(answer.status): \(answer.body.prefix(200))")
        }
    }

    /// A pull (merge) request as the forge answers `GET` of it: GitHub and Gitea say `head`, `base`,
    /// `merged` and `body`; GitLab `sha`, `source_branch`, `target_branch`, `state` and `description`.
    struct Request: Decodable {
        var head: WebhookPayload.Side?
        var base: WebhookPayload.Side?
        var merged: Bool?
        var body: String?
        var sha: String?
        var sourceBranch: String?
        var targetBranch: String?
        var state: String?
        var description: String?
    }

    /// Request `number` as the forge has it now; nil when it does not answer.
    func request(_ number: Int) async -> Request? {
        let path = forge.kind == .gitlab ? "/merge_requests/\(number)" : "/pulls/\(number)"
        guard let answer = try? await call(.GET, path, nil, timeout: .seconds(10)), (200..<300).contains(answer.status) else { return nil }
        return try? WebhookPayload.decoder.decode(Request.self, from: Data(answer.body.utf8))
    }

    /// Whether request `number` is merged; nil when the forge does not say.
    func isMerged(_ number: Int) async -> Bool? {
        guard let request = await request(number) else { return nil }
        return forge.kind == .gitlab ? request.state == "merged" : request.merged
    }

    /// Request `number`'s head as a webhook would say it; nil when the forge does not answer.
    func head(of number: Int) async -> WebhookEvent? {
        guard let request = await request(number) else { return nil }
        if forge.kind == .gitlab {
            guard let sha = request.sha, let branch = request.sourceBranch else { return nil }
            return WebhookEvent(
                kind: .pullRequest,
                branch: branch,
                base: request.targetBranch,
                ref: "refs/merge-requests/\(number)/head",
                commit: sha
            )
        }
        guard let head = request.head else { return nil }
        return WebhookEvent(kind: .pullRequest, branch: head.ref, base: request.base?.ref, ref: "refs/pull/\(number)/head", commit: head.sha)
    }

    /// Request `number`'s description; nil when the forge does not answer.
    func description(of number: Int) async -> String? {
        guard let request = await request(number) else { return nil }
        return request.body ?? request.description ?? ""
    }

    /// Whether `person` is one of the repository's members: GitHub says so in the delivery (the
    /// author association `OWNER`, `MEMBER` or `COLLABORATOR`); Gitea is asked whether they are a
    /// collaborator (or own the repository), GitLab whether they are a member with Developer access or more.
    func isMember(_ person: Person) async -> Bool {
        switch forge.kind {
        case .github:
            return ["OWNER", "MEMBER", "COLLABORATOR"].contains(person.association?.uppercased() ?? "")
        case .gitea:
            guard !person.login.isEmpty else { return false }
            if forge.repository.split(separator: "/").first.map(String.init) == person.login { return true }
            return (try? await call(.GET, "/collaborators/\(person.login)", nil, timeout: .seconds(10)))?.status == 204
        case .gitlab:
            struct Member: Decodable { var accessLevel: Int }
            guard let id = person.id, let answer = try? await call(.GET, "/members/all/\(id)", nil, timeout: .seconds(10)), answer.status == 200
            else { return false }
            return ((try? WebhookPayload.decoder.decode(Member.self, from: Data(answer.body.utf8)))?.accessLevel ?? 0) >= 30
        }
    }

    /// Says `text` on request `number` (a comment; GitLab: a note).
    func comment(_ number: Int, _ text: String) async throws(HangarError) {
        let path = forge.kind == .gitlab ? "/merge_requests/\(number)/notes" : "/issues/\(number)/comments"
        let answer: (status: UInt, body: String)
        do {
            answer = try await call(.POST, path, ["body": text])
        } catch {
            throw HangarError(.forgeCall, "cannot comment on \(forge.repository)#\(number): \(error)")
        }
        guard (200..<300).contains(answer.status) else {
            throw HangarError(.forgeCall, "the forge refused a comment on \(forge.repository)#\(number): \(answer.status) \(answer.body.prefix(200))")
        }
    }

    /// The repository's API address: requests' paths go after it.
    private var repositoryURL: String {
        switch forge.kind {
        case .github: return "\(forge.apiURL)/repos/\(forge.repository)"
        case .gitea: return "\(forge.apiURL)/api/v1/repos/\(forge.repository)"
        case .gitlab:
            var unreserved = CharacterSet.alphanumerics
            unreserved.insert(charactersIn: "-._~")
            return "\(forge.apiURL)/api/v4/projects/\(forge.repository.addingPercentEncoding(withAllowedCharacters: unreserved) ?? forge.repository)"
        }
    }

    /// One API call with the token: its status and body.
    private func call(
        _ method: HTTPMethod,
        _ path: String,
        _ json: [String: String]?,
        timeout: TimeAmount = .seconds(30)
    ) async throws -> (status: UInt, body: String) {
        var request = HTTPClientRequest(url: repositoryURL + path)
        request.method = method
        request.headers.add(name: "User-Agent", value: "hangar")
        switch forge.kind {
        case .github: request.headers.add(name: "Authorization", value: "Bearer \(token)")
        case .gitea: request.headers.add(name: "Authorization", value: "token \(token)")
        case .gitlab: request.headers.add(name: "PRIVATE-TOKEN", value: token)
        }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json, options: .sortedKeys)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, String(buffer: body))
    }
}
