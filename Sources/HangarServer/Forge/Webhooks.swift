import Foundation
import HTTPTypes
import HangarAPI
import HangarCore
import HangarEngine
import HangarStore
import Hummingbird
import Logging

/// `POST /hooks/{github|gitlab|gitea}/PROJECT`: a forge's push or pull/merge request starts the
/// project's jobs whose triggers ask for it, with `HANGAR_COMMIT`, `HANGAR_REF`, `HANGAR_BRANCH`
/// and `HANGAR_EVENT` set.
///
/// The request proves itself with the project's webhook secret (read from the server's environment
/// variable the project's `forge:` names). A wrong proof gets 401 and starts nothing; a delivery id
/// seen before gets 200 and starts nothing (forges resend on timeouts).
struct Webhooks {
    let control: RunControl
    let catalog: ProjectCatalog
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
            let body = [UInt8](inputs.rawBody ?? Data())
            let header = { (name: String) in request.headers[HTTPField.Name(name)!] }
            do {
                try WebhookEvent.verify(kind, body: body, secret: secret, header: header)
            } catch {
                logger.warning("webhook refused", metadata: ["forge": "\(forgeName)", "project": "\(project)", "reason": "\(error)"])
                metrics.webhook(forge: forgeName, result: "refused")
                throw HTTPError(.unauthorized, message: "webhook not verified: \(error)")
            }
            guard let delivery = WebhookEvent.deliveryID(kind, header: header) else {
                throw HTTPError(.badRequest, message: "no delivery id header: is this really a \(forgeName) webhook?")
            }
            // What the delivery comes to is decided first, then recorded with the runs it queues in one
            // transaction: a failure stores neither, so the forge's resend is not taken for a replay.
            var parsed: WebhookEvent?
            var result = "ignored"
            var detail: String?
            do throws(WebhookEvent.Problem) {
                parsed = try WebhookEvent.parse(kind, body: body, header: header)
            } catch .ignored(let why) {
                detail = why
            } catch {
                _ = try await control.store.recordDelivery(delivery, project: project, result: "malformed", runs: [])
                metrics.webhook(forge: forgeName, result: "malformed")
                throw HTTPError(.badRequest, message: "\(error)")
            }
            var planned: [NewRun] = []
            if let event = parsed {
                let jobs = file.jobs.filter { $0.triggers.contains(where: event.matches) }
                planned = try jobs.map { job in
                    var run = try control.prepare(project: project, job: job.name, parameters: event.parameters)
                    run.cause = event.cause(forge: forgeName)
                    return run
                }
                result = planned.isEmpty ? "ignored" : "triggered"
                detail = planned.isEmpty ? "no job's triggers ask for a \(event.kind.rawValue) to \(event.branch)" : nil
            }
            guard let queued = try await control.store.recordDelivery(delivery, project: project, result: result, runs: planned) else {
                metrics.webhook(forge: forgeName, result: "duplicate")
                return EditedResponse(status: .ok, response: Answer(result: "duplicate", runs: [], detail: "delivery \(delivery) was handled before"))
            }
            control.queued(queued)
            metrics.webhook(forge: forgeName, result: result)
            let runs = queued.map(\.id)
            return EditedResponse(
                status: runs.isEmpty ? .ok : .created,
                response: Answer(result: result, runs: runs, detail: detail)
            )
        }
    }
}
