import Foundation
import HangarAPI
import HangarCore
import HangarMachine
import HangarStore
import Hummingbird

/// The REST API under `/api/v1` and the probes, each route registered from its operation in
/// `Contract` (which the document at `/api/v1/openapi.json` is made from).
struct APIRoutes {
    let control: RunControl
    let kept: KeptControl
    let catalog: ProjectCatalog
    let machines: MachineRegistry
    let runsFolder: String
    let metrics: ServerMetrics
    let table: RouteTable
    let shutdown: ShutdownSignal
    /// The bus connection, when the server listens to one (`/readyz` says how it is).
    let bus: BusStatus?

    var store: RunStore { control.store }

    /// Group `id` on the wire: every run, the state its cells' latest runs combine to.
    func group(_ id: Int) async throws -> API.Group {
        let (runs, latest) = try await control.group(id)
        return API.Group(
            id: id,
            project: runs[0].project,
            job: runs[0].job,
            state: RunState.combined(latest.map(\.state)),
            runs: runs.map(API.Run.init)
        )
    }

    static func runID(_ inputs: Inputs) throws -> Int {
        guard let id = inputs.integer(Contract.runID.name) else { throw HTTPError(.badRequest, message: "no run id") }
        return id
    }

    static func groupID(_ inputs: Inputs) throws -> Int {
        guard let id = inputs.integer(Contract.groupID.name) else { throw HTTPError(.badRequest, message: "no group id") }
        return id
    }

    func add(to router: Router<ServerContext>) {
        router.on(Contract.health, table: table) { _, _, _ in "ok\n" }
        router.on(Contract.ready, table: table) { _, _, _ -> Response in
            guard (try? await store.runs(limit: 1)) != nil else { return Self.text("database unavailable\n", status: .serviceUnavailable) }
            // A bus that is away does not make the server unready (runs, the UI and the API work): it is said.
            return Self.text("ready\n" + (bus.map { $0.line + "\n" } ?? ""))
        }
        router.on(Contract.metrics, table: table) { _, _, _ -> Response in
            Self.text(try await metrics.scrape(store: store, machines: machines), type: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.on(Contract.document, table: table) { _, _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: OpenAPI.json)))
        }
        router.on(Contract.listRuns, table: table) { _, _, inputs -> [API.Run] in
            try await store.runs(
                state: inputs.text("state").flatMap(RunState.init(rawValue:)),
                project: inputs.text("project"),
                job: inputs.text("job"),
                trigger: inputs.text("trigger").flatMap(RunTrigger.init(rawValue:)),
                before: inputs.integer("before"),
                after: inputs.integer("after"),
                limit: inputs.integer("limit") ?? 50
            ).map(API.Run.init)
        }
        router.on(Contract.trigger, table: table) { _, context, inputs -> EditedResponse<API.Run> in
            let body = try inputs.body(as: API.TriggerRequest.self)
            let runs = try await control.trigger(
                project: try inputs.required("project"),
                job: try inputs.required("job"),
                parameters: body?.parameters ?? [:],
                cell: body?.cell,
                priority: body?.priority ?? 0,
                cause: "manual by \(context.caller ?? "an anonymous caller")",
                keep: KeepAsked(seconds: body?.keep, sshKey: body?.sshKey, owner: context.caller)
            )
            // A matrix job's first cell, whose `group` names the others.
            return EditedResponse(status: .created, response: API.Run(runs[0]))
        }
        router.on(Contract.getGroup, table: table) { _, _, inputs -> API.Group in
            try await group(try Self.groupID(inputs))
        }
        router.on(Contract.rerunGroup, table: table) { _, context, inputs -> EditedResponse<API.Group> in
            let id = try Self.groupID(inputs)
            _ = try await control.rerunFailedCells(of: id, by: context.caller ?? "an anonymous caller")
            return EditedResponse(status: .created, response: try await group(id))
        }
        router.on(Contract.getRun, table: table) { _, _, inputs -> API.RunDetail in
            let run = try await control.run(inputs)
            return API.RunDetail(
                run: API.Run(run),
                tasks: try await store.tasks(run: run.id).map(API.TaskRecord.init),
                matches: try await store.matches(run: run.id),
                retriedAs: try await store.retry(of: run.id)?.id,
                measurements: try await store.measures(run: run.id)
            )
        }
        router.on(Contract.cancel, table: table) { _, context, inputs -> EditedResponse<API.Run> in
            EditedResponse(
                status: .accepted,
                response: API.Run(try await control.cancel(try control.run(inputs).id, by: context.caller ?? "the API"))
            )
        }
        router.on(Contract.retrigger, table: table) { _, context, inputs -> EditedResponse<API.Run> in
            let run = try await control.retrigger(try control.run(inputs).id, by: context.caller ?? "an anonymous caller")
            return EditedResponse(status: .created, response: API.Run(run))
        }
        router.on(Contract.log, table: table) { _, _, inputs -> Response in
            let id = try await control.run(inputs).id
            // Every line from `from` on, read and sent a page at a time: a log of any length in bounded memory.
            let body = ResponseBody { [store] writer in
                var next = inputs.integer("from") ?? 0
                while true {
                    let lines = try await store.log(run: id, from: next, limit: Limits.logPage)
                    if !lines.isEmpty { try await writer.write(ByteBuffer(string: lines.map { $0 + "\n" }.joined())) }
                    next += lines.count
                    if lines.count < Limits.logPage { break }
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: body)
        }
        router.on(Contract.liveLog, table: table) { _, context, inputs -> Response in
            let id = try await control.run(inputs).id
            // Both are at most 2^53 - 1 (the contract's range), so the next line's number cannot overflow.
            let start = inputs.integer("Last-Event-ID").map { $0 + 1 } ?? inputs.integer("from") ?? 0
            return LiveLog.response(store: store, run: id, from: start, channel: context.channel, shutdown: shutdown)
        }
        router.on(Contract.artifacts, table: table) { _, _, inputs -> [API.Artifact] in
            Artifacts(runsFolder: runsFolder, run: try await control.run(inputs).id).list()
        }
        router.on(Contract.artifact, table: table) { _, _, inputs -> Response in
            let id = try await control.run(inputs).id
            let path = try Artifacts(runsFolder: runsFolder, run: id).file(try inputs.required("path"))
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return Response(
                status: .ok,
                headers: [.contentType: Artifacts.isText(data) ? "text/plain; charset=utf-8" : "application/octet-stream"],
                body: .init(byteBuffer: ByteBuffer(bytes: data))
            )
        }
        router.on(Contract.results, table: table) { _, _, inputs -> Response in
            let run = try await control.run(inputs)
            let results = try Artifacts(runsFolder: runsFolder, run: run.id).results()
            let body =
                inputs.text("format") == "kcidb"
                ? try JSONEncoder().encode(API.kcidb(run: API.Run(run), results: results, measures: try await store.measures(run: run.id)))
                : try JSONEncoder().encode(API.Results(results))
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.on(Contract.notifications, table: table) { _, _, inputs -> [API.Notification] in
            try await store.notifications(run: try await control.run(inputs).id).map(API.Notification.init)
        }
        router.on(Contract.flakyTests, table: table) { _, _, inputs -> [API.FlakyTest] in
            try await store.flakyTests(since: store.time() - Double(inputs.integer("days") ?? 14) * 86_400).map(API.FlakyTest.init)
        }
        router.on(Contract.projects, table: table) { _, _, _ -> [API.Project] in catalog.all.map(API.Project.init) }
        router.on(Contract.getProject, table: table) { _, _, inputs -> API.Project in
            API.Project(try control.project(try inputs.required("project")))
        }
        router.on(Contract.machines, table: table) { _, _, _ -> [API.Machine] in machines.list().map { API.Machine($0.record, state: $0.state) } }
        router.on(Contract.kept, table: table) { _, _, _ -> [API.Kept] in try await kept.list() }
        router.on(Contract.extendKept, table: table) { _, context, inputs -> API.Kept in
            guard let body = try inputs.body(as: API.ExtendRequest.self) else { throw HTTPError(.badRequest, message: "give 'seconds'") }
            let until = store.time() + body.seconds
            return try await kept.change(
                try Self.runID(inputs),
                .extended(until: until, by: context.caller ?? "?"),
                caller: context.caller,
                role: context.role
            )
        }
        router.on(Contract.destroyKept, table: table) { _, context, inputs -> API.Kept in
            try await kept.change(try Self.runID(inputs), .destroyed(by: context.caller ?? "?"), caller: context.caller, role: context.role)
        }
        router.on(Contract.tokens, table: table) { _, _, _ -> [API.Token] in try await store.tokens().map(API.Token.init) }
        router.on(Contract.createToken, table: table) { _, _, inputs -> EditedResponse<API.NewToken> in
            guard let body = try inputs.body(as: API.TokenRequest.self) else { throw HTTPError(.badRequest, message: "this needs a JSON body") }
            let (token, secret) = try await store.createToken(name: body.name, role: body.role)
            return EditedResponse(status: .created, response: API.NewToken(id: token.id, token: secret, role: body.role))
        }
    }

    /// A plain-text answer.
    static func text(_ text: String, status: HTTPResponse.Status = .ok, type: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
