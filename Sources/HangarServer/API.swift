import Foundation
import HangarCore
import HangarEngine
public import HangarStore
public import Hummingbird

extension StoredRun: ResponseEncodable {}

/// The REST API under `/api/v1` (first slice: trigger, list, get, log, cancel) and `/healthz`.
public enum API {
    /// A router over `store` and `catalog`; `wake` is called after each trigger.
    public static func router(store: RunStore, catalog: ProjectCatalog, active: ActiveRuns,
        wake: @escaping @Sendable () -> Void) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("healthz") { _, _ in "ok\n" }
        let api = router.group("api/v1")
        api.get("runs") { request, _ -> [StoredRun] in
            let query = request.uri.queryParameters
            let limit = min(query.get("limit", as: Int.self) ?? 50, 500)
            return try await store.runs(state: query.get("state"), before: query.get("before", as: Int.self), limit: limit)
        }
        api.post("projects/:project/jobs/:job/runs") { _, context -> EditedResponse<StoredRun> in
            let project = try context.parameters.require("project")
            let job = try context.parameters.require("job")
            guard let workspace = catalog.projects[project] else {
                throw HTTPError(.notFound, message: catalog.broken[project].map { "project '\(project)' is broken: \($0)" } ?? "no project '\(project)'")
            }
            do {
                _ = try workspace.project.job(named: job)
            } catch {
                throw HTTPError(.badRequest, message: "\(error)")
            }
            let run = try await store.enqueue(project: project, job: job)
            wake()
            return EditedResponse(status: .created, response: run)
        }
        /// The run the path names, or 404.
        @Sendable func namedRun(_ context: BasicRequestContext) async throws -> StoredRun {
            let id = try context.parameters.require("id", as: Int.self)
            guard let run = try await store.run(id) else { throw HTTPError(.notFound, message: "no run \(id)") }
            return run
        }
        api.get("runs/:id") { _, context -> StoredRun in try await namedRun(context) }
        api.post("runs/:id/cancel") { _, context -> HTTPResponse.Status in
            let id = try context.parameters.require("id", as: Int.self)
            if try await store.cancelQueued(id) || active.cancel(id) { return .accepted }
            let run = try await namedRun(context)
            throw HTTPError(.conflict, message: "run \(id) has already ended (\(run.state))")
        }
        api.get("runs/:id/log") { request, context -> String in
            let id = try await namedRun(context).id
            let lines = try await store.log(run: id, from: request.uri.queryParameters.get("from", as: Int.self) ?? 0)
            return lines.map { $0 + "\n" }.joined()
        }
        return router
    }
}
