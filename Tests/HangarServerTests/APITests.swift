import Foundation
import HangarAPI
import HangarCore
import HangarServer
import HangarStore
import Hummingbird
import HummingbirdTesting
import Testing

/// The API and the embedded worker over a real SQLite store, through the real router.
@Suite(.timeLimit(.minutes(2))) struct APITests {
    let server = ServerHarness()

    @Test func aTriggeredNullJobPasses() async throws {
        try await server.run { client in
            let run = try await client.runToEnd("null")
            #expect(run.state == .passed)
            let list = try await client.json([API.Run].self, "/api/v1/runs?state=passed&project=demo&job=null")
            #expect(list.map(\.id) == [run.id])
            #expect(try await client.json([API.Run].self, "/api/v1/runs?job=hello").isEmpty)
        }
    }

    /// A trigger of a matrix job queues a run per cell, together as a group named by its first run;
    /// parameters or a cell's name pick fewer; a rerun of a cell joins its group, which counts the
    /// cell by its latest run.
    @Test func aMatrixJobFansOutIntoAGroupOfCells() async throws {
        let project = """
            jobs:
              test:
                matrix:
                  IMAGE: [https://example.org/leap-15.6.qcow2, https://example.org/debian-12.qcow2]
                  SCENARIO: [default, selinux]
                  exclude: [{ IMAGE: https://example.org/debian-12.qcow2, SCENARIO: selinux }]
                tasks: [{ host: 'echo "testing $IMAGE"; test "$SCENARIO" != selinux' }]
            """
        try await ServerHarness(extra: ["grid": project]).run { client in
            let first = try await client.trigger("test", project: "grid")
            let group = try #require(first.group)
            #expect(group == first.id && first.cell == "leap-15.6/default")
            var all = try await client.json(API.Group.self, "/api/v1/groups/\(group)")
            #expect(all.runs.map(\.cell) == ["leap-15.6/default", "leap-15.6/selinux", "debian-12/default"])
            #expect(all.runs.allSatisfy { $0.group == group } && all.job == "test" && all.project == "grid")
            #expect(all.runs[2].parameters["IMAGE"] == "https://example.org/debian-12.qcow2" && all.runs[2].parameters["SCENARIO"] == "default")
            for run in all.runs { _ = try await client.waitForEnd(run.id) }
            all = try await client.json(API.Group.self, "/api/v1/groups/\(group)")
            #expect(all.runs.map(\.state) == [.passed, .failed, .passed] && all.state == .failed)

            // A cell rerun joins its group and counts as that cell's latest run.
            let rerun = try await client.json(API.Run.self, "/api/v1/runs/\(all.runs[1].id)/retrigger", method: .post)
            #expect(rerun.group == group && rerun.cell == "leap-15.6/selinux")
            _ = try await client.waitForEnd(rerun.id)
            all = try await client.json(API.Group.self, "/api/v1/groups/\(group)")
            #expect(all.runs.count == 4 && all.state == .failed)

            // A rerun of the group queues only the cells whose latest run ended badly.
            let rerunGroup = try await client.call(.post, "/api/v1/groups/\(group)/rerun")
            all = try JSONDecoder().decode(API.Group.self, from: Data(String(buffer: rerunGroup.body).utf8))
            #expect(rerunGroup.status == .created && all.runs.count == 5 && all.runs[4].cell == "leap-15.6/selinux")
            #expect(all.runs[4].cause?.hasPrefix("rerun of #\(rerun.id) (cell leap-15.6/selinux) of group \(group) by ") == true)
            _ = try await client.waitForEnd(all.runs[4].id)

            let picked = try await client.trigger("test", project: "grid", body: #"{"parameters": {"SCENARIO": "default"}}"#)
            let pickedGroup = try #require(picked.group)
            let cells = try await client.json(API.Group.self, "/api/v1/groups/\(pickedGroup)").runs
            #expect(cells.map(\.cell) == ["leap-15.6/default", "debian-12/default"])
            for run in cells { _ = try await client.waitForEnd(run.id) }
            #expect(try await client.call(.post, "/api/v1/groups/\(pickedGroup)/rerun").status == .conflict)
            let one = try await client.trigger("test", project: "grid", body: #"{"cell": "debian-12/default"}"#)
            #expect(one.cell == "debian-12/default" && one.group == one.id)
            let wrong = try await client.call(.post, "/api/v1/projects/grid/jobs/test/runs", body: #"{"cell": "debian-12/selinux"}"#)
            let said = try JSONDecoder().decode(API.ErrorBody.self, from: Data(String(buffer: wrong.body).utf8)).error.message
            #expect(wrong.status == .badRequest && said.hasPrefix("job 'test' has no cell 'debian-12/selinux'"), "\(said)")
            #expect(try await client.call(.get, "/api/v1/groups/999999").status == .notFound)
        }
    }

    /// What a run's tasks measure is kept with the run and served with it; a wrong measurement line
    /// is said in the log and the run goes on.
    @Test func whatARunMeasuresIsKeptWithIt() async throws {
        let project = """
            jobs:
              bench:
                tasks:
                  - host: 'echo "HANGAR_MEASURE requests_per_s=1830 unit=1/s"; echo "HANGAR_MEASURE latency=abc"'
                  - host: 'echo "lava-test-case boot --result pass --measurement 2.5 --units s"'
            """
        try await ServerHarness(extra: ["perf": project]).run { client in
            let run = try await client.waitForEnd(try await client.trigger("bench", project: "perf").id)
            #expect(run.state == .passed)
            let detail = try await client.json(API.RunDetail.self, "/api/v1/runs/\(run.id)")
            #expect(detail.measurements.map(\.name) == ["boot", "requests_per_s", "run_seconds"])
            #expect(detail.measurements[1] == Measure(name: "requests_per_s", value: 1830, unit: "1/s") && detail.measurements[0].unit == "s")
            let log = String(buffer: try await client.call(.get, "/api/v1/runs/\(run.id)/log").body)
            #expect(log.contains("measurement ignored: measurement 'latency': 'abc' is not a finite number"), "\(log)")
            let kcidb = String(buffer: try await client.call(.get, "/api/v1/runs/\(run.id)/results?format=kcidb").body)
            #expect(
                kcidb.contains(#""number":{"unit":"1\/s","value":1830}"#) || kcidb.contains(#""number":{"value":1830,"unit":"1\/s"}"#),
                "\(kcidb)"
            )
            #expect(kcidb.contains(#""path":"bench.measure.requests_per_s""#))
            let page = String(buffer: try await client.call(.get, "/runs/\(run.id)").body)
            #expect(page.contains(#"<table id="measurements"><tr><td><code>boot</code></td><td>2.5 s</td></tr>"#), "\(page)")
        }
    }

    @Test func aFailingJobFailsAndItsLogAndTasksAreKept() async throws {
        try await server.run { client in
            let run = try await client.runToEnd("hello")
            #expect(run.state == .failed)
            #expect(run.reason?.contains("'exit 4' exited with status 4") == true)
            // The failure for programs: its code, a test failure (not infrastructure), the second task.
            #expect(run.failure?.kind == .test)
            #expect(run.failure?.task == 1)
            #expect(run.failure?.code == .taskExitStatus)
            let text = String(buffer: try await client.call(.get, "/api/v1/runs/\(run.id)/log").body)
            #expect(text.contains("==> [1/2] host: echo hello from the host\nhello from the host\n"))
            let tail = String(buffer: try await client.call(.get, "/api/v1/runs/\(run.id)/log?from=2").body)
            #expect(!tail.contains("hello from the host\n=="))
            struct Detail: Decodable { var tasks: [StoredTask] }
            let tasks = try await client.json(Detail.self, "/api/v1/runs/\(run.id)").tasks
            #expect(tasks.map(\.status) == ["passed", "failed"])
            #expect(tasks.map(\.errorCode) == [nil, "task.exit-status"])
            #expect(tasks.map(\.title) == ["host: echo hello from the host", "host: exit 4"])
        }
    }

    @Test func runningAndQueuedRunsCanBeCancelledAndWaitingRunsSayWhy() async throws {
        try await server.run(options: .init(capacity: 1)) { client in
            let first = try await client.trigger("sleepy").id
            let second = try await client.trigger("sleepy").id
            while try await client.state(first) != .running { try await Task.sleep(for: .milliseconds(20)) }
            // Reasons are refreshed every 2 s: one written before the first run was claimed says
            // "waiting for a worker to take it" until the next refresh.
            let busy = "waiting for a free slot: all 1 slot(s) of the 1 worker(s) that can take it are busy"
            var waiting = try await client.json(API.Run.self, "/api/v1/runs/\(second)")
            let deadline = ContinuousClock.now + .seconds(10)
            while waiting.reason != busy, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                waiting = try await client.json(API.Run.self, "/api/v1/runs/\(second)")
            }
            #expect(waiting.state == .queued)
            #expect(waiting.reason == busy)
            #expect(try await client.call(.post, "/api/v1/runs/\(second)/cancel").status == .accepted)
            #expect(try await client.state(second) == .cancelled)
            #expect(try await client.json(API.Run.self, "/api/v1/runs/\(first)").reason == nil, "a running run does not wait")
            #expect(try await client.call(.post, "/api/v1/runs/\(first)/cancel").status == .accepted)
            #expect(try await client.waitForEnd(first).state == .cancelled)
            #expect(try await client.call(.post, "/api/v1/runs/\(first)/cancel").status == .conflict)
            #expect(try await client.call(.post, "/api/v1/runs/999/cancel").status == .notFound)
        }
    }

    @Test func parametersReachTheTasksAndARetriggerKeepsThem() async throws {
        try await server.run { client in
            let run = try await client.runToEnd("greet", body: #"{"parameters": {"WHO": "world"}}"#)
            #expect(run.state == .passed)
            #expect(run.parameters == ["WHO": "world", "HOW": "Hello"])
            #expect(String(buffer: try await client.call(.get, "/api/v1/runs/\(run.id)/log").body).contains("Hello, world\n"))
            let again = try await client.json(API.Run.self, "/api/v1/runs/\(run.id)/retrigger", method: .post)
            #expect(again.id != run.id)
            #expect(try await client.waitForEnd(again.id).parameters == run.parameters)

            let missing = try await client.call(.post, "/api/v1/projects/demo/jobs/greet/runs")
            #expect(missing.status == .badRequest)
            #expect(String(buffer: missing.body).contains("needs parameter 'WHO'"))
            let unknown = try await client.call(.post, "/api/v1/projects/demo/jobs/greet/runs", body: #"{"parameters": {"WHOM": "x"}}"#)
            #expect(unknown.status == .badRequest)
            #expect(String(buffer: unknown.body).contains("no parameter 'WHOM' (did you mean 'WHO'?)"))
            let malformed = try await client.call(.post, "/api/v1/projects/demo/jobs/greet/runs", body: "{nope")
            #expect(malformed.status == .badRequest)
        }
    }

    @Test func artifactsAreListedAndServedButNeverOutsideTheirFolder() async throws {
        try await server.run { client in
            let run = try await client.runToEnd("report")
            #expect(run.state == .passed)
            let list = try await client.json([ArtifactFile].self, "/api/v1/runs/\(run.id)/artifacts")
            // Beside what the job collected, what the run measured (its duration, at least).
            #expect(list.map(\.name) == [Measure.fileName, "logs/report.txt"])
            let file = try await client.call(.get, "/api/v1/runs/\(run.id)/artifacts/logs/report.txt")
            #expect(file.status == .ok)
            #expect(String(buffer: file.body) == "all good\n")
            try "secret".write(toFile: "\(client.runs)/\(run.id)/outside.txt", atomically: true, encoding: .utf8)
            for escape in ["logs/../../outside.txt", "..%2Foutside.txt", "%2e%2e/outside.txt"] {
                let response = try await client.call(.get, "/api/v1/runs/\(run.id)/artifacts/\(escape)")
                #expect(response.status == .badRequest, "\(escape)")
                #expect(!String(buffer: response.body).contains("secret"))
            }
            try FileManager.default.createSymbolicLink(atPath: "\(client.runs)/\(run.id)/artifacts/link", withDestinationPath: "../outside.txt")
            #expect(try await client.call(.get, "/api/v1/runs/\(run.id)/artifacts/link").status == .badRequest)
            #expect(try await client.call(.get, "/api/v1/runs/\(run.id)/artifacts/nothing.txt").status == .notFound)
            let encodedSlash = try await client.call(.get, "/api/v1/runs/\(run.id)/artifacts/logs%2Freport.txt")
            #expect(encodedSlash.status == .badRequest)
            #expect(String(buffer: encodedSlash.body).contains("an encoded slash (%2F)"))
            let long = try await client.call(.get, "/api/v1/runs/\(run.id)/artifacts/\(String(repeating: "a", count: Limits.artifactPathLength + 1))")
            #expect(long.status == .badRequest)
        }
    }

    @Test func theLiveLogStreamsEveryLineThenTheEnd() async throws {
        try await server.run { client in
            let run = try await client.trigger("count")
            let response = try await client.call(.get, "/api/v1/runs/\(run.id)/log/live")
            #expect(response.headers[.contentType] == "text/event-stream")
            let body = String(buffer: response.body)
            #expect(body.hasPrefix("id: 0\ndata: ==> [1/1] host: for i in 1 2 3"))
            #expect(body.contains("id: 1\ndata: line 1\n\nid: 2\ndata: line 2\n\nid: 3\ndata: line 3\n\n"))
            #expect(body.hasSuffix("event: end\ndata: passed\n\n"))
            // Resuming after line 2 sends only what follows.
            let resumed = String(buffer: try await client.call(.get, "/api/v1/runs/\(run.id)/log/live", headers: [.init("Last-Event-ID")!: "2"]).body)
            #expect(resumed.hasPrefix("id: 3\ndata: line 3\n\n"))
        }
    }

    @Test func badRequestsSayWhatIsWrong() async throws {
        try await server.run { client in
            #expect(try await client.call(.get, "/healthz", token: .some(nil)).status == .ok)
            #expect(try await client.call(.get, "/readyz", token: .some(nil)).status == .ok)
            #expect(try await client.call(.get, "/api/v1/runs/999").status == .notFound)
            let unknownJob = try await client.call(.post, "/api/v1/projects/demo/jobs/nul/runs")
            #expect(unknownJob.status == .notFound)
            #expect(String(buffer: unknownJob.body).contains("did you mean 'null'?"))
            let unknownProject = try await client.call(.get, "/api/v1/projects/dem")
            #expect(unknownProject.status == .notFound)
            #expect(String(buffer: unknownProject.body).contains("no project 'dem' (did you mean 'demo'?)"))
            let broken = try await client.call(.post, "/api/v1/projects/broken/jobs/x/runs")
            #expect(broken.status == .notFound)
            #expect(String(buffer: broken.body).contains("unknown key 'memroy'"))
            let huge = try await client.call(.post, "/api/v1/projects/demo/jobs/null/runs", body: String(repeating: " ", count: 6 << 20))
            #expect(huge.status == .contentTooLarge)
        }
    }

    @Test func tokensAndRolesGuardEveryRoute() async throws {
        try await server.run(role: nil) { client in
            let tokens = client.tokens
            #expect(try await client.call(.get, "/api/v1/runs").status == .unauthorized)
            #expect(try await client.call(.get, "/api/v1/runs", token: "hgr_wrong").status == .unauthorized)
            #expect(try await client.call(.get, "/api/v1/runs", token: tokens.viewer).status == .ok)
            let denied = try await client.call(.post, "/api/v1/projects/demo/jobs/null/runs", token: tokens.viewer)
            #expect(denied.status == .forbidden)
            #expect(String(buffer: denied.body).contains("needs the operator role"))
            #expect(try await client.call(.post, "/api/v1/projects/demo/jobs/null/runs", token: tokens.operator).status == .created)
            #expect(try await client.call(.get, "/api/v1/tokens", token: tokens.operator).status == .forbidden)
            let created = try await client.call(.post, "/api/v1/tokens", body: #"{"name": "ci", "role": "viewer"}"#, token: tokens.admin)
            #expect(created.status == .created)
            struct Secret: Decodable { var token: String }
            let secret = try JSONDecoder().decode(Secret.self, from: Data(String(buffer: created.body).utf8)).token
            #expect(try await client.call(.get, "/api/v1/runs", token: secret).status == .ok)
            // A web page without a token goes to the login page.
            let page = try await client.call(.get, "/runs")
            #expect(page.status == .seeOther)
            #expect(page.headers[.location]?.hasPrefix("/login") == true)
        }
        try await server.run(role: nil, options: .init(anonymousRead: true)) { client async throws in
            let read = try await client.call(.get, "/api/v1/runs")
            #expect(read.status == .ok)
            let write = try await client.call(.post, "/api/v1/projects/demo/jobs/null/runs")
            #expect(write.status == .unauthorized)
            // A worker token reads at least what anyone reads here; it still triggers nothing.
            #expect(try await client.call(.get, "/api/v1/runs", token: client.tokens.worker).status == .ok)
            #expect(try await client.call(.post, "/api/v1/projects/demo/jobs/null/runs", token: client.tokens.worker).status == .forbidden)
        }
        try await server.run(role: nil) { client async throws in
            #expect(try await client.call(.get, "/api/v1/runs", token: client.tokens.worker).status == .forbidden, "not without --anonymous-read")
        }
    }

    @Test func aBrokenEditKeepsTheLastGoodVersionAndIsReported() async throws {
        try await server.run { client in
            try "jobs:\n  null:\n    tasks: [{ host: true }\n".write(toFile: "\(server.projects)/demo/hangar.yml", atomically: true, encoding: .utf8)
            struct Project: Decodable {
                var error: String?
                var jobs: [Job]
            }
            struct Job: Decodable { var name: String }
            var project = try await client.json(Project.self, "/api/v1/projects/demo")
            while project.error == nil {
                try await Task.sleep(for: .milliseconds(100))
                project = try await client.json(Project.self, "/api/v1/projects/demo")
            }
            #expect(project.error?.contains("hangar.yml:") == true)
            #expect(project.jobs.map(\.name).contains("null"))
            #expect(try await client.runToEnd("null").state == .passed)
        }
    }

    @Test func theOpenAPIDocumentAndTheRouterAreTheSameRoutes() async throws {
        let store = try await RunStore.openSQLite(path: ":memory:")
        let (router, _) = HangarServer.parts(server.configuration, store: store)
        try await store.close()
        let routes = Set(
            router.routes.map { route in
                let path = route.path.description.split(separator: "/").map { part in
                    part == "**" ? "{path}" : part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
                }
                return "\(route.method.rawValue.lowercased()) /\(path.joined(separator: "/"))"
            }
        )
        struct Document: Decodable { var paths: [String: [String: AnyOperation]] }
        struct AnyOperation: Decodable { var operationId: String }
        try await server.run { client in
            let document = try await client.json(Document.self, "/api/v1/openapi.json")
            let documented = Set(document.paths.flatMap { path, methods in methods.keys.map { "\($0) \(path)" } })
            // Every documented operation is routed; every route but the web pages is documented.
            #expect(documented.subtracting(routes).isEmpty)
            let undocumented = routes.subtracting(documented)
            #expect(undocumented.filter { $0.contains(" /api/") || $0.contains(" /hooks/") || $0.hasSuffix("z") || $0.hasSuffix("/metrics") }.isEmpty)
            #expect(documented.count == Contract.endpoints.count)
            #expect(documented.count > 15)
        }
    }

    /// Every number a request carries is range-checked before use: a value that overflowed an
    /// integer once crashed the server, and one that was negative made a stream loop for ever.
    @Test func hostileNumbersAreRefusedNamingTheParameter() async throws {
        try await server.run { client in
            let run = try await client.runToEnd("count")
            let cases: [(String, HTTPFields, String)] = [
                ("/api/v1/runs/\(run.id)/log/live", [.init("Last-Event-ID")!: "9223372036854775807"], "header 'Last-Event-ID'"),
                ("/api/v1/runs/\(run.id)/log/live", [.init("Last-Event-ID")!: "-1"], "header 'Last-Event-ID'"),
                ("/api/v1/runs/\(run.id)/log/live?from=-9223372036854775808", [:], "query parameter 'from'"),
                ("/api/v1/runs/\(run.id)/log/live?from=-3", [:], "query parameter 'from'"),
                ("/api/v1/runs/\(run.id)/log?from=99999999999999999999", [:], "query parameter 'from'"),
                ("/api/v1/runs?limit=-1", [:], "query parameter 'limit'"),
                ("/api/v1/runs?limit=abc", [:], "query parameter 'limit'"),
                ("/api/v1/runs?limit=501", [:], "query parameter 'limit'"),
                ("/api/v1/runs?before=abc", [:], "query parameter 'before'"),
                ("/api/v1/runs?state=timedOut", [:], "query parameter 'state'"),
                ("/api/v1/runs/0", [:], "path parameter 'id'"),
                ("/api/v1/runs/9223372036854775808", [:], "path parameter 'id'"),
                ("/api/v1/runs/1e3/log", [:], "path parameter 'id'"),
            ]
            for (uri, headers, named) in cases {
                let response = try await client.call(.get, uri, headers: headers)
                #expect(response.status == .badRequest, "\(uri)")
                #expect(String(buffer: response.body).contains(named), "\(uri): \(String(buffer: response.body))")
            }
            // The largest line number is fine, and the stream ends at once: there is nothing after it.
            let last = try await client.call(.get, "/api/v1/runs/\(run.id)/log/live", headers: [.init("Last-Event-ID")!: "\(Limits.largestNumber)"])
            #expect(last.status == .ok)
            #expect(String(buffer: last.body) == "event: end\ndata: passed\n\n")
            #expect(try await client.call(.get, "/healthz").status == .ok)
        }
    }

    @Test func bodiesAreCheckedFieldByField() async throws {
        try await server.run { client in
            let trigger = "/api/v1/projects/demo/jobs/greet/runs"
            let cases: [(String, String)] = [
                (#"{"parameters": {"WHO": 5}}"#, "'parameters.WHO' must be text"),
                (#"{"priority": 1e30}"#, "'priority' must be a whole number from -1000 to 1000"),
                (#"{"priority": "high"}"#, "'priority' must be a whole number"),
                (#"{"parameter": {}}"#, "has no field 'parameter'"),
                (#"[1, 2]"#, "the body must be"),
                (#"{"parameters": {"WHO": "#, "not JSON"),
                (#"{"parameters": {"WHO": "\#(String(repeating: "x", count: Limits.parameterValueLength + 1))"}}"#, "at most 65536 characters"),
            ]
            for (body, message) in cases {
                let response = try await client.call(.post, trigger, body: body)
                #expect(response.status == .badRequest, "\(body.prefix(60))")
                #expect(String(buffer: response.body).contains(message), "\(body.prefix(60)): \(String(buffer: response.body))")
            }
            let token = try await client.call(
                .post,
                "/api/v1/tokens",
                body: #"{"name": "\#(String(repeating: "n", count: 101))", "role": "viewer"}"#,
                token: client.tokens.admin
            )
            #expect(token.status == .badRequest)
            #expect(try await client.call(.post, trigger, body: #"{"parameters": {"WHO": "you"}, "priority": 3}"#).status == .created)
        }
    }

    @Test func aMethodARouteDoesNotTakeIs405WithAllow() async throws {
        try await server.run(role: nil) { client in
            let response = try await client.call(.delete, "/api/v1/runs/1")
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "GET")
            #expect(String(buffer: response.body).contains("DELETE is not allowed here"))
            #expect(try await client.call(.get, "/api/v1/runs/1/cancel").headers[.allow] == "POST")
            let missing = try await client.call(.get, "/api/v1/nothing", token: client.tokens.viewer)
            #expect(missing.status == .notFound)
            let message = try JSONDecoder().decode(API.ErrorBody.self, from: Data(String(buffer: missing.body).utf8)).error.message
            #expect(message.contains("nothing at /api/v1/nothing"))
        }
    }
}

/// An artifact as listed.
struct ArtifactFile: Decodable {
    var name: String
    var size: Int
}
