public import Hummingbird
public import HangarMachine
public import HangarStore

/// `hangar serve`: the API and the embedded worker over one store.
public enum HangarServer {
    /// Settings of the server.
    public struct Configuration: Sendable {
        /// Listen address; default 127.0.0.1.
        public var host = "127.0.0.1"
        /// Listen port; default 8400.
        public var port = 8400
        /// The folder of projects, one subfolder with a hangar.yml each.
        public var projects: String
        /// Cache and state folders for the embedded worker's machines.
        public var paths: HangarPaths

        /// Defaults for everything but the projects folder.
        public init(projects: String, paths: HangarPaths) {
            self.projects = projects
            self.paths = paths
        }
    }

    /// The application: router plus the dispatcher as a service.
    public static func application(_ configuration: Configuration, store: RunStore) -> some ApplicationProtocol {
        let catalog = ProjectCatalog(folder: configuration.projects, paths: configuration.paths)
        let (wakeUp, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let active = ActiveRuns()
        let router = API.router(store: store, catalog: catalog, active: active) { signal.yield() }
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            services: [Dispatcher(store: store, catalog: catalog, wakeUp: wakeUp, tick: signal, active: active)]
        )
    }
}
