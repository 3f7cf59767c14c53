import Foundation
import HTTPTypes
import HangarAPI
import HangarCore
import HangarEngine
import HangarStore
import Hummingbird
import Logging

/// `POST /hooks/{github|gitlab|gitea}/PROJECT`: a forge's push or pull/merge request starts the
/// project's jobs whose triggers ask for it, with `HANGAR_COMMIT`, `HANGAR_REF`, `HANGAR_BRANCH`,
/// `HANGAR_EVENT` (and `HANGAR_BASE_BRANCH` for a request) set.
///
/// The request proves itself with the project's webhook secret (read from the server's environment
/// variable the project's `forge:` names): a wrong proof gets 401. A delivery for another repository
/// than the project's (an organisation's hook, two projects sharing a secret) gets 422 and starts
/// nothing. Only a delivery that queued runs is remembered, with its runs in one transaction: its
/// resend (forges resend on timeouts) gets 200 and starts nothing, while an ignored one, redelivered
/// after the project's triggers were fixed, starts its runs.
struct Webhooks {
    let control: RunControl
    let catalog: ProjectCatalog
    let gate: GateEngine
    let metrics: ServerMetrics
    let logger: Logger
    let environment: [String: String]

    typealias Answer = API.WebhookAnswer
    let table: RouteTable

    func add(to router: Router<ServerContext>) {
        router.on(Contract.webhook, table: table) { request, context, inputs -> EditedResponse<Answer> in
            let forgeName = try inputs.required("forge")
            let project = try inputs.required("project")
            guard let kind = ForgeSpec.Kind(rawValue: forgeName) else {
                throw HTTPError(.notFound, message: "no webhook for '\(forgeName)': use /hooks/github, /hooks/gitlab or /hooks/gitea")
            }
            guard let file = catalog.entry(project)?.workspace?.project, let forge = file.forge, forge.kind == kind else {
                throw HTTPError(.notFound, message: "project '\(project)' has no \(forgeName) forge in its hangar.yml")
            }
            guard let secret = environment[forge.secretVariable], !secret.isEmpty else {
                throw HTTPError(.serviceUnavailable, message: "the server has no webhook secret: set \(forge.secretVariable) in its environment")
            }
            let body = try await Self.body(of: request)
            let header = { (name: String) in request.headers[HTTPField.Name(name)!] }
            let delivery: WebhookDelivery
            do throws(WebhookDelivery.Problem) {
                try WebhookDelivery.verify(kind, body: body, secret: secret, header: header)
                delivery = try WebhookDelivery.read(kind, body: body, header: header)
            } catch .unauthenticated(let why) {
                logger.warning("webhook refused", metadata: ["forge": "\(forgeName)", "project": "\(project)", "reason": "\(why)"])
                metrics.webhook(forge: forgeName, result: "refused")
                throw HTTPError(.unauthorized, message: "webhook not verified: \(why)")
            } catch .malformed(let why) {
                metrics.webhook(forge: forgeName, result: "malformed")
                throw HTTPError(.badRequest, message: why)
            }
            if let repository = delivery.repository, repository.lowercased() != forge.repository.lowercased() {
                metrics.webhook(forge: forgeName, result: "other-repository")
                throw HTTPError(
                    .unprocessableContent,
                    message:
                        "this delivery is for repository \(repository); project '\(project)' takes deliveries for \(forge.repository) (its forge.repository): nothing was started"
                )
            }
            // The gate hears of approvals, new commits and closings; a new push also cancels the
            // runs of the request's older commits.
            var gated: String?
            var unheard: String?
            if let request = delivery.request {
                if try await approvedByMember(request, forge: forge) {
                    gated = try await gate.heard(request, project: project)
                } else {
                    unheard =
                        "an approval by \(request.by?.login ?? "an unknown reviewer"), who is not a member of \(forge.repository), does not gate"
                }
            }
            if let event = delivery.event, event.kind == .pullRequest {
                try await control.supersede(project: project, ref: event.ref, commit: event.commit)
            }
            // An outsider's request runs nothing until a member lets it; a comment may start runs.
            var event = delivery.event
            var afterwards: String?
            if let comment = delivery.comment {
                switch try await commented(comment, project: project, forge: forge) {
                case .run(let head, let say): (event, afterwards) = (head, say)
                case .ignore(let why):
                    metrics.webhook(forge: forgeName, result: "ignored")
                    return EditedResponse(status: .ok, response: Answer(result: "ignored", runs: [], detail: why))
                }
            } else if let request = delivery.request, event?.kind == .pullRequest, try await !trusted(request, project: project, forge: forge) {
                let why =
                    "pull request #\(request.number) by \(request.author?.login ?? "an unknown author") waits for a member's '/hangar ok-to-test' comment: its author is not a member of \(forge.repository)"
                if ["opened", "open", "reopened", "reopen"].contains(delivery.name.split(separator: "/").last ?? "") {
                    await say("Hangar: \(why).", on: request.number, forge: forge)
                }
                metrics.webhook(forge: forgeName, result: "held")
                return EditedResponse(status: .ok, response: Answer(result: "held", runs: [], detail: why))
            }
            // A request that changes hangar.yml runs as its own file says, in the shadow.
            let shadow: ProjectFile?
            do {
                shadow = try await shadowFile(event, project: project, forge: forge)
            } catch {
                metrics.webhook(forge: forgeName, result: "ignored")
                return EditedResponse(status: .ok, response: Answer(result: "ignored", runs: [], detail: "\(error)"))
            }
            var planned: [NewRun] = []
            if let event {
                for job in (shadow ?? file).jobs where job.triggers.contains(where: event.matches) {
                    for var run in try control.prepare(project: project, job: job.name, parameters: event.parameters, file: shadow) {
                        run.cause = (shadow == nil ? "" : "shadow: ") + event.cause(forge: forgeName)
                        run.trigger = shadow == nil ? .webhook : .shadow
                        planned.append(run)
                    }
                }
            }
            guard let event, !planned.isEmpty else {
                if let gated {
                    metrics.webhook(forge: forgeName, result: "gated")
                    return EditedResponse(status: .ok, response: Answer(result: "gated", runs: [], detail: gated))
                }
                metrics.webhook(forge: forgeName, result: "ignored")
                let why = unheard ?? delivery.ignored ?? "no job's triggers ask for a \(event?.kind.rawValue ?? "") to \(event?.branch ?? "")"
                return EditedResponse(status: .ok, response: Answer(result: "ignored", runs: [], detail: why))
            }
            let (id, window) = delivery.id(kind, header: header)
            guard let queued = try await control.store.recordDelivery(id, project: project, result: "triggered", runs: planned, window: window) else {
                metrics.webhook(forge: forgeName, result: "duplicate")
                return EditedResponse(status: .ok, response: Answer(result: "duplicate", runs: [], detail: "delivery \(id) was handled before"))
            }
            control.queued(queued)
            metrics.webhook(forge: forgeName, result: "triggered")
            logger.notice("webhook queued \(queued.count) run(s)", metadata: ["project": "\(project)", "cause": "\(event.cause(forge: forgeName))"])
            if let afterwards, let number = delivery.comment?.number {
                await say("Hangar: \(afterwards): run(s) \(queued.map { "#\($0.id)" }.joined(separator: ", ")) queued.", on: number, forge: forge)
            }
            let detail = shadow == nil ? nil : "shadow runs: the pull request changes hangar.yml (no commit statuses, no notifications)"
            return EditedResponse(status: .created, response: Answer(result: "triggered", runs: queued.map(\.id), detail: detail))
        }
    }

    /// The pull request's own hangar.yml when `event` is a request of a git project that changes it
    /// (its runs are shadow runs); nil otherwise. A changed file that does not load is said on the
    /// request and thrown.
    private func shadowFile(_ event: WebhookEvent?, project: String, forge: ForgeSpec) async throws -> ProjectFile? {
        guard let event, event.kind == .pullRequest, let source = catalog.entry(project)?.source,
            let text = try await source.changedProjectFile(at: event.commit, ref: event.ref)
        else { return nil }
        do {
            return try ProjectFile.parse(text, path: "\(source.clone)/hangar.yml", displayName: "hangar.yml")
        } catch {
            if let number = event.number {
                await say("Hangar: this pull request's hangar.yml does not load, so nothing runs: \(error)", on: number, forge: forge)
            }
            throw HangarError(.configInvalid, "the pull request's hangar.yml does not load: \(error)")
        }
    }

    /// The delivery's bytes, read as they stream in, at most `Limits.webhookBytes`.
    private static func body(of request: Request) async throws -> [UInt8] {
        do {
            return [UInt8](buffer: try await request.body.collect(upTo: Limits.webhookBytes))
        } catch {
            throw HTTPError(.contentTooLarge, message: "the delivery is larger than \(Limits.webhookBytes) bytes")
        }
    }
}
