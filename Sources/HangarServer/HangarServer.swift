import Foundation
public import Hummingbird
public import HangarMachine
public import HangarStore

/// `hangar serve`: the API, the web UI and the embedded worker over one store.
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
        /// Runs at once on this host; default from its CPUs and memory (`HostCapacity`).
        public var capacity = HostCapacity.runs()
        /// On SIGTERM, let running runs finish instead of cancelling them.
        public var finishOnShutdown = false

        /// Defaults for everything but the projects folder.
        public init(projects: String, paths: HangarPaths) {
            self.projects = projects
            self.paths = paths
        }
    }

    /// The router and the dispatcher service, sharing one catalog and one set of active runs.
    public static func parts(_ configuration: Configuration, store: RunStore) -> (router: Router<ServerContext>, dispatcher: Dispatcher) {
        let catalog = ProjectCatalog(folder: configuration.projects, paths: configuration.paths)
        let (wakeUp, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let active = ActiveRuns()
        let runsFolder = "\(configuration.paths.state)/runs"
        let control = RunControl(store: store, catalog: catalog, active: active) { signal.yield() }
        let router = Router(context: ServerContext.self)
        router.add(middleware: AuthMiddleware(store: store, anonymousRead: configuration.anonymousRead))
        router.get("healthz") { _, _ in "ok\n" }
        router.get("readyz") { _, _ -> Response in
            // Ready when the database answers.
            guard (try? await store.runs(limit: 1)) != nil else { return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "database unavailable\n"))) }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
        }
        let machines = MachineRegistry(state: configuration.paths.state)
        API(control: control, catalog: catalog, machines: machines, runsFolder: runsFolder).add(to: router)
        WebUI(control: control, catalog: catalog, machines: machines, runsFolder: runsFolder).add(to: router)
        let dispatcher = Dispatcher(store: store, catalog: catalog, wakeUp: wakeUp, tick: signal, active: active, runsFolder: runsFolder,
            capacity: configuration.capacity, finishOnShutdown: configuration.finishOnShutdown)
        return (router, dispatcher)
    }

    /// The application: router plus the dispatcher as a service.
    public static func application(_ configuration: Configuration, store: RunStore) -> some ApplicationProtocol {
        let (router, dispatcher) = parts(configuration, store: store)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            services: [dispatcher]
        )
    }
}

/// How many runs a host takes at once: one per CPU, and no more than one per 2 GiB of memory
/// (a TCG guest keeps a CPU busy; 2 GiB covers a 1 GiB guest plus QEMU and the run's tools).
public enum HostCapacity {
    public static func runs() -> Int {
        let memoryGiB = Int(ProcessInfo.processInfo.physicalMemory >> 30)
        return max(1, min(ProcessInfo.processInfo.activeProcessorCount, memoryGiB / 2))
    }
}
