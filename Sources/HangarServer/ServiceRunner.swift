import Foundation
import HangarCore
import HangarMachine
public import Logging
public import ServiceLifecycle
import Synchronization

/// Runs a process's services (`hangar serve`, `hangar worker`) until SIGTERM or SIGINT
/// (`ProcessSignals`), then shuts them down gracefully. A shutdown that takes more than a second
/// says which services it still waits for (a worker also says what its runs are doing), and again
/// every five seconds, so a slow stop is never a silent one.
public enum ServiceRunner {
    /// Runs `services` (each with the name the shutdown's notices use) until a signal and their end.
    public static func run(
        _ services: [(name: String, service: any Service)],
        logger: Logger,
        clock: any Clock<Duration> = ContinuousClock()
    ) async throws {
        let running = Running()
        let group = ServiceGroup(
            configuration: .init(services: services.map { Tracked(name: $0.name, base: $0.service, running: running) }, logger: logger)
        )
        let stopping = OnceFlag()
        let watch = Running.Watch()
        defer { watch.cancel() }
        try await ProcessSignals.handling {
            try await group.run()
        } onSignal: { number in
            let name = number == SIGINT ? "SIGINT" : "SIGTERM"
            guard !stopping.isSet else { return logger.notice("\(name): already stopping") }
            stopping.set()
            logger.notice("\(name): stopping")
            watch.start {
                await group.triggerGracefulShutdown()
                await say(running, logger: logger, clock: clock)
            }
        }
    }

    /// After one second, then every five: what the shutdown still waits for.
    private static func say(_ running: Running, logger: Logger, clock: any Clock<Duration>) async {
        let started = ContinuousClock.now
        var pause = Duration.seconds(1)
        while (try? await clock.sleep(for: pause)) != nil {
            let waiting = running.names
            guard !waiting.isEmpty else { return }
            logger.notice(
                "still stopping after \(Int((ContinuousClock.now - started).components.seconds)) s: waiting for \(waiting.joined(separator: ", "))"
            )
            pause = .seconds(5)
        }
    }

    /// A service whose name is listed while it runs.
    private struct Tracked: Service {
        let name: String
        let base: any Service
        let running: Running

        func run() async throws {
            running.add(name)
            defer { running.remove(name) }
            try await base.run()
        }
    }

    /// The names of the services still running.
    private final class Running: Sendable {
        private let value = Mutex<[String]>([])

        var names: [String] { value.withLock { $0 } }
        func add(_ name: String) { value.withLock { $0.append(name) } }
        func remove(_ name: String) { value.withLock { $0.removeAll { $0 == name } } }

        /// The task that triggers the shutdown and says what it waits for; cancelled when all ended.
        final class Watch: Sendable {
            private let task = Mutex<Task<Void, Never>?>(nil)
            func start(_ body: @escaping @Sendable () async -> Void) { task.withLock { $0 = Task { await body() } } }
            func cancel() { task.withLock { $0?.cancel() } }
        }
    }
}
