import ServiceLifecycle
import Synchronization

/// Set when the server begins a graceful shutdown, so long responses (live logs) end at once
/// instead of holding the shutdown until their runs end.
public final class ShutdownSignal: Sendable {
    private let flag = Atomic(false)

    public init() {}

    /// The server is stopping.
    public var isShuttingDown: Bool { flag.load(ordering: .acquiring) }

    func begin() { flag.store(true, ordering: .releasing) }
}

/// The service that hears a shutdown first (it is the last of the server's services) and sets
/// the signal; then the other services stop, the HTTP server last.
struct ShutdownWatch: Service {
    let signal: ShutdownSignal
    /// Wakes what waits for queued runs (workers' claims), so they see the shutdown at once.
    let wake: @Sendable () -> Void

    func run() async throws {
        // Ends without a word when cancelled instead (the process stops anyway).
        guard (try? await gracefulShutdown()) != nil else { return }
        signal.begin()
        wake()
    }
}

/// Re-reads changed projects every second.
struct ProjectReloader: Service {
    let catalog: ProjectCatalog
    let clock: any Clock<Duration>

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await clock.sleep(for: .seconds(1))
                await catalog.reload()
            }
        }
    }
}
