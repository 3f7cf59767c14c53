import Foundation
import HangarServer
import HangarStore
import Hummingbird
import HummingbirdTesting
import Testing

/// The API and the embedded worker over a real SQLite store, through the real router.
@Suite(.timeLimit(.minutes(1))) struct APITests {
    let server = ServerHarness()

    @Test func aTriggeredNullJobPasses() async throws {
        try await server.run { client in
            let run = try await client.runToEnd("null")
            #expect(run.state == "passed")
            let list = try await client.json([StoredRun].self, "/api/v1/runs?state=passed&project=demo&job=null")
            #expect(list.map(\.id) == [run.id])
            #expect(try await client.json([StoredRun].self, "/api/v1/runs?job=hello").isEmpty)
        }
    }

    @Test func aFailingJobFailsAndItsLogAndTasksAreKept() async throws {
        try await server.run { client in
            let run = try await client.runToEnd("hello")
            #expect(run.state == "failed")
            #expect(run.reason?.contains("'exit 4' exited with status 4") == true)
            let text = String(buffer: try await client.call(.get, "/api/v1/runs/\(run.id)/log").body)
            #expect(text.contains("==> [1/2] host: echo hello from the host\nhello from the host\n"))
            let tail = String(buffer: try await client.call(.get, "/api/v1/runs/\(run.id)/log?from=2").body)
            #expect(!tail.contains("hello from the host\n=="))
            struct Detail: Decodable { var tasks: [StoredTask] }
            let tasks = try await client.json(Detail.self, "/api/v1/runs/\(run.id)").tasks
            #expect(tasks.map(\.status) == ["passed", "failed"])
            #expect(tasks.map(\.title) == ["host: echo hello from the host", "host: exit 4"])
        }
    }

    @Test func runningAndQueuedRunsCanBeCancelledAndWaitingRunsSayWhy() async throws {
        try await server.run(configure: { $0.capacity = 1 }) { client in
            let first = try await client.trigger("sleepy").id
            let second = try await client.trigger("sleepy").id
            while try await client.state(first) != "running" { try await Task.sleep(for: .milliseconds(20)) }
            var waiting = try await client.json(StoredRun.self, "/api/v1/runs/\(second)")
            while waiting.reason == nil {
                try await Task.sleep(for: .milliseconds(50))
                waiting = try await client.json(StoredRun.self, "/api/v1/runs/\(second)")
            }
            #expect(waiting.state == "queued")
            #expect(waiting.reason == "waiting for a free slot: all 1 are busy")
            #expect(try await client.call(.post, "/api/v1/runs/\(second)/cancel").status == .accepted)
            #expect(try await client.state(second) == "cancelled")
            #expect(try await client.json(StoredRun.self, "/api/v1/runs/\(first)").reason == nil, "a running run does not wait")
            #expect(try await client.call(.post, "/api/v1/runs/\(first)/cancel").status == .accepted)
            #expect(try await client.waitForEnd(first).state == "cancelled")
            #expect(try await client.call(.post, "/api/v1/runs/\(first)/cancel").status == .conflict)
            #expect(try await client.call(.post, "/api/v1/runs/999/cancel").status == .notFound)
        }
    }

    @Test func parametersReachTheTasksAndARetriggerKeepsThem() async throws {
        try await server.run { client in
            let run = try await client.runToEnd("greet", body: #"{"parameters": {"WHO": "world"}}"#)
            #expect(run.state == "passed")
            #expect(run.parameters == ["WHO": "world", "HOW": "Hello"])
            #expect(String(buffer: try await client.call(.get, "/api/v1/runs/\(run.id)/log").body).contains("Hello, world\n"))
            let again = try await client.json(StoredRun.self, "/api/v1/runs/\(run.id)/retrigger", method: .post)
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
            #expect(run.state == "passed")
            let list = try await client.json([ArtifactFile].self, "/api/v1/runs/\(run.id)/artifacts")
            #expect(list.map(\.name) == ["logs/report.txt"])
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
            #expect(unknownJob.status == .badRequest)
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
        try await server.run(role: nil, configure: { settings in settings.anonymousRead = true }) { client async throws in
            let read = try await client.call(.get, "/api/v1/runs")
            #expect(read.status == .ok)
            let write = try await client.call(.post, "/api/v1/projects/demo/jobs/null/runs")
            #expect(write.status == .unauthorized)
        }
    }

    @Test func aBrokenEditKeepsTheLastGoodVersionAndIsReported() async throws {
        try await server.run { client in
            try "jobs:\n  null:\n    tasks: [{ host: true }\n".write(toFile: "\(server.projects)/demo/hangar.yml", atomically: true, encoding: .utf8)
            struct Project: Decodable { var error: String?; var jobs: [Job] }
            struct Job: Decodable { var name: String }
            var project = try await client.json(Project.self, "/api/v1/projects/demo")
            while project.error == nil {
                try await Task.sleep(for: .milliseconds(100))
                project = try await client.json(Project.self, "/api/v1/projects/demo")
            }
            #expect(project.error?.contains("hangar.yml:") == true)
            #expect(project.jobs.map(\.name).contains("null"))
            #expect(try await client.runToEnd("null").state == "passed")
        }
    }

    @Test func theOpenAPIDocumentMatchesTheRoutes() async throws {
        let store = try await RunStore.openSQLite(path: ":memory:")
        let (router, _) = HangarServer.parts(server.configuration, store: store)
        try await store.close()
        let routes = Set(router.routes.map { route in
            let path = route.path.description.split(separator: "/").map { part in
                part == "**" ? "{name}" : part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
            }
            return "\(route.method.rawValue.lowercased()) /\(path.joined(separator: "/"))"
        }.filter { $0.contains(" /api/v1/") })
        struct Document: Decodable { var paths: [String: [String: AnyOperation]] }
        struct AnyOperation: Decodable { var summary: String }
        try await server.run { client in
            let document = try await client.json(Document.self, "/api/v1/openapi.json")
            let documented = Set(document.paths.flatMap { path, methods in methods.keys.map { "\($0) \(path)" } })
            #expect(documented == routes)
            #expect(routes.count > 10)
        }
    }
}

/// An artifact as listed.
struct ArtifactFile: Decodable {
    var name: String
    var size: Int
}
