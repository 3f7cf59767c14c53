import HangarStore
import Logging
import ServiceLifecycle

/// On PostgreSQL, wakes this replica's waiting claims the moment a run is queued on any replica
/// (`LISTEN hangar_queue`), instead of at `QueueWatch`'s next look. A broken connection is listened
/// on again after a second. On SQLite it only waits for the shutdown: the one server wakes its claims itself.
struct QueueListener: Service {
    let store: RunStore
    let queue: QueueSignal
    let clock: any Clock<Duration>
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    guard try await store.listenForQueued({ [queue] in queue.notify() }) else {
                        // A service that returns would stop the server: wait for the shutdown instead.
                        while !Task.isCancelled { try? await clock.sleep(for: .seconds(3600)) }
                        return
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("stopped hearing of queued runs; listening again", metadata: ["error": "\(error)"])
                }
                try? await clock.sleep(for: .seconds(1))
            }
        }
    }
}
