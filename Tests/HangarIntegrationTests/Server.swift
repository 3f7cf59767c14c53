import Foundation
import HangarCore
import HangarMachine
import HangarTestSupport
import Testing

/// A running `hangar serve` in a sandbox: the real binary, on a free port, logging to a file.
final class Server: Sendable {
    let sandbox: Sandbox
    let process: BackgroundProcess
    let port: Int
    var errors: String { process.log }
    var url: String { "http://127.0.0.1:\(port)" }

    /// `hangar serve` with `arguments` after the projects folder and port; its name (the holder of its
    /// runs) is `test` unless `arguments` say otherwise, so a restart finds the runs it held.
    init(
        _ sandbox: Sandbox,
        capacity: Int = 2,
        port: Int = PortPicker.freePort(),
        arguments: [String] = ["--name", "test"],
        environment: [String: String] = [:]
    ) async throws {
        self.sandbox = sandbox
        self.port = port
        process = try await TestProcess.start(
            [
                "\(packageRoot)/.build/debug/hangar", "serve", "--projects", "\(sandbox.root)/projects", "--port", "\(port)", "--capacity",
                "\(capacity)",
            ]
                + arguments,
            log: "\(sandbox.root)/serve-\(port).log",
            environment: ["HANGAR_STATE_DIR": sandbox.state, "HANGAR_CACHE_DIR": sandbox.cache].merging(environment) { $1 }
        )
    }

    /// Waits until /healthz answers.
    func waitUntilUp() async throws {
        for _ in 0..<300 {
            if (try? await fetch("/healthz"))?.contains("ok") == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the server did not come up: \((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")")
    }

    /// GETs `path` like a browser, with an optional cookie.
    func fetch(_ path: String, cookie: String? = nil) async throws -> String {
        let script =
            "import urllib.request,sys; r=urllib.request.Request(sys.argv[1]); "
            + (cookie.map { "r.add_header('Cookie', '\($0)'); " } ?? "") + "print(urllib.request.urlopen(r).read().decode())"
        let result = try await Command.run(["python3", "-c", script, url + path])
        guard result.status == 0 else { throw HangarError(.testFetch, "GET \(path) failed: \(result.stderr)") }
        return result.stdout
    }

    /// Sends `method` to `path` with a bearer token (Tests/Fixtures/call.py); the status and body.
    func call(_ method: String, _ path: String, token: String, body: String = "", headers: [String] = []) async throws -> (status: Int, body: String)
    {
        let result = try await Command.run(["python3", "\(packageRoot)/Tests/Fixtures/call.py", method, url + path, token, body] + headers)
        guard result.status == 0, let newline = result.stdout.firstIndex(of: "\n"), let status = Int(result.stdout[..<newline]) else {
            throw HangarError(.testCall, "\(method) \(path) failed: \(result.stderr)")
        }
        return (status, String(result.stdout[result.stdout.index(after: newline)...]))
    }

    /// Queues `count` runs of `job` (`project/job`) at once and waits for them all to end
    /// (Tests/Fixtures/burst.py): how many were queued, and how many ended in each state.
    func burst(_ job: String, count: Int, token: String) async throws -> (queued: Int, states: [String: Int]) {
        let result = try await Command.run(["python3", "\(packageRoot)/Tests/Fixtures/burst.py", url, token, job, "\(count)"])
        guard result.status == 0 else { throw HangarError(.testBurst, "burst.py failed: \(result.stderr)") }
        struct Outcome: Decodable {
            var queued: Int
            var states: [String: Int]
        }
        let outcome = try JSONDecoder().decode(Outcome.self, from: Data(result.stdout.utf8))
        return (outcome.queued, outcome.states)
    }

    func remote(_ arguments: [String], token: String?) async throws -> CommandResult {
        try await sandbox.hangar(["remote"] + arguments + ["--server", url] + (token.map { ["--token", $0] } ?? []))
    }
}
