import Foundation
import HangarAPI
import HangarCore
import HangarMachine
import HangarTestSupport
import Testing

/// The gate on a real `hangar serve` that is killed: its queue lives in the store, so the restarted
/// coordinator goes on with the same queue and merges every change once.
@Suite(.serialized, .timeLimit(.minutes(5))) struct GateFaultTests {
    func queue(_ server: Server, token: String) async throws -> [API.QueueItem] {
        let answer = try await server.call("GET", "/api/v1/queues", token: token)
        return try JSONDecoder().decode([API.Queue].self, from: Data(answer.body.utf8)).first?.items ?? []
    }

    /// Waits until `server` answers and has loaded the git project (its first fetch).
    func waitForProject(_ server: Server, token: String) async throws {
        try await server.waitUntilUp()
        try await eventually("the project loads: \(server.errors)") {
            try await server.call("GET", "/api/v1/projects/app", token: token).body.contains(#""name":"test""#)
        }
    }

    @Test func aCoordinatorKilledWithFiveChangesInTheGateResumesTheSameQueue() async throws {
        // The runs wait for `release()`, so no change merges before the kill however slow the machine.
        let world = try await GateStandIn()
        defer { world.stop() }
        let heads = try await world.pullRequests(5)
        let sandbox = try Sandbox("")
        defer { sandbox.remove() }
        try world.project(in: "\(sandbox.root)/projects")
        let token = try await sandbox.hangar(["token", "create", "--role", "operator"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var server = try await Server(sandbox, environment: GateStandIn.environment)
        try await waitForProject(server, token: token)
        for (index, head) in heads.enumerated() {
            let (body, headers) = world.delivery("pull_request_approved", action: "reviewed", number: index + 1, commit: head)
            let answer = try await server.call("POST", "/hooks/gitea/app", token: token, body: body, headers: headers.map { "\($0):\($1)" })
            #expect(answer.status == 200 && answer.body.contains("joined the gate"), "\(answer)")
        }
        try await eventually("the head is tested") { try await queue(server, token: token).first?.runs.isEmpty == false }
        let before = try await queue(server, token: token).map(\.change)
        #expect(before == (1...5).map { "team/app#\($0)" })

        server.process.signal(SIGKILL)
        _ = await server.process.wait()
        server = try await Server(sandbox, environment: GateStandIn.environment)
        defer { server.process.terminate() }
        try await waitForProject(server, token: token)
        let after = try await queue(server, token: token).map(\.change)
        #expect(after == before, "the restarted coordinator has the same queue")
        world.release()
        try await eventually("every change merges: \((try? world.merges()) ?? [])", within: .seconds(150)) {
            try await queue(server, token: token).isEmpty
        }
        let calls = try world.calls().map { "\($0.method) \($0.path) \($0.text)" }
        #expect(try world.merges() == (1...5).map { "/api/v1/repos/team/app/pulls/\($0)/merge" }, "each merged once, in order: \(calls)")
        #expect(try await world.filesOnMain() == ["file1", "file2", "file3", "file4", "file5", "hangar.yml"])
    }

    /// Two replicas on PostgreSQL, each with its own state folder (its own clone): the one driving
    /// the gate is killed; the other takes the lead, makes the speculative merges again in its own
    /// clone for the runs it hands out, and merges every change once.
    @Test func aReplicaTakesTheGateOverAndMakesTheMergesAgainInItsClone() async throws {
        let world = try await GateStandIn()
        defer { world.stop() }
        let heads = try await world.pullRequests(3)
        let sandbox = try Sandbox("")
        defer { sandbox.remove() }
        try world.project(in: "\(sandbox.root)/projects")
        let database = try await TestPostgres.shared.newDatabase()
        let token = try await sandbox.hangar(["token", "create", "--role", "operator", "--database", database]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        func replica(_ name: String) async throws -> Server {
            let server = try await Server(
                sandbox,
                arguments: ["--database", database, "--name", name, "--lease", "3"],
                environment: GateStandIn.environment.merging(["HANGAR_STATE_DIR": "\(sandbox.root)/state-\(name)"]) { $1 }
            )
            try await waitForProject(server, token: token)
            return server
        }
        // The first replica alone takes the gate's lead and starts testing.
        let first = try await replica("first")
        defer { first.process.terminate() }
        for (index, head) in heads.enumerated() {
            let (body, headers) = world.delivery("pull_request_approved", action: "reviewed", number: index + 1, commit: head)
            let answer = try await first.call("POST", "/hooks/gitea/app", token: token, body: body, headers: headers.map { "\($0):\($1)" })
            #expect(answer.status == 200 && answer.body.contains("joined the gate"), "\(answer)")
        }
        try await eventually("the head is tested") { try await queue(first, token: token).first?.runs.isEmpty == false }
        let second = try await replica("second")
        defer { second.process.terminate() }
        first.process.signal(SIGKILL)
        _ = await first.process.wait()
        world.release()
        try await eventually("the second replica merges every change: \((try? world.merges()) ?? []) \(second.errors)", within: .seconds(150)) {
            try await queue(second, token: token).isEmpty
        }
        let said = try world.calls().map { "\($0.method) \($0.path) \($0.text)" }.filter { !$0.contains("/statuses/") }
        #expect(try world.merges() == (1...3).map { "/api/v1/repos/team/app/pulls/\($0)/merge" }, "\(said)")
        #expect(try await world.filesOnMain() == ["file1", "file2", "file3", "hangar.yml"])
        let log = (try? String(contentsOfFile: second.errors, encoding: .utf8)) ?? ""
        #expect(log.contains("merged by the gate"), "the second replica merged: \(log.suffix(2000))")
    }
}
