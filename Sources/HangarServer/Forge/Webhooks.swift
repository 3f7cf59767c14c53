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
            guard try await control.store.recordDelivery(delivery, project: project) else {
                metrics.webhook(forge: forgeName, result: "duplicate")
                return EditedResponse(status: .ok, response: Answer(result: "duplicate", runs: [], detail: "delivery \(delivery) was handled before"))
            }
            let event: WebhookEvent
            do throws(WebhookEvent.Problem) {
                event = try WebhookEvent.parse(kind, body: body, header: header)
            } catch .ignored(let why) {
                try await control.store.finishDelivery(delivery, result: "ignored", run: nil)
                metrics.webhook(forge: forgeName, result: "ignored")
                return EditedResponse(status: .ok, response: Answer(result: "ignored", runs: [], detail: why))
            } catch {
                try await control.store.finishDelivery(delivery, result: "malformed", run: nil)
                metrics.webhook(forge: forgeName, result: "malformed")
                throw HTTPError(.badRequest, message: "\(error)")
            }
            let jobs = file.jobs.filter { $0.triggers.contains(where: event.matches) }
            var runs: [Int] = []
            for job in jobs {
                runs.append(try await control.trigger(project: project, job: job.name, parameters: event.parameters).id)
            }
            try await control.store.finishDelivery(delivery, result: runs.isEmpty ? "ignored" : "triggered", run: runs.first)
            metrics.webhook(forge: forgeName, result: runs.isEmpty ? "ignored" : "triggered")
            return EditedResponse(
                status: runs.isEmpty ? .ok : .created,
                response: Answer(
                    result: runs.isEmpty ? "ignored" : "triggered",
                    runs: runs,
                    detail: runs.isEmpty ? "no job's triggers ask for a \(event.kind.rawValue) to \(event.branch)" : nil
                )
            )
        }
    }
}
