import Foundation
import HangarCore
import HangarMachine
import HangarTestSupport
import Testing

/// The real `hangar serve` over HTTP: tokens from `hangar token`, runs from `hangar remote`, a real
/// VM booted by the embedded worker, the web UI fetched as a browser would, and a clean SIGTERM.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ServerTests {
    func makeSandbox() throws -> Sandbox {
        let guest = try TestGuest.require()
        let sandbox = try Sandbox("")
        let project = try sandbox.serverProject()
        try guestYAML(
            guest,
            jobs: """
                  vm:
                    parameters: { GREETING: { default: hello } }
                    tasks:
                      - run: echo "$GREETING from $(uname -s) in the guest"
                  slow:
                    tasks: [{ host: "echo waiting; sleep 60" }]
                  null:
                    tasks: [{ host: "true" }]
                  grid:
                    matrix: { SIDE: [left, right] }
                    tasks: [{ host: 'echo "$SIDE side"; test "$SIDE" = left' }]
                  offline:
                    tasks:
                      - run: 'echo "E: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Could not resolve host: deb.debian.org"; exit 100'
                """
        ).write(toFile: "\(project)/hangar.yml", atomically: true, encoding: .utf8)
        return sandbox
    }

    /// `hangar remote trigger` of a matrix job prints a run id per cell and, with -f, each cell's end,
    /// exiting with the worst; `hangar remote rerun --group` queues the failed cells again.
    @Test func aMatrixJobIsTriggeredAndFollowedCellByCell() async throws {
        let sandbox = try makeSandbox()
        defer { sandbox.remove() }
        let token = try await sandbox.hangar(["token", "create", "--role", "operator"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try await Server(sandbox)
        defer { server.process.terminate() }
        try await server.waitUntilUp()

        let grid = try await server.remote(["trigger", "demo/grid", "-f"], token: token)
        #expect(grid.status == 1, "the worst cell failed: \(grid.stderr)")
        let ids = grid.stdout.split(separator: "\n").compactMap { Int($0) }
        try #require(ids.count == 2, "\(grid.stdout)")
        #expect(grid.stderr.contains("queued group \(ids[0]), a run per cell: left (\(ids[0])), right (\(ids[1]))"))
        #expect(grid.stderr.contains("left (run \(ids[0])) passed") && grid.stderr.contains("right (run \(ids[1])) failed"))

        let rerun = try await server.remote(["rerun", "--group", "\(ids[0])"], token: token)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let again = try #require(Int(rerun.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(rerun.stdout)")
        #expect(rerun.stderr.contains("queued again in group \(ids[0]): right (\(again))"))
        let one = try await server.remote(["trigger", "demo/grid", "--cell", "left", "-f"], token: token)
        #expect(one.status == 0 && one.stdout.contains("left side"), "one cell's log is followed: \(one.stdout) \(one.stderr)")
    }

    @Test func aTeamTriggersFollowsAndCancelsRunsOnARealServer() async throws {
        let sandbox = try makeSandbox()
        defer { sandbox.remove() }
        let created = try await sandbox.hangar(["token", "create", "--role", "operator", "--name", "test"])
        #expect(created.status == 0, "\(created.stderr)")
        let token = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("hgr_"))
        let server = try await Server(sandbox)
        defer { server.process.terminate() }
        try await server.waitUntilUp()

        // A real VM through the embedded worker, followed live.
        let run = try await server.remote(["trigger", "demo/vm", "--param", "GREETING=hi", "-f"], token: token)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("hi from Linux in the guest"))
        #expect(run.stderr.contains("passed"))
        let id = try #require(run.stdout.split(separator: "\n").first.flatMap { Int($0) })
        let list = try await server.remote(["runs", "--state", "passed"], token: token)
        #expect(list.stdout.contains("\(id)"))
        #expect(list.stdout.contains("vm"))
        #expect(sandbox.qemuProcesses().isEmpty)

        // The web UI, signed in with the token's cookie.
        let page = try await server.fetch("/runs/\(id)", cookie: "hangar_token=\(token)")
        #expect(page.contains("hi from Linux in the guest"))
        #expect(page.contains(#"<span class="state passed" id="state">passed</span>"#))
        #expect(page.contains("machine.boot"))

        // A bad token is refused, with the way out.
        let refused = try await server.remote(["runs"], token: "hgr_nope")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("401"))

        // Cancel a running run; its log says so.
        let slow = try await server.remote(["trigger", "demo/slow"], token: token)
        let slowID = try #require(Int(slow.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        while !(try await server.remote(["logs", "\(slowID)"], token: token)).stdout.contains("waiting") {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try await server.remote(["cancel", "\(slowID)"], token: token).status == 0)
        let followed = try await server.remote(["logs", "\(slowID)", "-f"], token: token)
        #expect(followed.status == 130)
        #expect(followed.stderr.contains("cancelled"))

        // Off a terminal the server logs JSON lines.
        let log = try String(contentsOfFile: server.errors, encoding: .utf8)
        #expect(log.split(separator: "\n").contains { $0.hasPrefix("{") && $0.contains(#""label":"hangar.server""#) })
    }

    @Test func sigtermCancelsRunningRunsAndARestartKeepsEverything() async throws {
        let sandbox = try makeSandbox()
        defer { sandbox.remove() }
        let token = try await sandbox.hangar(["token", "create", "--role", "operator"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var server = try await Server(sandbox)
        try await server.waitUntilUp()
        let slow = try await server.remote(["trigger", "demo/slow"], token: token)
        let id = try #require(Int(slow.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        while !(try await server.remote(["logs", "\(id)"], token: token)).stdout.contains("waiting") { try await Task.sleep(for: .milliseconds(100)) }
        // A browser follows the run's live log, and a second run waits for a slot (capacity 2: one more is free, so two).
        let follower = try await TestProcess.start(
            ["curl", "-sN", "-H", "Authorization: Bearer \(token)", "\(server.url)/api/v1/runs/\(id)/log/live"],
            log: "\(sandbox.root)/follower.log"
        )
        _ = try await server.remote(["trigger", "demo/slow"], token: token)
        while try !String(contentsOfFile: follower.log, encoding: .utf8).contains("waiting") { try await Task.sleep(for: .milliseconds(50)) }
        // The live log does not hold the shutdown until its run ends (the run sleeps a minute): it is cancelled.
        let signalled = ContinuousClock.now
        server.process.signal(SIGTERM)
        #expect(await server.process.wait() == 0, "\((try? String(contentsOfFile: server.errors, encoding: .utf8)) ?? "")")
        #expect(ContinuousClock.now - signalled < .seconds(30))
        #expect(await follower.wait() == 0, "the stream ended cleanly")

        server = try await Server(sandbox)
        defer { server.process.terminate() }
        try await server.waitUntilUp()
        let list = try await server.remote(["runs", "--json"], token: token)
        #expect(list.stdout.contains(#""state":"cancelled""#), "\(list.stdout)")
        #expect(try await server.remote(["logs", "\(id)"], token: token).stdout.contains("waiting"))

        // A crash (SIGKILL) mid-run: the restarted server runs it again as attempt 2 (the job's default `retries: 1`).
        let again = try await server.remote(["trigger", "demo/slow"], token: token)
        let crashed = try #require(Int(again.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        while !(try await server.remote(["logs", "\(crashed)"], token: token)).stdout.contains("waiting") {
            try await Task.sleep(for: .milliseconds(100))
        }
        server.process.signal(SIGKILL)
        await server.process.wait()
        server = try await Server(sandbox)
        try await server.waitUntilUp()
        #expect(try String(contentsOfFile: server.errors, encoding: .utf8).contains("gave up 1 run(s) to run again"))
        var attempt = try await server.remote(["runs", "--json", "--state", "running"], token: token).stdout
        while !attempt.contains(#""attempt":2"#) {
            try await Task.sleep(for: .milliseconds(100))
            attempt = try await server.remote(["runs", "--json", "--state", "running"], token: token).stdout
        }
        #expect(attempt.contains(#""id":\#(crashed)"#))
        #expect(try await server.remote(["cancel", "\(crashed)"], token: token).status == 0)
    }

    /// Thousands of null runs (each starts a shell) through a real server at a capacity of 4: every
    /// one passes and the server is still up. Foundation's Process crashed such a server about once
    /// in four bursts.
    @Test func aBurstOfNullRunsAllPassAndTheServerStaysUp() async throws {
        let sandbox = try makeSandbox()
        defer { sandbox.remove() }
        let token = try await sandbox.hangar(["token", "create", "--role", "operator"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try await Server(sandbox, capacity: 4)
        defer { server.process.terminate() }
        try await server.waitUntilUp()
        let outcome = try await server.burst("demo/null", count: 2000, token: token)
        #expect(outcome.queued == 2000)
        #expect(outcome.states == ["passed": 2000])
        #expect(server.process.isRunning)
        #expect(try await server.fetch("/healthz") == "ok\n\n")
    }

    /// The demo's known issue (scripts/serve-demo.sh): a VM run whose log matches a signature of the
    /// signatures folder is labelled with its issue and line, retried once, and a recheck names it.
    @Test func aKnownFailureInAVMRunIsLabelledRetriedAndNamedByARecheck() async throws {
        let sandbox = try makeSandbox()
        defer { sandbox.remove() }
        let signatures = "\(sandbox.root)/signatures"
        try FileManager.default.createDirectory(atPath: signatures, withIntermediateDirectories: true)
        try """
        kind: infrastructure
        pattern: 'Could not resolve host: deb\\.debian\\.org'
        issue: https://tracker.example.org/issues/1
        retries: 1
        delay: 0s
        """.write(toFile: "\(signatures)/mirror-down.yml", atomically: true, encoding: .utf8)
        let token = try await sandbox.hangar(["token", "create", "--role", "operator"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try await Server(sandbox, arguments: ["--name", "test", "--signatures", signatures])
        defer { server.process.terminate() }
        try await server.waitUntilUp()

        let failed = try await server.remote(["trigger", "demo/offline", "-f"], token: token)
        #expect(failed.status == 1, "\(failed.stderr)")
        let id = try #require(failed.stdout.split(separator: "\n").first.flatMap { Int($0) })
        struct Detail: Decodable {
            struct Match: Decodable {
                var signature: String
                var issue: String?
                var line: Int
            }
            var matches: [Match]
            var retriedAs: Int?
            var cause: String?
        }
        let detail = try JSONDecoder().decode(Detail.self, from: Data(try await server.call("GET", "/api/v1/runs/\(id)", token: token).body.utf8))
        #expect(detail.matches.map(\.signature) == ["mirror-down"])
        #expect(detail.matches.first?.issue == "https://tracker.example.org/issues/1")
        let retry = try #require(detail.retriedAs)
        // Following the run followed its retry too, and said why.
        #expect(
            failed.stderr.contains(
                "run \(id) failed (known issue 'mirror-down', infrastructure, https://tracker.example.org/issues/1); retrying as run \(retry)"
            ),
            "\(failed.stderr)"
        )
        #expect(failed.stderr.contains("run \(retry) failed"))
        let followed = try await server.remote(["logs", "\(retry)", "-f"], token: token)
        #expect(followed.status == 1 && followed.stdout.contains("Could not resolve host"))
        let retried = try JSONDecoder().decode(Detail.self, from: Data(try await server.call("GET", "/api/v1/runs/\(retry)", token: token).body.utf8))
        #expect(retried.cause == "automatic retry 1 of 1 of #\(id): infrastructure 'mirror-down'" && retried.retriedAs == nil)
        #expect(sandbox.qemuProcesses().isEmpty)

        let page = try await server.fetch("/runs/\(id)", cookie: "hangar_token=\(token)")
        let line = try #require(detail.matches.first?.line) + 1
        #expect(page.contains("Known issue") && page.contains("<a href=\"#L\(line)\">line \(line)</a>"))
        #expect(page.contains("<span class=\"line\" id=\"L\(line)\"><a class=\"ln\" href=\"#L\(line)\">\(line)</a><span class=\"at\">"))
        #expect(page.contains("</span>E: Failed to fetch"))

        let recheck = try await server.remote(["rerun", "\(retry)"], token: token)
        #expect(recheck.status == 0)
        #expect(recheck.stderr.contains("its failure matched infrastructure 'mirror-down' (https://tracker.example.org/issues/1)"))
    }

    /// A notification that a shutdown cuts off (its webhook never answers) is neither a failure nor
    /// lost: the server stops at once, says nothing of it, and it is still to be sent after the restart.
    @Test func aNotificationCutOffByTheShutdownIsLeftForTheNextStart() async throws {
        let sandbox = try Sandbox("")
        defer { sandbox.remove() }
        let port = PortPicker.freePort()
        let listen = """
            import socket, sys
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); held = []
            while True:
                held.append(s.accept()); print("accepted", flush=True)
            """
        let silent = try await TestProcess.start(["python3", "-c", listen, "\(port)"], log: "\(sandbox.root)/silent.log")
        defer { silent.terminate() }
        let project = try sandbox.serverProject()
        try "notify: { when: [failed], webhook: 'http://127.0.0.1:\(port)/hook' }\njobs:\n  fail: { tasks: [{ host: 'exit 1' }] }\n"
            .write(toFile: "\(project)/hangar.yml", atomically: true, encoding: .utf8)
        let token = try await sandbox.hangar(["token", "create", "--role", "operator"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        struct Notification: Decodable {
            var attempts: Int
            var sentAt: Double?
            var lastError: String?
        }
        func notifications(_ server: Server) async throws -> [Notification] {
            try JSONDecoder().decode(
                [Notification].self,
                from: Data(try await server.call("GET", "/api/v1/runs/1/notifications", token: token).body.utf8)
            )
        }
        let server = try await Server(sandbox)
        defer { server.process.terminate() }
        try await server.waitUntilUp()
        #expect(try await server.remote(["trigger", "demo/fail", "-f"], token: token).status == 1)
        // Two connections: the probe that something listens there, then the post itself.
        try await eventually("the webhook's receiver took the post's connection", within: .seconds(10)) {
            silent.output().components(separatedBy: "accepted").count > 2
        }
        server.process.signal(SIGTERM)
        try await eventually("the server stopped", within: .seconds(5)) { !server.process.isRunning }
        #expect(await server.process.wait() == 0)
        #expect(!server.process.output().contains("notification"), "\(server.process.output())")

        let again = try await Server(sandbox)
        defer { again.process.terminate() }
        try await again.waitUntilUp()
        let left = try await notifications(again)
        #expect(left.count == 1 && left.first?.sentAt == nil && left.first?.attempts == 0 && left.first?.lastError == nil)
    }

    /// `--image-proxy` serves remote workers only: a server that runs jobs itself says so.
    @Test func anImageProxyBesideTheEmbeddedWorkerIsNoticed() async throws {
        let sandbox = try Sandbox("")
        defer { sandbox.remove() }
        try FileManager.default.createDirectory(atPath: "\(sandbox.root)/projects", withIntermediateDirectories: true)
        let server = try await Server(sandbox, arguments: ["--name", "test", "--image-proxy"])
        defer { server.process.terminate() }
        try await server.waitUntilUp()
        #expect(server.process.output().contains("only remote workers ('hangar worker') fetch images through it"), "\(server.process.output())")
        let quiet = try await Server(sandbox, arguments: ["--name", "other", "--image-proxy", "--no-worker"])
        defer { quiet.process.terminate() }
        try await quiet.waitUntilUp()
        #expect(!quiet.process.output().contains("only remote workers"), "\(quiet.process.output())")
    }
}
