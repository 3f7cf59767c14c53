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
        // The runs wait for this file, so no change merges before the kill however slow the machine.
        let release = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-gate-release-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: release) }
        let world = try await GateStandIn(task: "while [ ! -e \(release) ]; do sleep 0.1; done")
        defer { world.stop() }
        var heads: [String] = []
        for number in 1...5 { heads.append(try await world.pullRequest(number, adding: "file\(number)")) }
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
        FileManager.default.createFile(atPath: release, contents: nil)
        try await eventually("every change merges: \((try? world.merges()) ?? [])", within: .seconds(150)) {
            try await queue(server, token: token).isEmpty
        }
        let calls = try world.calls().map { "\($0.method) \($0.path) \($0.text)" }
        #expect(try world.merges() == (1...5).map { "/api/v1/repos/team/app/pulls/\($0)/merge" }, "each merged once, in order: \(calls)")
        #expect(try await world.filesOnMain() == ["file1", "file2", "file3", "file4", "file5", "hangar.yml"])
    }
}
