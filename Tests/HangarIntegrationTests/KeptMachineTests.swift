import Foundation
import HangarCore
import HangarMachine
import HangarTestSupport
import Testing

/// Machines a run keeps up after it ends (`keep:`), on a real `hangar serve` with a real VM: the
/// user's key lets them in, the machine holds its worker's slot, outlives a restart of the server,
/// and is destroyed when someone asks or when its time runs out, leaving nothing behind.
@Suite(.serialized, .timeLimit(.minutes(5))) struct KeptMachineTests {
    @Test func aKeptMachineLetsItsUserInOutlivesARestartAndIsDestroyedOnRequestOrInTime() async throws {
        let guest = try TestGuest.require()
        let sandbox = try Sandbox("")
        defer { sandbox.remove() }
        defer { sandbox.killMachines() }
        let project = try sandbox.serverProject()
        let jobs =
            Self.webServer("kept") + """
                  quick:
                    tasks: [{ host: 'true' }]
                """
        try guestYAML(guest, extra: Self.port80, jobs: jobs).write(toFile: "\(project)/hangar.yml", atomically: true, encoding: .utf8)
        let key = "\(sandbox.root)/user_ed25519"
        #expect(try await Command.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key]).status == 0)
        let token = try await sandbox.hangar(["token", "create", "--role", "operator"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // One slot: the kept machine holds it.
        var server = try await Server(sandbox, capacity: 1)
        try await server.waitUntilUp()

        let up = try await server.remote(["up", "demo/dev", "--for", "1h", "--ssh-key", "\(key).pub"], token: token)
        #expect(up.status == 0, "\(up.stderr)")
        let id = try #require(up.stdout.split(separator: "\n").first.flatMap { Int($0) }, "\(up.stdout)")
        #expect(up.stdout.contains("default") && up.stdout.contains("kept"), "\(up.stdout)")
        let port = try #require(try await keptPort(server, run: id, token: token))
        let login = try await Command.run([
            "ssh", "-i", key, "-p", "\(port)", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "root@127.0.0.1", "cat /tmp/marker",
        ])
        #expect(login.status == 0 && login.stdout == "kept\n", "the user's own key logs in: \(login.stderr)")
        #expect(sandbox.qemuProcesses().count == 1)
        // The same through the server: 'hangar remote ssh' tunnels to it.
        let remoteSSH = try await sandbox.hangar(
            ["remote", "ssh", "\(id)", "--server", server.url, "--token", token, "--", "-i", key, "-o", "BatchMode=yes", "cat /tmp/marker"]
        )
        #expect(remoteSSH.status == 0 && remoteSSH.stdout == "kept\n", "\(remoteSSH.stderr)")
        let refused = try await server.remote(["tunnel", "\(id)", "8080"], token: token)
        #expect(refused.status != 0 && refused.stderr.contains("does not forward port 8080; a tunnel goes to 22, 80"), "\(refused.stderr)")

        // Its web port in the web UI: the guest's pages, under the proxy's prefix, without Hangar's token.
        let page = try await server.call(
            "GET",
            "/machines/\(id)/ports/80/cgi-bin/echo?x=1",
            token: token,
            headers: ["Cookie:hangar_token=\(token); theme=dark"]
        )
        #expect(page.status == 200, "\(page.body)")
        #expect(page.body.contains("cookie=[theme=dark] auth=[] prefix=[/machines/\(id)/ports/80] GET x=1"), "\(page.body)")
        let index = try await server.call("GET", "/machines/\(id)/default/ports/80", token: token)
        #expect(index.status == 200 && index.body.contains("kept page"), "a folder's slash is added: \(index.body)")
        let machinesPage = try await server.fetch("/machines", cookie: "hangar_token=\(token)")
        #expect(machinesPage.contains("href=\"/machines/\(id)/default/ports/80/\""), "\(machinesPage)")
        let stranger = try await sandbox.hangar(["token", "create", "--role", "operator", "--name", "stranger"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let forbidden = try await server.call("GET", "/machines/\(id)/ports/80/", token: stranger)
        #expect(forbidden.status == 403, "another operator's machine: \(forbidden)")
        #expect(try await server.call("GET", "/machines/\(id)/ports/8080/", token: token).status == 400)

        // The kept machine holds the only slot: another run waits.
        let quick = try await server.remote(["trigger", "demo/quick"], token: token)
        let waiting = try #require(Int(quick.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        try await Task.sleep(for: .seconds(3))
        #expect(try await server.remote(["runs", "--json", "--state", "queued"], token: token).stdout.contains(#""id":\#(waiting)"#))

        // A restart of the server (and its worker) keeps the machine up and adopts it.
        server.process.signal(SIGTERM)
        #expect(await server.process.wait() == 0)
        #expect(sandbox.qemuProcesses().count == 1, "the kept machine outlives its worker's stop")
        server = try await Server(sandbox, capacity: 1)
        defer { server.process.terminate() }
        try await server.waitUntilUp()
        try await eventually((try? String(contentsOfFile: server.errors, encoding: .utf8)) ?? "") {
            try String(contentsOfFile: server.errors, encoding: .utf8).contains("adopting the machines run \(id) kept: default")
        }
        let machines = try await server.remote(["machines"], token: token)
        #expect(machines.stdout.contains("\(id)") && machines.stdout.contains("kept"), "\(machines.stdout)")
        let again = try await sandbox.hangar(
            ["remote", "ssh", "\(id)", "--server", server.url, "--token", token, "--", "-i", key, "-o", "BatchMode=yes", "cat /tmp/marker"]
        )
        #expect(again.status == 0 && again.stdout == "kept\n", "a tunnel opens again after the restart: \(again.stderr)")

        // Destroyed on request: the worker destroys it, and the waiting run gets the slot.
        #expect(try await server.remote(["destroy", "\(id)"], token: token).status == 0)
        try await eventually("the kept machine is destroyed: \(sandbox.qemuProcesses())") {
            sandbox.qemuProcesses().isEmpty && sandbox.machineFolders().isEmpty
        }
        try await eventually("the waiting run ran") {
            try await server.remote(["runs", "--json", "--state", "passed"], token: token).stdout.contains(#""id":\#(waiting)"#)
        }
        #expect(try await server.remote(["logs", "\(id)"], token: token).stdout.contains("note: kept machines destroyed: destroyed by"))

        // Kept for 10 s, with a tunnel open: destroyed when its time runs out, the tunnel closes, and
        // the log says so.
        let short = try await server.remote(["trigger", "demo/dev", "--keep", "10s", "--ssh-key", "\(key).pub", "-f"], token: token)
        #expect(short.status == 0, "\(short.stderr)")
        let expiring = try #require(short.stdout.split(separator: "\n").first.flatMap { Int($0) })
        let held = try await sandbox.start(
            ["remote", "ssh", "\(expiring)", "--server", server.url, "--token", token, "--", "-i", key, "-o", "BatchMode=yes", "echo in; sleep 60"],
            log: "held"
        )
        defer { held.terminate() }
        try await eventually(held.output()) { held.output().contains("in") }
        #expect(await held.wait() != 0, "the tunnel closed under ssh when the machine went: \(held.output())")
        try await eventually("the machine kept 10 s is destroyed") {
            let log = try await server.remote(["logs", "\(expiring)"], token: token).stdout
            return sandbox.qemuProcesses().isEmpty && sandbox.machineFolders().isEmpty && log.contains("their time ran out")
        }
    }

    /// The test guest's machine forwards port 80.
    static let port80 = "    ports: [\"0:80\"]\n"

    /// Job `dev`: kept, writes `marker` to /tmp/marker and serves busybox's httpd on port 80, with
    /// a CGI script that echoes what it got.
    static func webServer(_ marker: String) -> String {
        """
          dev:
            keep: 1h
            tasks:
              - run: echo \(marker) > /tmp/marker
              - run: |
                  mkdir -p /www/cgi-bin
                  echo '\(marker) page: <a href="cgi-bin/echo">echo</a>' > /www/index.html
                  printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho "cookie=[$HTTP_COOKIE] auth=[$HTTP_AUTHORIZATION] prefix=[$HTTP_X_FORWARDED_PREFIX] $REQUEST_METHOD $QUERY_STRING"\\n' > /www/cgi-bin/echo
                  chmod +x /www/cgi-bin/echo
                  httpd -p 80 -h /www

        """
    }

    /// The SSH port of run `run`'s kept machine, from `hangar remote machines --json`.
    func keptPort(_ server: Server, run: Int, token: String) async throws -> Int? {
        struct Kept: Decodable {
            struct Machine: Decodable { var sshPort: Int }
            var run: Int
            var machines: [Machine]
        }
        let listed = try await server.remote(["machines", "--json"], token: token).stdout
        return try JSONDecoder().decode([Kept].self, from: Data(listed.utf8)).first { $0.run == run }?.machines.first?.sshPort
    }

    /// A kept machine on a worker elsewhere: the worker dials back to the coordinator, so a tunnel
    /// needs no route to it; `forward` serves many connections; the worker killed mid-tunnel closes
    /// the tunnel with a message.
    @Test func aTunnelReachesAKeptMachineOnAnotherWorkerThroughTheCoordinator() async throws {
        let guest = try TestGuest.require()
        let sandbox = try Sandbox("")
        defer { sandbox.remove() }
        let project = try sandbox.serverProject()
        try guestYAML(guest, extra: Self.port80, jobs: Self.webServer("far")).write(
            toFile: "\(project)/hangar.yml",
            atomically: true,
            encoding: .utf8
        )
        let key = "\(sandbox.root)/user_ed25519"
        #expect(try await Command.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key]).status == 0)
        let token = try await sandbox.hangar(["token", "create", "--role", "operator"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let workerToken = try await sandbox.hangar(["token", "create", "--role", "worker", "--name", "w"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try await Server(sandbox, arguments: ["--name", "coordinator", "--no-worker"])
        defer { server.process.terminate() }
        try await server.waitUntilUp()
        let worker = try await WorkerProcess(sandbox, name: "far", server: server.url, token: workerToken)
        defer {
            worker.process.terminate()
            for pid in worker.qemuProcesses() { kill(Int32(pid) ?? 0, SIGKILL) }
        }

        let up = try await server.remote(["up", "demo/dev", "--ssh-key", "\(key).pub"], token: token)
        #expect(up.status == 0, "\(up.stderr)")
        let id = try #require(up.stdout.split(separator: "\n").first.flatMap { Int($0) }, "\(up.stdout)")
        let ssh = try await sandbox.hangar(
            ["remote", "ssh", "\(id)", "--server", server.url, "--token", token, "--", "-i", key, "-o", "BatchMode=yes", "cat /tmp/marker"]
        )
        #expect(ssh.status == 0 && ssh.stdout == "far\n", "\(ssh.stderr) \(worker.log)")
        let page = try await server.call("POST", "/machines/\(id)/default/ports/80/cgi-bin/echo", token: token, body: "{}")
        #expect(page.status == 200 && page.body.contains("auth=[] prefix=[/machines/\(id)/default/ports/80] POST"), "\(page.body)")

        // forward: each connection to the local port is a tunnel of its own.
        let local = PortPicker.freePort()
        let forward = try await sandbox.start(
            ["remote", "forward", "\(id)", "\(local):22", "--server", server.url, "--token", token],
            log: "forward"
        )
        defer { forward.terminate() }
        let login =
            ["ssh", "-i", key, "-p", "\(local)", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
            + ["-o", "LogLevel=ERROR", "-o", "ConnectionAttempts=20", "root@127.0.0.1"]
        try await eventually(forward.output()) { (try await Command.run(login + ["true"])).status == 0 }
        async let first = Command.run(login + ["echo one"])
        async let second = Command.run(login + ["echo two"])
        let (one, two) = try await (first.stdout, second.stdout)
        #expect(one == "one\n" && two == "two\n")
        let listed = try await server.remote(["machines", "--json"], token: token).stdout
        #expect(listed.contains(#""openedBy":"#) && listed.contains(#""port":22"#), "every tunnel is recorded: \(listed)")

        // The worker killed while a tunnel is open: the tunnel closes, saying so.
        let held = try await sandbox.start(
            ["remote", "ssh", "\(id)", "--server", server.url, "--token", token, "--", "-i", key, "-o", "BatchMode=yes", "sleep 60"],
            log: "held"
        )
        defer { held.terminate() }
        try await Task.sleep(for: .seconds(3))
        worker.process.signal(SIGKILL)
        let status = await held.wait()
        #expect(status != 0, "the tunnel closed under ssh: \(held.output())")
        #expect(held.output().contains("tunnel closed: the machine's end was cut"), "\(held.output())")
        try await eventually("the machine is reported lost once its worker is silent") {
            try await server.remote(["machines", "--json"], token: token).stdout.contains(#""lost":"worker far is offline"#)
        }
    }
}
