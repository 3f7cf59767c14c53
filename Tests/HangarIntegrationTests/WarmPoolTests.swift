import Foundation
import HangarCore
import HangarMachine
import HangarTestSupport
import Testing

/// `pool: 1` on a real `hangar serve` (its embedded worker) with the real test guest: the first run
/// boots cold and saves the snapshot, the pool then restores a machine, the next run starts on it
/// and another is restored behind it; SIGTERM drains the pool (no QEMU left).
@Suite(.serialized, .timeLimit(.minutes(5))) struct WarmPoolTests {
    @Test func aRunStartsOnAPoolMachineAndShutdownDrainsThePool() async throws {
        let guest = try TestGuest.require()
        let sandbox = try Sandbox("")
        defer { sandbox.remove() }
        let project = try sandbox.serverProject()
        try guestYAML(guest, machine: "disk", jobs: "  vm:\n    tasks:\n      - run: echo \"in $(hostname)\"\n")
            .replacingOccurrences(of: "    memory: 512M\n", with: "    memory: 512M\n    snapshot: true\n    pool: 1\n")
            .write(toFile: "\(project)/hangar.yml", atomically: true, encoding: .utf8)
        let token = try await sandbox.hangar(["token", "create", "--role", "operator", "--name", "test"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try await Server(sandbox)
        try await server.waitUntilUp()

        let cold = try await server.remote(["trigger", "demo/vm", "-f"], token: token)
        #expect(cold.status == 0, "\(cold.stdout)\(cold.stderr)")
        #expect(!cold.stdout.contains("warm pool"), "\(cold.stdout)")
        #expect(cold.stdout.contains("note: machine 'default': saved snapshot"), "the machine's notices reach the run's log: \(cold.stdout)")
        try await Self.waitForReadyMachines(1, server: server, "the pool restored no machine after the first run")

        let warm = try await server.remote(["trigger", "demo/vm", "-f"], token: token)
        #expect(warm.status == 0 && warm.stdout.contains("in default"), "\(warm.stdout)\(warm.stderr)")
        #expect(warm.stdout.contains("taken from the warm pool"), "\(warm.stdout)")
        // The run's machine is destroyed, and another is restored behind it.
        try await Self.waitForReadyMachines(2, server: server, "the pool was not refilled")
        #expect(sandbox.qemuProcesses().count == 1)
        // The machines page shows the worker's pool (from its heartbeats).
        var page = ""
        for _ in 0..<150 where !page.contains("1 ready in its warm pool") {
            try await Task.sleep(for: .milliseconds(100))
            page = try await server.fetch("/machines", cookie: "hangar_token=\(token)")
        }
        #expect(page.contains("1 ready in its warm pool"), "\(page)")

        server.process.signal(SIGTERM)
        #expect(await server.process.wait() == 0)
        #expect(sandbox.qemuProcesses().isEmpty, "the pool was not drained")
    }

    /// A job of two machines on a private network, both with `pool: 1`: each pool machine is
    /// restored with its place on the network, joins the run's network when taken, and the two reach
    /// each other by name; SIGTERM leaves nothing (no QEMU, no state folder, no socket).
    @Test func aJobOfSeveralMachinesTakesThemFromThePoolOntoItsNetwork() async throws {
        let guest = try TestGuest.require()
        let sandbox = try Sandbox("")
        defer { sandbox.remove() }
        let project = try sandbox.serverProject()
        let jobs = """
              pair:
                machines: [db, web]
                tasks:
                  - { on: web, run: ping -c 1 -W 10 db }
                  - { on: db, run: ping -c 1 -W 10 web }
            """
        try MultiMachineTests.yaml(guest, machines: ["db", "web"], jobs: jobs)
            .replacingOccurrences(of: "accel: tcg", with: "accel: tcg, snapshot: true, pool: 1")
            .write(toFile: "\(project)/hangar.yml", atomically: true, encoding: .utf8)
        let token = try await sandbox.hangar(["token", "create", "--role", "operator", "--name", "test"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try await Server(sandbox)
        defer { server.process.terminate() }
        try await server.waitUntilUp()

        let cold = try await server.remote(["trigger", "demo/pair", "-f"], token: token)
        #expect(cold.status == 0 && !cold.stdout.contains("warm pool"), "\(cold.stdout)\(cold.stderr)")
        try await Self.waitForReadyMachines(2, server: server, "the pool restored no machines after the first run")

        let warm = try await server.remote(["trigger", "demo/pair", "-f"], token: token)
        #expect(warm.status == 0, "\(warm.stdout)\(warm.stderr)")
        for name in ["db", "web"] { #expect(warm.stdout.contains("machine '\(name)': taken from the warm pool"), "\(warm.stdout)") }
        #expect(warm.stdout.contains("PING db (10.76.0.1)") && warm.stdout.contains("PING web (10.76.0.2)"), "\(warm.stdout)")
        #expect(!warm.stdout.contains(" 0 packets received"), "\(warm.stdout)")
        try await Self.waitForReadyMachines(4, server: server, "the pool was not refilled")

        server.process.signal(SIGTERM)
        #expect(await server.process.wait() == 0)
        #expect(sandbox.qemuProcesses().isEmpty && sandbox.machineFolders().isEmpty, "the pool was not drained")
    }

    /// Waits until the server has said `count` times that a pool machine is ready.
    static func waitForReadyMachines(_ count: Int, server: Server, _ failure: String) async throws {
        func said() -> Int { ((try? String(contentsOfFile: server.errors, encoding: .utf8)) ?? "").components(separatedBy: "is ready").count - 1 }
        for _ in 0..<600 {
            if said() >= count { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("\(failure): the server said \(said()) time(s) that a pool machine is ready")
    }
}
