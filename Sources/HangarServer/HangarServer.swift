import Foundation
import HangarCore
public import HangarMachine
public import HangarStore
import HangarWorker
public import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
public import Logging
public import ServiceLifecycle

/// `hangar serve`: the API, the web UI, webhooks, the scheduler and the embedded worker over one store.
public enum HangarServer {
    /// Settings of the server.
    public struct Configuration: Sendable {
        /// Listen address; default 127.0.0.1.
        public var host = "127.0.0.1"
        /// Listen port; default 8400.
        public var port = 8400
        /// The folder of projects, one subfolder with a hangar.yml each.
        public var projects: String
        /// Cache and state folders for the embedded worker's machines; run folders go to `<state>/runs`.
        public var paths: HangarPaths
        /// Let anyone read (runs, logs, projects, machines) without a token.
        public var anonymousRead = false
        /// Runs at once on this host; default from its CPUs and memory (`HostResources.slots()`).
        public var capacity = HostResources.slots()
        /// Run queued runs here too (the embedded worker); without it, only `hangar worker`s run them.
        public var embeddedWorker = true
        /// The embedded worker's labels (it adds `arch=…` itself).
        public var workerLabels: [String] = []
        /// Fetch the images remote workers' runs boot, so workers need no other network.
        public var imageProxy = false
        /// On SIGTERM, let running runs finish instead of cancelling them.
        public var finishOnShutdown = false
        /// The address people and workers reach the server at: links in commit statuses, and where
        /// workers dial back tunnels; default `http://HOST:PORT` (`publicAddress`).
        public var publicURL: String?
        /// `publicURL`, or its default.
        public var publicAddress: String { publicURL ?? "http://\(host):\(port)" }
        /// This replica's name as the holder of runs: unique among the replicas on one database, and the
        /// same after a restart (so it requeues at once the runs it held). Default `HOST:PORT`.
        public var identity: String?
        /// How long a replica holds a run without renewing its lease; a run whose replica died is
        /// queued again after it. Default 30 s.
        public var lease: Duration = .seconds(30)
        /// The signatures folder: one YAML file per known issue (`Signature`); none by default.
        public var signatures: String?
        /// `HOST:PORT` of the SMTP server that e-mail notifications go through; none by default.
        public var smtp: String?
        /// The message bus to take build events from (`--bus`); nil: none.
        public var bus: BusSettings?
        /// The address notifications come from.
        public var mailFrom = "hangar@\(ProcessInfo.processInfo.hostName)"
        /// Where webhook secrets and forge tokens are read from (the process environment by default).
        public var environment = ProcessInfo.processInfo.environment
        public var logger = Logger(label: "hangar.server")
        /// The clock the server's loops wait on between looks: the project reloader, the signatures
        /// folder, the notifications, the lease reaper, the waiting reasons, the scheduler, the bus
        /// listener's retries and the placed tasks' waits (a test's `ManualClock` moves them on
        /// without waiting). A worker's long poll and a live log's stall limit are the network's
        /// time and stay on the real clock; the embedded worker has its own (`WorkerAgent.Configuration.clock`).
        public var clock: any Clock<Duration> = ContinuousClock()

        /// Defaults for everything but the projects folder.
        public init(projects: String, paths: HangarPaths) {
            self.projects = projects
            self.paths = paths
        }
    }

    /// The router and the background services, sharing one catalog, one queue signal and one store.
    public static func parts(
        _ configuration: Configuration,
        store: RunStore
    ) -> (router: Router<ServerContext>, services: [(name: String, service: any Service)]) {
        let catalog = ProjectCatalog(folder: configuration.projects, paths: configuration.paths)
        let queue = QueueSignal()
        let (updates, statuses) = AsyncStream<StatusUpdate>.makeStream()
        let metrics = ServerMetrics()
        let publicURL = configuration.publicAddress
        let events = RunEvents(
            catalog: catalog,
            publicURL: publicURL,
            metrics: metrics,
            logger: configuration.logger,
            environment: configuration.environment,
            statuses: statuses
        )
        let runsFolder = "\(configuration.paths.state)/runs"
        let identity = configuration.identity ?? "\(ProcessInfo.processInfo.hostName):\(configuration.port)"
        let control = RunControl(store: store, catalog: catalog, events: events) { queue.notify() }
        let triage = Triage(store: store, queued: { control.queued([$0]) }, logger: configuration.logger)
        let shutdown = ShutdownSignal()
        // Well within both the time a worker is online after its last write and a lease (after a
        // lease of silence its name may be taken).
        let beats = HeartbeatCache(refresh: min(WorkerList.onlineWithin / 2, configuration.lease.seconds / 3))
        let kept = KeptControl(store: store, beats: beats)
        let coordinator = RunCoordinator(
            store: store,
            catalog: catalog,
            events: events,
            queue: queue,
            lease: configuration.lease,
            runsFolder: runsFolder,
            imageProxy: configuration.imageProxy ? ImageCache(root: configuration.paths.cache) : nil,
            triage: triage,
            notifier: Notifier(store: store, catalog: catalog, publicURL: publicURL),
            identity: identity,
            shutdown: shutdown,
            clock: configuration.clock,
            beats: beats
        )
        let machines = MachineRegistry(state: configuration.paths.state)
        let bus = configuration.bus.map { BusStatus(broker: "\($0.url)") }

        let router = Router(context: ServerContext.self)
        let table = RouteTable()
        router.add(middleware: PageErrors())
        router.add(middleware: RouteMiddleware(table: table))
        router.add(middleware: AuthMiddleware(store: store, anonymousRead: configuration.anonymousRead, table: table))
        APIRoutes(
            control: control,
            kept: kept,
            catalog: catalog,
            machines: machines,
            runsFolder: runsFolder,
            metrics: metrics,
            table: table,
            shutdown: shutdown,
            bus: bus
        )
        .add(to: router)
        WorkerRoutes(coordinator: coordinator, table: table).add(to: router)
        let tunnels = TunnelRoutes(
            store: store,
            kept: kept,
            table: table,
            broker: TunnelBroker(clock: configuration.clock),
            embeddedWorker: configuration.embeddedWorker ? identity : nil,
            publicURL: publicURL
        )
        tunnels.add(to: router)
        PortProxy(tunnels: tunnels, table: table).add(to: router)
        let signatureProblems = SignatureProblems()
        let signatures = SignatureRoutes(triage: triage, problems: signatureProblems, table: table)
        signatures.add(to: router)
        let webUI = WebUI(control: control, catalog: catalog, kept: kept, machines: machines, runsFolder: runsFolder, table: table, bus: bus)
        webUI.add(to: router)
        webUI.addTriagePages(to: router, signatures: signatures)
        webUI.addGroupPages(to: router)
        webUI.addQueuePages(to: router)
        let gate = GateEngine(
            control: control,
            catalog: catalog,
            environment: configuration.environment,
            publicURL: publicURL,
            logger: configuration.logger,
            identity: identity,
            clock: configuration.clock
        )
        Webhooks(
            control: control,
            catalog: catalog,
            gate: gate,
            metrics: metrics,
            logger: configuration.logger,
            environment: configuration.environment,
            table: table
        )
        .add(to: router)
        GateRoutes(store: store, catalog: catalog, table: table).add(to: router)

        var services: [(name: String, service: any Service)] = [
            ("the project reloader", ProjectReloader(catalog: catalog, clock: configuration.clock)),
            (
                "the queue watch",
                QueueWatch(store: store, interval: .seconds(1), clock: configuration.clock, queue: queue, logger: configuration.logger)
            ),
            ("the queue listener", QueueListener(store: store, queue: queue, clock: configuration.clock, logger: configuration.logger)),
            (
                "the lease reaper",
                LeaseReaper(
                    store: store,
                    interval: max(.seconds(1), configuration.lease / 3),
                    clock: configuration.clock,
                    wake: { queue.notify() },
                    logger: configuration.logger
                )
            ),
            (
                "the scheduler",
                Scheduler(control: control, catalog: catalog, logger: configuration.logger, identity: identity, clock: configuration.clock)
            ),
            ("the gate", gate),
            ("the waiting reasons", WaitingReasons(store: store, clock: configuration.clock, logger: configuration.logger)),
            ("the commit statuses", StatusReporter(updates: updates, store: store, logger: configuration.logger)),
            (
                "the notifications",
                NotificationSender(
                    notifications: store,
                    smtp: configuration.smtp,
                    mailFrom: configuration.mailFrom,
                    clock: configuration.clock,
                    logger: configuration.logger
                )
            ),
        ]
        if let settings = configuration.bus, let bus {
            let listener = BusListener(
                settings: settings,
                control: control,
                catalog: catalog,
                status: bus,
                metrics: metrics,
                logger: configuration.logger,
                identity: identity,
                clock: configuration.clock
            )
            services.append(("the bus listener", listener))
        }
        if let folder = configuration.signatures {
            services.append(
                (
                    "the signatures folder",
                    SignatureFolder(
                        folder: folder,
                        triage: triage,
                        problems: signatureProblems,
                        clock: configuration.clock,
                        logger: configuration.logger
                    )
                )
            )
        }
        if configuration.embeddedWorker {
            var worker = WorkerAgent.Configuration(name: identity, labels: configuration.workerLabels, paths: configuration.paths)
            worker.slots = configuration.capacity
            worker.finishOnShutdown = configuration.finishOnShutdown
            let agent = WorkerAgent(
                coordinator: LocalCoordinator(coordinator: coordinator, paths: configuration.paths),
                configuration: worker,
                logger: configuration.logger
            )
            services.append(("the embedded worker", agent))
        }
        // Last, so it hears a shutdown first: live logs end at once; then the worker stops taking runs.
        services.append(("the shutdown watch", ShutdownWatch(signal: shutdown, wake: { queue.notify() })))
        return (router, services)
    }

    /// Serves until SIGTERM or SIGINT. On the signal live logs end at once and the embedded worker
    /// stops taking runs, then the other services stop, then the HTTP server.
    public static func serve(_ configuration: Configuration, store: RunStore) async throws {
        // Every wrong file stops the start, each named; the folder's service keeps it read after.
        if let folder = configuration.signatures { try await store.replaceFileSignatures(try Signature.loadFolder(folder)) }
        if let bus = configuration.bus { try await BusListener.check(bus, logger: configuration.logger) }
        // The tunnels this replica carried in its last life ended with it (workers close their ends
        // when their connection to it breaks): their records say so.
        try await store.closeTunnels(carriedBy: configuration.publicAddress, reason: "the server that carried it stopped")
        if configuration.imageProxy, configuration.embeddedWorker {
            configuration.logger.notice(
                "--image-proxy: only remote workers ('hangar worker') fetch images through it; the embedded worker fetches its own"
            )
        }
        let (router, services) = parts(configuration, store: store)
        let server = Application(
            router: router,
            server: webSocketServer(router),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            logger: configuration.logger
        )
        try await ServiceRunner.run([("the HTTP server", server)] + services, logger: configuration.logger)
    }

    /// The application: router plus the background services (for tests, which run it in-process).
    public static func application(_ configuration: Configuration, store: RunStore) -> some ApplicationProtocol {
        let (router, services) = parts(configuration, store: store)
        return Application(
            router: router,
            server: webSocketServer(router),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            services: services.map(\.service),
            logger: configuration.logger
        )
    }

    /// HTTP/1.1 that upgrades the tunnels' requests to WebSockets (`TunnelRoutes`), through the same
    /// router: its middleware checks their tokens as any request's.
    private static func webSocketServer(_ router: Router<ServerContext>) -> HTTPServerBuilder {
        .http1WebSocketUpgrade(webSocketRouter: router, configuration: .init(ws: .init(maxFrameSize: Tunnel.maxFrameSize)))
    }
}
