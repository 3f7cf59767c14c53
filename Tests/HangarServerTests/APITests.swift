import Foundation
import HangarMachine
import HangarServer
import HangarStore
import Hummingbird
import HummingbirdTesting
import Testing

/// The API and the embedded worker over a real SQLite store, through the real router.
@Suite(.timeLimit(.minutes(1))) struct APITests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-server-\(UUID().uuidString.prefix(8))").path

    func makeProjects() throws {
        try FileManager.default.createDirectory(atPath: "\(root)/projects/demo", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(root)/projects/broken", withIntermediateDirectories: true)
        try """
        machines:
          default: { image: ./none.qcow2 }
        jobs:
          null: { tasks: [{ host: "true" }] }
          hello: { tasks: [{ host: "echo hello from the host" }, { host: "exit 4" }] }
          sleepy: { tasks: [{ host: "echo sleeping; sleep 60" }] }
        """.write(toFile: "\(root)/projects/demo/hangar.yml", atomically: true, encoding: .utf8)
        try "machines:\n  default:\n    memroy: 2G\n".write(toFile: "\(root)/projects/broken/hangar.yml", atomically: true, encoding: .utf8)
    }

    func withServer(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try makeProjects()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try await RunStore.openSQLite(path: "\(root)/hangar.db")
        let configuration = HangarServer.Configuration(projects: "\(root)/projects", paths: HangarPaths(cache: "\(root)/cache", state: "\(root)/state"))
        do {
            try await HangarServer.application(configuration, store: store).test(.router, body)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }

    func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(String(buffer: response.body).utf8))
    }

    /// Triggers `job` and waits until its run has ended.
    func runToEnd(_ client: any TestClientProtocol, job: String) async throws -> StoredRun {
        let created = try await client.execute(uri: "/api/v1/projects/demo/jobs/\(job)/runs", method: .post)
        #expect(created.status == .created)
        let id = try decode(StoredRun.self, created).id
        while true {
            let run = try decode(StoredRun.self, try await client.execute(uri: "/api/v1/runs/\(id)", method: .get))
            if !["queued", "running"].contains(run.state) { return run }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func aTriggeredNullJobPasses() async throws {
        try await withServer { client in
            let run = try await runToEnd(client, job: "null")
            #expect(run.state == "passed")
            let list = try decode([StoredRun].self, try await client.execute(uri: "/api/v1/runs?state=passed", method: .get))
            #expect(list.map(\.id) == [run.id])
        }
    }

    @Test func aFailingJobFailsAndItsLogIsKept() async throws {
        try await withServer { client in
            let run = try await runToEnd(client, job: "hello")
            #expect(run.state == "failed")
            #expect(run.reason?.contains("'exit 4' exited with status 4") == true)
            let log = try await client.execute(uri: "/api/v1/runs/\(run.id)/log", method: .get)
            let text = String(buffer: log.body)
            #expect(text.contains("==> [1/2] host: echo hello from the host\nhello from the host\n"))
            let tail = try await client.execute(uri: "/api/v1/runs/\(run.id)/log?from=2", method: .get)
            #expect(!String(buffer: tail.body).contains("hello from the host\n=="))
        }
    }

    func state(_ client: any TestClientProtocol, _ id: Int) async throws -> String {
        try decode(StoredRun.self, try await client.execute(uri: "/api/v1/runs/\(id)", method: .get)).state
    }

    @Test func runningAndQueuedRunsCanBeCancelled() async throws {
        try await withServer { client in
            let first = try decode(StoredRun.self, try await client.execute(uri: "/api/v1/projects/demo/jobs/sleepy/runs", method: .post)).id
            let second = try decode(StoredRun.self, try await client.execute(uri: "/api/v1/projects/demo/jobs/sleepy/runs", method: .post)).id
            while try await state(client, first) != "running" { try await Task.sleep(for: .milliseconds(20)) }
            #expect(try await state(client, second) == "queued")
            #expect(try await client.execute(uri: "/api/v1/runs/\(second)/cancel", method: .post).status == .accepted)
            #expect(try await state(client, second) == "cancelled")
            #expect(try await client.execute(uri: "/api/v1/runs/\(first)/cancel", method: .post).status == .accepted)
            while try await state(client, first) == "running" { try await Task.sleep(for: .milliseconds(20)) }
            #expect(try await state(client, first) == "cancelled")
            #expect(try await client.execute(uri: "/api/v1/runs/\(first)/cancel", method: .post).status == .conflict)
            #expect(try await client.execute(uri: "/api/v1/runs/999/cancel", method: .post).status == .notFound)
        }
    }

    @Test func badRequestsSayWhatIsWrong() async throws {
        try await withServer { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/api/v1/runs/999", method: .get).status == .notFound)
            let unknownJob = try await client.execute(uri: "/api/v1/projects/demo/jobs/nul/runs", method: .post)
            #expect(unknownJob.status == .badRequest)
            #expect(String(buffer: unknownJob.body).contains("did you mean 'null'?"))
            let broken = try await client.execute(uri: "/api/v1/projects/broken/jobs/x/runs", method: .post)
            #expect(broken.status == .notFound)
            #expect(String(buffer: broken.body).contains("unknown key 'memroy'"))
        }
    }
}
