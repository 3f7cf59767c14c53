import HTTPTypes
import Foundation
import HangarCore
import HangarMachine
public import HangarStore
public import Hummingbird

extension StoredRun: ResponseEncodable {}

/// The REST API under `/api/v1`; `openapi.json` documents every route here.
struct API {
    let control: RunControl
    let catalog: ProjectCatalog
    let machines: MachineRegistry
    let runsFolder: String

    var store: RunStore { control.store }

    /// What a trigger's body may hold; an empty body triggers with the defaults.
    struct TriggerRequest: Decodable {
        var parameters: [String: String]?
        var priority: Int?
    }

    struct TokenRequest: Decodable {
        var name: String
        var role: Role
    }

    struct CreatedToken: ResponseEncodable {
        var id: Int
        var token: String
        var role: Role
    }

    func add(to router: Router<ServerContext>) {
        let api = router.group("api/v1")
        api.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        api.get("runs") { request, _ -> [StoredRun] in
            let query = request.uri.queryParameters
            return try await store.runs(state: query.get("state"), project: query.get("project"), job: query.get("job"),
                before: query.get("before", as: Int.self), limit: min(query.get("limit", as: Int.self) ?? 50, 500))
        }
        api.post("projects/:project/jobs/:job/runs") { request, context -> EditedResponse<StoredRun> in
            let body = try await Self.decodeOptional(TriggerRequest.self, request, context)
            let run = try await control.trigger(project: try context.parameters.require("project"), job: try context.parameters.require("job"),
                parameters: body?.parameters ?? [:], priority: body?.priority ?? 0)
            return EditedResponse(status: .created, response: run)
        }
        api.get("runs/:id") { _, context -> RunDetail in
            let run = try await control.run(in: context)
            return RunDetail(run: run, tasks: try await store.tasks(run: run.id))
        }
        api.post("runs/:id/cancel") { _, context -> HTTPResponse.Status in
            try await control.cancel(try context.parameters.require("id", as: Int.self))
            return .accepted
        }
        api.post("runs/:id/retrigger") { _, context -> EditedResponse<StoredRun> in
            EditedResponse(status: .created, response: try await control.retrigger(try context.parameters.require("id", as: Int.self)))
        }
        api.get("runs/:id/log") { request, context -> String in
            let id = try await control.run(in: context).id
            let lines = try await store.log(run: id, from: request.uri.queryParameters.get("from", as: Int.self) ?? 0)
            return lines.map { $0 + "\n" }.joined()
        }
        api.get("runs/:id/log/live") { request, context -> Response in
            let id = try await control.run(in: context).id
            let resume = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { Int($0) }.map { $0 + 1 }
            return LiveLog.response(store: store, run: id, from: resume ?? request.uri.queryParameters.get("from", as: Int.self) ?? 0)
        }
        api.get("runs/:id/artifacts") { _, context -> [ArtifactView] in
            let id = try await control.run(in: context).id
            return Artifacts(runsFolder: runsFolder, run: id).list()
        }
        api.get("runs/:id/artifacts/**") { _, context -> Response in
            let id = try await control.run(in: context).id
            let path = try Artifacts(runsFolder: runsFolder, run: id).file(context.parameters.getCatchAll())
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"],
                body: .init(byteBuffer: ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: path)))))
        }
        api.get("projects") { _, _ -> [ProjectView] in catalog.all.map(ProjectView.init) }
        api.get("projects/:project") { _, context -> ProjectView in ProjectView(try control.project(try context.parameters.require("project"))) }
        api.get("machines") { _, _ -> [MachineView] in machines.list().map { MachineView($0.record, state: $0.state) } }
        api.get("tokens") { _, _ -> [StoredToken] in try await store.tokens() }
        api.post("tokens") { request, context -> EditedResponse<CreatedToken> in
            let body = try await request.decode(as: TokenRequest.self, context: context)
            let (token, secret) = try await store.createToken(name: body.name, role: body.role)
            return EditedResponse(status: .created, response: CreatedToken(id: token.id, token: secret, role: body.role))
        }
    }

    /// The decoded JSON body, or nil when the body is empty; 413 above the upload limit, 400 when malformed.
    static func decodeOptional<T: Decodable>(_ type: T.Type, _ request: Request, _ context: ServerContext) async throws -> T? {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard body.readableBytes > 0 else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(String(buffer: body).utf8))
        } catch {
            throw HTTPError(.badRequest, message: "the body is not the JSON this route takes: \(error)")
        }
    }
}

extension StoredToken: ResponseEncodable {}
extension ProjectView: ResponseEncodable {}
extension MachineView: ResponseEncodable {}
extension ArtifactView: ResponseEncodable {}
extension RunDetail: ResponseEncodable {}
