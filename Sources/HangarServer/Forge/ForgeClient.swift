import AsyncHTTPClient
import Foundation
import HangarCore
import Logging
import NIOCore
import NIOHTTP1

/// Reports commit statuses to a project's forge: GitHub and Gitea take the same JSON under
/// `/repos/OWNER/NAME/statuses/SHA` (Gitea's API lives under `/api/v1`); GitLab takes query
/// parameters under `/api/v4/projects/PATH/statuses/SHA`.
struct ForgeClient: Sendable {
    /// A run's outcome as forges know it.
    enum State: String {
        case pending, running, success, failure, error, cancelled

        init(_ state: RunState) {
            self =
                switch state {
                case .queued: .pending
                case .running: .running
                case .passed, .skipped: .success
                case .failed: .failure
                case .cancelled: .cancelled
                case .error, .timedOut: .error
                }
        }
    }

    let forge: ForgeSpec
    let token: String
    let logger: Logger

    /// The status's name for a run: `hangar/JOB`, and a matrix job's cell after it, as Cockpit's
    /// contexts name theirs (`hangar/test (debian-12/selinux)`).
    static func context(job: String, cell: String?) -> String { "hangar/\(job)" + (cell.map { " (\($0))" } ?? "") }

    /// Posts `state` for `commit` under the name `context`, linking to `link`. Failures are logged, not thrown:
    /// a forge being down must not fail the run.
    func report(_ state: State, commit: String, context: String, link: String, description: String) async {
        var request: HTTPClientRequest
        switch forge.kind {
        case .github, .gitea:
            let base = forge.kind == .gitea ? "\(forge.apiURL)/api/v1" : forge.apiURL
            request = HTTPClientRequest(url: "\(base)/repos/\(forge.repository)/statuses/\(commit)")
            let githubState =
                switch state {
                case .running: "pending"
                case .cancelled: "error"
                default: state.rawValue
                }
            let body = ["state": githubState, "target_url": link, "description": description, "context": context]
            request.body = .bytes(ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: body, options: .sortedKeys)) ?? Data()))
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Authorization", value: forge.kind == .github ? "Bearer \(token)" : "token \(token)")
        case .gitlab:
            let gitlabState =
                switch state {
                case .failure, .error: "failed"
                case .cancelled: "canceled"
                default: state.rawValue
                }
            var query = URLComponents()
            query.queryItems = [
                URLQueryItem(name: "state", value: gitlabState), URLQueryItem(name: "name", value: context),
                URLQueryItem(name: "target_url", value: link), URLQueryItem(name: "description", value: description),
            ]
            // The project's full path as one segment: only its slashes (and anything else reserved) encoded.
            var unreserved = CharacterSet.alphanumerics
            unreserved.insert(charactersIn: "-._~")
            let project = forge.repository.addingPercentEncoding(withAllowedCharacters: unreserved) ?? forge.repository
            request = HTTPClientRequest(url: "\(forge.apiURL)/api/v4/projects/\(project)/statuses/\(commit)?\(query.percentEncodedQuery ?? "")")
            request.headers.add(name: "PRIVATE-TOKEN", value: token)
        }
        request.method = .POST
        request.headers.add(name: "User-Agent", value: "hangar")
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
            if !(200..<300).contains(response.status.code) {
                logger.warning(
                    "commit status not accepted",
                    metadata: ["forge": "\(forge.kind.rawValue)", "status": "\(response.status.code)", "commit": "\(commit)"]
                )
            }
        } catch {
            logger.warning("commit status not sent", metadata: ["forge": "\(forge.kind.rawValue)", "error": "\(error)", "commit": "\(commit)"])
        }
    }
}
