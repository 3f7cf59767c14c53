import Foundation
import HangarCore
import HangarMachine
import HangarTestSupport
import Testing

/// `hangar serve` and `hangar worker` stop on SIGTERM and on Ctrl-C (SIGINT) every time, whatever
/// they ran before: a signal can land on any thread (swift-subprocess's monitor thread waits with
/// every signal unblocked), and a server that once ignored SIGTERM held its runs until their leases
/// ran out. Each is started, made to run host tasks (and the server a VM), signalled, and must be
/// gone within 5 s with status 0.
@Suite(.serialized, .timeLimit(.minutes(5))) struct SignalTests {
    static let rounds = 8

    func sandbox() throws -> Sandbox {
        let guest = try TestGuest.require()
        let sandbox = try Sandbox("")
        let project = try sandbox.serverProject()
        try guestYAML(guest, jobs: "  vm: { tasks: [{ run: 'true' }] }\n  null: { tasks: [{ host: 'true' }] }\n")
            .write(toFile: "\(project)/hangar.yml", atomically: true, encoding: .utf8)
        return sandbox
    }

    /// Sends `signal` to `process` and waits: its exit status, or nil when it was still running after 5 s.
    func stop(_ process: BackgroundProcess, with signal: Int32) async -> Int32? {
        process.signal(signal)
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return process.isRunning ? nil : await process.wait()
    }

    @Test func aServerStopsOnEverySignalWhateverItRan() async throws {
        let sandbox = try sandbox()
        defer { sandbox.remove() }
        let token = try await sandbox.hangar(["token", "create", "--role", "operator"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for round in 0..<Self.rounds {
            let server = try await Server(sandbox)
            defer { server.process.terminate() }
            try await server.waitUntilUp()
            if round == 0 {
                let vm = try await server.remote(["trigger", "demo/vm", "-f"], token: token)
                #expect(vm.status == 0, "\(vm.stderr)")
            }
            #expect(try await server.burst("demo/null", count: 10, token: token).states == ["passed": 10])
            let signal = round % 2 == 0 ? SIGTERM : SIGINT
            let status = await stop(server.process, with: signal)
            #expect(
                status == 0,
                "round \(round), signal \(signal): \(status.map { "exit \($0)" } ?? "still running after 5 s"): \(server.process.output())"
            )
        }
        #expect(sandbox.qemuProcesses().isEmpty)
    }

    @Test func aWorkerStopsOnEverySignalAndIsOfflineAtOnce() async throws {
        let sandbox = try sandbox()
        defer { sandbox.remove() }
        let token = try await sandbox.hangar(["token", "create", "--role", "operator"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let workerToken = try await sandbox.hangar(["token", "create", "--role", "worker"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try await Server(sandbox, arguments: ["--name", "test", "--no-worker"])
        defer { server.process.terminate() }
        try await server.waitUntilUp()
        for round in 0..<Self.rounds {
            let worker = try await WorkerProcess(sandbox, name: "w", server: server.url, token: workerToken)
            defer { worker.process.terminate() }
            #expect(try await server.burst("demo/null", count: 10, token: token).states == ["passed": 10])
            let signal = round % 2 == 0 ? SIGTERM : SIGINT
            let status = await stop(worker.process, with: signal)
            #expect(status == 0, "round \(round), signal \(signal): \(status.map { "exit \($0)" } ?? "still running after 5 s"): \(worker.log)")
            let listed = try await server.call("GET", "/api/v1/workers", token: token).body
            #expect(listed.contains(#""online":false"#) && !listed.contains(#""online":true"#), "offline at once: \(listed)")
        }
    }
}
