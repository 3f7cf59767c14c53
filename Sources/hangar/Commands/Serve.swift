import ArgumentParser
import Foundation
import HangarAMQP
import HangarCore
import HangarMachine
import HangarServer
import HangarStore
import Hummingbird

/// The database options `serve` and `token` share.
struct DatabaseOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A SQLite file, or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require] (default: hangar.db in the state folder).",
            discussion: "Without a password in the URL, PGPASSWORD is used. Any number of servers may share one PostgreSQL database."
        )
    )
    var database: String?

    /// Opens (and migrates) the store.
    func open() async throws -> RunStore {
        let paths = HangarPaths.fromEnvironment()
        try FileManager.default.createDirectory(atPath: paths.state, withIntermediateDirectories: true)
        return try await RunStore.open(try DatabaseLocation(parsing: database ?? "\(paths.state)/hangar.db"))
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

    @Option(parsing: .unconditional, help: "Runs at once, 1 or more (default: one per CPU, at most one per 2 GiB of memory; --no-worker for none).")
    var capacity: Int?

    @Flag(help: "On SIGTERM, let running runs finish instead of cancelling them.")
    var finishOnShutdown = false

    @Flag(help: "Run no runs here: only 'hangar worker's take them.")
    var noWorker = false

    @Flag(help: "Fetch the images workers' runs boot into this server's cache and hand them on, so workers need no other network.")
    var imageProxy = false

    @Option(help: "The embedded worker's labels, such as kvm (it adds arch= itself).")
    var labels = ""

    @Option(help: "This server's name as the holder of runs; unique among servers sharing a database (default: HOST:PORT).")
    var name: String?

    @Option(
        help:
            "The address people and workers reach this server at: links in statuses and notifications, and where workers dial back tunnels (default: http://HOST:PORT)."
    )
    var publicURL: String?

    @Option(
        parsing: .unconditional,
        help: "Seconds a server holds a run without renewing its lease; a run whose server died is queued again after it."
    )
    var lease = 30.0

    @Option(help: "A folder of known-issue signatures, one YAML file each (see docs/triage.md); read again when a file changes.")
    var signatures: String?

    @Option(help: "HOST:PORT of the SMTP server that e-mail notifications (a project's notify: email:) go through.")
    var smtp: String?

    @Option(help: "The address notifications come from (default: hangar@HOSTNAME).")
    var mailFrom: String?

    @Option(
        help: ArgumentHelp(
            "An AMQP message bus to take build events from: amqp[s]://USER:PASSWORD@HOST[:PORT][/VHOST] (openSUSE's: amqps://opensuse:opensuse@rabbit.opensuse.org).",
            discussion: "Jobs with 'obs:' and 'amqp:' triggers start on its messages."
        )
    )
    var bus: String?

    @Option(help: "The bus exchange the events are published to (it must exist).")
    var busExchange = "pubsub"

    @Option(help: "The routing keys' prefix of the build service's events.")
    var busPrefix = "opensuse.obs"

    @Option(help: "The durable queue this installation's servers share on the bus.")
    var busQueue = "hangar"

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port \(port) is not a port: use 1 to 65535") }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: projects, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("--projects \(projects) is not a folder: make one, with a subfolder holding a hangar.yml for each project")
        }
        if let publicURL, !(publicURL.hasPrefix("http://") || publicURL.hasPrefix("https://")) {
            throw ValidationError("--public-url \(publicURL) is not an http:// or https:// address, such as https://ci.example.org")
        }
        if let smtp, smtp.split(separator: ":").count != 2 || !(1...65535).contains(Int(smtp.split(separator: ":").last ?? "") ?? 0) {
            throw ValidationError("--smtp \(smtp) is not HOST:PORT with a port from 1 to 65535, such as mail.example.org:25")
        }
        if let mailFrom, mailFrom.range(of: #"^[^@\s<>]+@[^@\s<>]+$"#, options: .regularExpression) == nil {
            throw ValidationError("--mail-from '\(mailFrom)' is not an e-mail address such as hangar@ci.example.org")
        }
        if let capacity, capacity < 1 {
            throw ValidationError("--capacity \(capacity) is not a number of runs: use 1 or more (--no-worker runs none here)")
        }
        _ = try Labels.parse(labels, option: "--labels")
        guard lease >= 1 else { throw ValidationError("--lease \(lease) is too short: use at least 1 second") }
        if let bus {
            do {
                _ = try AMQPURL(parsing: bus)
            } catch {
                throw ValidationError("--bus: \(error.message)")
            }
        }
    }

    func run() async throws {
        if host.split(separator: ".").count == 4, !PortPicker.isFree(port, host: host) {
            throw HangarError.usage(
                .servePort,
                "port \(port) on \(host) is in use by another program",
                hint: "stop it, or choose another port with --port"
            )
        }
        JSONLogHandler.bootstrap()
        // The runs' host tasks may run a pull request's code: they never see the database's password
        // (nor a forge's token or webhook secret: `ProjectCatalog` withholds those it reads).
        Command.withhold(["PGPASSWORD", "HANGAR_TOKEN"])
        let store = try await database.open()
        try await withStore(store) {
            var configuration = HangarServer.Configuration(
                projects: URL(fileURLWithPath: projects).standardizedFileURL.path,
                paths: .fromEnvironment()
            )
            configuration.host = host
            configuration.port = port
            configuration.anonymousRead = anonymousRead
            configuration.capacity = max(1, capacity ?? configuration.capacity)
            configuration.finishOnShutdown = finishOnShutdown
            configuration.identity = name
            configuration.publicURL = publicURL
            configuration.embeddedWorker = !noWorker
            configuration.imageProxy = imageProxy
            configuration.workerLabels = try Labels.parse(labels, option: "--labels")
            configuration.lease = .milliseconds(Int(lease * 1000))
            configuration.smtp = smtp
            if let mailFrom { configuration.mailFrom = mailFrom }
            configuration.signatures = signatures.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            if let bus {
                var settings = BusSettings(url: try AMQPURL(parsing: bus))
                settings.exchange = busExchange
                settings.prefix = busPrefix
                settings.queue = busQueue
                configuration.bus = settings
            }
            try await HangarServer.serve(configuration, store: store)
        }
    }
}
