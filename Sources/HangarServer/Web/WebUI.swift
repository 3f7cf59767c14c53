import Foundation
import HangarAPI
import HangarCore
import HangarEngine
import HangarMachine
import HangarStore
import Hummingbird
import Mustache

/// The server-rendered web UI: dashboard, history, run, project, machines and login pages, and
/// the forms that trigger, cancel and rerun (each answered with a redirect, so no JavaScript is needed).
struct WebUI {
    let control: RunControl
    let catalog: ProjectCatalog
    let kept: KeptControl
    let machines: MachineRegistry
    let runsFolder: String
    let table: RouteTable
    /// The bus connection, when the server listens to one.
    let bus: BusStatus?

    var store: RunStore { control.store }

    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in Templates.all {
            do {
                try library.register(text, named: name)
            } catch {
                preconditionFailure("template '\(name)' does not parse: \(error)")
            }
        }
        return library
    }()

    func add(to router: Router<ServerContext>) {
        router.page(.get, "/", table: table) { _, context in
            let now = store.now()
            return try await render(
                "dashboard",
                DashboardPage(
                    chrome: Chrome("Dashboard", context, refresh: 10),
                    running: RunList(try await store.runs(state: .running, limit: 100), now: now),
                    queued: RunList(try await store.runs(state: .queued, limit: 100), now: now),
                    recent: RunList(try await store.runs(limit: 20), now: now),
                    projects: catalog.all.map(API.Project.init)
                )
            )
        }
        router.page(.get, "runs", table: table) { request, context in
            // The filter form sends an empty field for "any".
            let inputs = try Inputs(Contract.listRuns.parameters, request, context, emptyMeansAbsent: true)
            let (project, job) = (inputs.text("project"), inputs.text("job"))
            let state = inputs.text("state").flatMap(RunState.init(rawValue:))
            let (before, after) = (inputs.integer("before"), inputs.integer("after"))
            let pageSize = 50
            let runs = try await store.runs(state: state, project: project, job: job, before: before, after: after, limit: pageSize)
            let filter = ["project": project ?? "", "job": job ?? "", "state": state?.rawValue ?? ""]
            // A page reached by "newer" may have newer runs still; the first page has none.
            let newest = try await store.runs(state: state, project: project, job: job, limit: 1).first?.id
            let newer = runs.first.flatMap { $0.id == newest ? nil : Self.query(filter.merging(["after": "\($0.id)"]) { $1 }) }
            var older: String?
            if let last = runs.last, try await !store.runs(state: state, project: project, job: job, before: last.id, limit: 1).isEmpty {
                older = Self.query(filter.merging(["before": "\(last.id)"]) { $1 })
            }
            let projects = catalog.all.map(API.Project.init)
            let jobs = Set(projects.flatMap { $0.jobs.map(\.name) }).union(job.map { [$0] } ?? []).sorted()
            let options = { (names: [String], chosen: String?) in names.map { HistoryPage.Option(name: $0, selected: $0 == chosen) } }
            return try await render(
                "runs",
                HistoryPage(
                    chrome: Chrome("History", context, refresh: before == nil && after == nil ? 10 : nil),
                    projects: options(Set(projects.map(\.name)).union(project.map { [$0] } ?? []).sorted(), project),
                    jobs: options(jobs, job),
                    states: options(RunState.allCases.map(\.rawValue), state?.rawValue),
                    list: RunList(runs, now: store.now()),
                    newer: newer,
                    older: older
                )
            )
        }
        router.page(.get, "runs/:id", table: table) { request, context in
            let run = try await control.run(try Inputs([Contract.runID], request, context))
            let now = store.now()
            let stored = try await store.tasks(run: run.id)
            let tasks = stored.map { task in
                RunPage.Task(
                    number: task.position + 1,
                    title: task.title,
                    state: task.status ?? "running",
                    took: RunRow.took(from: task.startedAt, to: task.finishedAt, now: now),
                    error: task.error ?? ""
                )
            }
            let parameters = run.parameters.sorted { $0.key < $1.key }.map { RunPage.Parameter(name: $0.key, value: $0.value) }
            let measurements = try await store.measures(run: run.id).map { RunPage.Parameter(name: $0.name, value: $0.shown) }
            let artifacts = Artifacts(runsFolder: runsFolder, run: run.id).list().map { RunPage.Artifact($0, run: run.id) }
            let query = Self.fields(request.uri.query ?? "")
            let log = try await logWindow(of: run.id, from: query["from"].flatMap { Int($0) }, search: query["q"], tasks: tasks)
            let matches = try await store.matches(run: run.id).map { RunPage.Match($0, in: log.lines) }
            return try await render(
                "run",
                RunPage(
                    chrome: Chrome("Run #\(run.id)", context),
                    run: RunRow(run, now: now),
                    active: !run.isFinished,
                    parameters: parameters,
                    hasParameters: !parameters.isEmpty,
                    measurements: measurements,
                    hasMeasurements: !measurements.isEmpty,
                    results: try await testsWithHistory(of: run),
                    tasks: tasks,
                    artifacts: artifacts,
                    hasArtifacts: !artifacts.isEmpty,
                    log: log,
                    follows: !run.isFinished && log.atEnd,
                    matches: matches,
                    hasMatches: !matches.isEmpty,
                    retriedAs: try await store.retry(of: run.id)?.id
                )
            )
        }
        router.page(.post, "runs/:id/cancel", table: table) { request, context in
            let run = try await control.run(try Inputs([Contract.runID], request, context))
            try await control.cancel(run.id, by: context.caller ?? "the web UI")
            return Self.redirect("/runs/\(run.id)")
        }
        router.page(.post, "runs/:id/retrigger", table: table) { request, context in
            let run = try await control.run(try Inputs([Contract.runID], request, context))
            return Self.redirect("/runs/\(try await control.retrigger(run.id, by: context.caller ?? "the web UI").id)")
        }
        router.page(.get, "projects/:project", table: table) { _, context in
            let name = try context.parameters.require("project")
            let project = API.Project(try control.project(name))
            let now = store.now()
            var jobs: [ProjectPage.Job] = []
            for job in project.jobs {
                let recent = try await store.runs(project: name, job: job.name, limit: 10)
                let trends = try await store.measureSeries(project: name, job: job.name).map(TrendView.init)
                jobs.append(
                    ProjectPage.Job(
                        name: job.name,
                        project: name,
                        runsOn: job.machine.map { "machine \($0)" } ?? "host tasks only",
                        badge: "/projects/\(Self.segment(name))/jobs/\(Self.segment(job.name))/badge.svg",
                        latest: recent.first { $0.isFinished }.map { RunRow($0, now: now) },
                        recent: RunList(recent, now: now),
                        parameters: job.parameters.map {
                            ProjectPage.Parameter(
                                name: $0.name,
                                required: $0.required,
                                defaultValue: $0.defaultValue ?? "",
                                description: $0.description ?? ""
                            )
                        },
                        latestGroup: recent.first { $0.group != nil }?.group,
                        trends: trends,
                        hasTrends: !trends.isEmpty
                    )
                )
            }
            return try await render(
                "project",
                ProjectPage(chrome: Chrome("Project \(name)", context, refresh: 15), name: name, error: project.error, jobs: jobs)
            )
        }
        router.page(.get, "projects/:project/jobs/:job/badge.svg", table: table, access: .open) { _, context in
            let project = try context.parameters.require("project")
            let job = try context.parameters.require("job")
            guard try control.project(project).workspace?.project.jobs.contains(where: { $0.name == job }) == true else {
                throw HTTPError(.notFound, message: "project '\(project)' has no job '\(job)'")
            }
            let last = try await store.runs(project: project, job: job, limit: 20).first { $0.isFinished }
            return Response(
                status: .ok,
                headers: [.contentType: "image/svg+xml", .cacheControl: "no-cache, max-age=0"],
                body: .init(byteBuffer: ByteBuffer(string: Badge.svg(label: job, state: last?.state)))
            )
        }
        router.page(.post, "projects/:project/jobs/:job/trigger", table: table) { request, context in
            let form = try await Self.form(request, context)
            let runs = try await control.trigger(
                project: try context.parameters.require("project"),
                job: try context.parameters.require("job"),
                parameters: form.filter { !$0.value.isEmpty },
                cause: "manual by \(context.caller ?? "the web UI")",
                keep: KeepAsked(owner: context.caller)
            )
            return Self.redirect("/runs/\(runs[0].id)")
        }
        router.page(.get, "machines", table: table) { _, context in
            try await render(
                "machines",
                MachinesPage(
                    chrome: Chrome("Machines", context, refresh: 10),
                    machines: machines.list().map { API.Machine($0.record, state: $0.state) },
                    kept: try await kept.list().map(MachinesPage.Kept.init),
                    workers: try await WorkerList.list(store).map { MachinesPage.Worker($0, now: store.now()) },
                    bus: bus?.line
                )
            )
        }
        router.page(.post, "kept/:id/extend", table: table) { request, context in
            let id = try APIRoutes.runID(try Inputs([Contract.runID], request, context))
            let until = max(try await kept.kept(id).record.until, store.time()) + 3600
            _ = try await kept.change(id, .extended(until: until, by: context.caller ?? "the web UI"), caller: context.caller, role: context.role)
            return Self.redirect("/machines")
        }
        router.page(.post, "kept/:id/destroy", table: table) { request, context in
            let id = try APIRoutes.runID(try Inputs([Contract.runID], request, context))
            _ = try await kept.change(id, .destroyed(by: context.caller ?? "the web UI"), caller: context.caller, role: context.role)
            return Self.redirect("/machines")
        }
        router.page(.get, "login", table: table, access: .open) { request, context in
            try await render("login", LoginPage(chrome: Chrome("Sign in", context), next: request.uri.queryParameters.get("next") ?? "/"))
        }
        router.page(.post, "login", table: table, access: .open) { request, context in
            let form = try await Self.form(request, context)
            let next = form["next"].flatMap { $0.hasPrefix("/") && !$0.hasPrefix("//") ? $0 : nil } ?? "/"
            guard let token = form["token"], try await store.token(secret: token) != nil else {
                var page = try await render("login", LoginPage(chrome: Chrome("Sign in", context), next: next, message: "That token is not valid."))
                page.status = .unauthorized
                return page
            }
            var response = Self.redirect(next)
            response.setCookie(Cookie(name: "hangar_token", value: token, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }
        router.page(.get, "logout", table: table, access: .open) { _, _ in
            var response = Self.redirect("/")
            response.setCookie(Cookie(name: "hangar_token", value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }
    }

    /// The part of run `id`'s log the page shows: `from` (a 1-based line) on, else its last lines;
    /// with `q`, the lines that contain it.
    private func logWindow(of id: Int, from asked: Int?, search: String?, tasks: [RunPage.Task]) async throws -> RunPage.Log {
        let total = try await store.lineCount(run: id)
        let last = max(0, total - 1)
        let from: Int = asked.map { min(max(0, $0 - 1), last) } ?? max(0, total - LogView.window)
        let lines = try await store.logLines(run: id, from: from, limit: LogView.window)
        let info = Dictionary(tasks.map { ($0.number - 1, LogView.TaskInfo(state: $0.state, took: $0.took)) }, uniquingKeysWith: { $1 })
        var log = RunPage.Log(
            run: id,
            html: LogView.html(lines, tasks: info),
            lines: from..<(from + lines.count),
            total: total
        )
        if let text = search, !text.isEmpty {
            log.search = text
            log.found = try await store.searchLog(run: id, for: String(text.prefix(200))).map { line in
                // Colours are not carried from one search result to the next.
                var colours = ANSI.State()
                return RunPage.Found(number: line.number + 1, html: ANSI.html(line.text, &colours))
            }
        }
        return log
    }

    /// The run's test results, each failing test with its results in the job's last 20 runs.
    private func testsWithHistory(of run: StoredRun) async throws -> RunPage.Tests? {
        guard var tests = RunPage.Tests(try Artifacts(runsFolder: runsFolder, run: run.id).results()) else { return nil }
        for index in tests.tests.indices.prefix(50) where tests.tests[index].output != nil || tests.tests[index].look == "failed" {
            tests.tests[index].history = try await store.history(
                of: tests.tests[index].name,
                project: run.project,
                job: run.job,
                image: run.image ?? "",
                upTo: run.id
            )
            .map { RunPage.Test.Cell(run: $0.run, look: RunPage.Test.look($0.status), status: $0.status.rawValue) }
        }
        return tests
    }

    func render(_ template: String, _ view: Any) async throws -> Response {
        guard let html = Self.library.render(view, withTemplate: template) else {
            throw HTTPError(.internalServerError, message: "no template '\(template)'")
        }
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func redirect(_ location: String) -> Response { Response(status: .seeOther, headers: [.location: location]) }

    /// An `application/x-www-form-urlencoded` body as a dictionary.
    static func form(_ request: Request, _ context: ServerContext) async throws -> [String: String] {
        fields(String(buffer: try await request.body.collect(upTo: context.maxUploadSize)))
    }

    /// `a=1&b=x+y` (a form's body, or the query a GET form sends) as a dictionary.
    static func fields(_ encoded: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in encoded.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if let name = parts.first, !name.isEmpty { fields[name] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }

    /// One path segment, percent-encoded.
    static func segment(_ name: String) -> String { name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? name }

    /// `a=1&b=2` for the non-empty values, in key order.
    private static func query(_ values: [String: String]) -> String {
        values.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
    }
}
