import ArgumentParser
import Foundation
import HangarMachine
import HangarServer
import HangarStore
import Hummingbird

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the CI server: REST API and an embedded worker over a SQLite database.",
        discussion: "First slice: POST /api/v1/projects/P/jobs/J/runs, GET /api/v1/runs[/ID[/log]], GET /healthz."
    )

    @Option(help: "The projects folder: one subfolder with a hangar.yml per project.")
    var projects = "projects"

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8400

    @Option(help: "The SQLite database file (default: hangar.db in the state folder).")
    var database: String?

    func run() async throws {
        let paths = HangarPaths.fromEnvironment()
        try FileManager.default.createDirectory(atPath: paths.state, withIntermediateDirectories: true)
        let store = try await RunStore.openSQLite(path: database ?? "\(paths.state)/hangar.db")
        // Runs a previous server was running when it stopped get one more attempt.
        let requeued = try await store.recoverInterrupted(maxAttempts: 2)
        if requeued > 0 { Terminal.note("requeued \(requeued) run(s) interrupted by the last shutdown") }
        var configuration = HangarServer.Configuration(projects: URL(fileURLWithPath: projects).standardizedFileURL.path, paths: paths)
        configuration.host = host
        configuration.port = port
        do {
            try await HangarServer.application(configuration, store: store).runService()
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }
}
