import ArgumentParser
import Foundation
import HangarMachine
import HangarServer
import HangarStore
import Hummingbird

/// The database options `serve` and `token` share.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "The SQLite database file (default: hangar.db in the state folder).")
    var database: String?

    /// Opens (and migrates) the store.
    func open() async throws -> RunStore {
        let paths = HangarPaths.fromEnvironment()
        try FileManager.default.createDirectory(atPath: paths.state, withIntermediateDirectories: true)
        return try await RunStore.openSQLite(path: database ?? "\(paths.state)/hangar.db")
    }
}

/// Runs `body` with `store`, closing it afterwards whatever happens.
func withStore<T>(_ store: RunStore, _ body: () async throws -> T) async throws -> T {
    do {
        let result = try await body()
        try await store.close()
        return result
    } catch {
        try? await store.close()
        throw error
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the CI server: web UI, REST API (/api/v1, described at /api/v1/openapi.json) and an embedded worker.",
        discussion:
            "Every route but /healthz, /readyz, /metrics and webhooks needs a token ('hangar token create') unless --anonymous-read opens reading."
    )

    @Option(help: "The projects folder: one subfolder with a hangar.yml per project.")
    var projects = "projects"

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8400

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Let anyone read runs, logs, projects and machines without a token.")
    var anonymousRead = false

    @Option(help: "Runs at once (default: one per CPU, at most one per 2 GiB of memory).")
    var capacity: Int?

    @Flag(help: "On SIGTERM, let running runs finish instead of cancelling them.")
    var finishOnShutdown = false

    func run() async throws {
        JSONLogHandler.bootstrap()
        let store = try await database.open()
        try await withStore(store) {
            // Runs a previous server was running when it stopped are retried per their job's `retries:`.
            let requeued = try await store.recoverInterrupted()
            if requeued > 0 { Terminal.note("requeued \(requeued) run(s) interrupted by the last shutdown") }
            var configuration = HangarServer.Configuration(
                projects: URL(fileURLWithPath: projects).standardizedFileURL.path,
                paths: .fromEnvironment()
            )
            configuration.host = host
            configuration.port = port
            configuration.anonymousRead = anonymousRead
            configuration.capacity = max(1, capacity ?? configuration.capacity)
            configuration.finishOnShutdown = finishOnShutdown
            try await HangarServer.application(configuration, store: store).runService()
        }
    }
}
