import Foundation
import HangarAPI
import HangarCore
import HangarMachine
import HangarServer
import HangarStore
import HangarTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

/// A server over a real SQLite store and a real projects folder, driven through its real router.
struct ServerHarness {
    /// More projects by name, besides `demo` and `broken`.
    var extra: [String: String] = [:]
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-server-\(UUID().uuidString.prefix(8))").path

    static let demo = """
        machines:
          default: { image: ./none.qcow2 }
        jobs:
          null: { tasks: [{ host: "true" }] }
          hello: { tasks: [{ host: "echo hello from the host" }, { host: "exit 4" }] }
          sleepy: { tasks: [{ host: "echo sleeping; sleep 60" }] }
          greet:
            parameters:
              WHO: { required: true, description: the one to greet }
              HOW: { default: Hello }
            tasks: [{ host: 'echo "$HOW, $WHO"' }]
          report: { tasks: [{ host: 'mkdir -p "$HANGAR_RUN_DIR/artifacts/logs" && echo all good > "$HANGAR_RUN_DIR/artifacts/logs/report.txt"' }] }
          count: { tasks: [{ host: 'for i in 1 2 3; do echo line $i; sleep 0.2; done' }] }
          results: { tasks: [{ host: 'mkdir -p "$HANGAR_RUN_DIR/artifacts" && cp results.json "$HANGAR_RUN_DIR/artifacts/hangar-results.json"' }] }
        """

    /// What `collect` writes for a JUnit file with a passing and a failing test.
    static let results = TestResults(
        tests: [
            TestCase(name: "demo.ok", status: .pass, duration: 0.4, file: "report.xml"),
            TestCase(name: "demo.broken", status: .fail, duration: 1.5, output: "expected 4\ngot 3", file: "report.xml"),
        ],
        problems: ["other.xml:1:1: not well-formed XML: the file is empty or not XML"]
    )

    var projects: String { "\(root)/projects" }

    func makeProjects() throws {
        try FileManager.default.createDirectory(atPath: "\(projects)/demo", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(projects)/broken", withIntermediateDirectories: true)
        try Self.demo.write(toFile: "\(projects)/demo/hangar.yml", atomically: true, encoding: .utf8)
        try JSONEncoder().encode(Self.results).write(to: URL(fileURLWithPath: "\(projects)/demo/results.json"))
        try "machines:\n  default:\n    memroy: 2G\n".write(toFile: "\(projects)/broken/hangar.yml", atomically: true, encoding: .utf8)
        for (name, text) in extra {
            try FileManager.default.createDirectory(atPath: "\(projects)/\(name)", withIntermediateDirectories: true)
            try text.write(toFile: "\(projects)/\(name)/hangar.yml", atomically: true, encoding: .utf8)
        }
    }

    var configuration: HangarServer.Configuration {
        HangarServer.Configuration(projects: projects, paths: HangarPaths(cache: "\(root)/cache", state: "\(root)/state"))
    }

    /// Settings a test changes from the defaults.
    struct Options {
        var capacity: Int?
        var anonymousRead = false
        var environment: [String: String] = [:]
        var publicURL: String?
        /// The server's signatures folder.
        var signatures: String?
        /// The SMTP server notifications go through.
        var smtp: String?
        /// The clock the periodic watchers wait on (a `ManualClock` moves them on at once).
        var clock: (any Clock<Duration>)?
        /// The store's time (nil: the real one).
        var time: TestClock?
        /// False: no embedded worker; the test is the worker, over the worker API.
        var embeddedWorker = true
    }

    /// Runs `body` with a client whose requests carry a token of `role` (nil: no token).
    func run(
        role: Role? = .operator,
        options: Options = Options(),
        _ body: @escaping @Sendable (Client) async throws -> Void
    ) async throws {
        try makeProjects()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let time = options.time
        let store = try await RunStore.open(.sqlite(path: "\(root)/hangar.db")) { time?.now ?? Date().timeIntervalSince1970 }
        var configured = configuration
        configured.capacity = options.capacity ?? configured.capacity
        configured.anonymousRead = options.anonymousRead
        configured.environment = options.environment
        configured.publicURL = options.publicURL
        configured.signatures = options.signatures
        configured.smtp = options.smtp
        configured.embeddedWorker = options.embeddedWorker
        if let clock = options.clock { configured.clock = clock }
        let settings = configured
        let outcome: Result<Void, any Error>
        do {
            let tokens = Tokens(
                viewer: try await store.createToken(name: "v", role: .viewer).secret,
                operator: try await store.createToken(name: "o", role: .operator).secret,
                admin: try await store.createToken(name: "a", role: .admin).secret,
                worker: try await store.createToken(name: "w", role: .worker).secret
            )
            try await HangarServer.application(settings, store: store).test(.router) { client in
                try await body(Client(client: client, tokens: tokens, token: role.map { tokens[$0] }, runs: "\(settings.paths.state)/runs"))
            }
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        // Closed in a task of its own, whatever happened: this one may have been cancelled (a time
        // limit), and an SQLite connection that is not closed stops the whole test process.
        try await Task { try await store.close() }.value
        try outcome.get()
    }
}

/// One secret per role.
struct Tokens: Sendable {
    var viewer: String
    var `operator`: String
    var admin: String
    var worker: String

    subscript(role: Role) -> String {
        switch role {
        case .viewer: viewer
        case .operator: self.operator
        case .admin: admin
        case .worker: worker
        }
    }
}

/// The test client with a default token and JSON helpers.
struct Client: Sendable {
    let client: any TestClientProtocol
    let tokens: Tokens
    let token: String?
    /// The server's run folders.
    let runs: String

    @discardableResult
    func call(
        _ method: HTTPRequest.Method,
        _ uri: String,
        body: String? = nil,
        token: String?? = nil,
        headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        var fields = headers
        if let secret = token ?? self.token { fields[.authorization] = "Bearer \(secret)" }
        return try await client.execute(uri: uri, method: method, headers: fields, body: body.map { ByteBuffer(string: $0) })
    }

    func json<T: Decodable>(_ type: T.Type, _ uri: String, method: HTTPRequest.Method = .get, body: String? = nil) async throws -> T {
        let response = try await call(method, uri, body: body)
        return try JSONDecoder().decode(T.self, from: Data(String(buffer: response.body).utf8))
    }

    func trigger(_ job: String, project: String = "demo", body: String? = nil) async throws -> API.Run {
        try await json(API.Run.self, "/api/v1/projects/\(project)/jobs/\(job)/runs", method: .post, body: body)
    }

    /// Signs in through the login form as `token` and returns the cookie header it set.
    func signIn(as token: String) async throws -> HTTPFields {
        let response = try await call(
            .post,
            "/login",
            body: "token=\(token)&next=%2Fruns",
            token: .some(nil),
            headers: [.contentType: "application/x-www-form-urlencoded"]
        )
        #expect(response.status == .seeOther)
        #expect(response.headers[.location] == "/runs")
        let cookie = try #require(response.headers[.setCookie])
        #expect(cookie.contains("HttpOnly"))
        return [.cookie: String(cookie.split(separator: ";")[0])]
    }

    func state(_ id: Int) async throws -> RunState { try await json(API.Run.self, "/api/v1/runs/\(id)").state }

    /// Waits until run `id` has ended.
    func waitForEnd(_ id: Int) async throws -> API.Run {
        while true {
            let run = try await json(API.Run.self, "/api/v1/runs/\(id)")
            if run.state.isFinished { return run }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func runToEnd(_ job: String, body: String? = nil) async throws -> API.Run { try await waitForEnd(try await trigger(job, body: body).id) }
}
