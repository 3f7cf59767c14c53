import HangarCore
import HangarStore
import Logging
import ServiceLifecycle

/// On every replica: runs whose holder stopped renewing its lease (a replica or worker that died,
/// or lost the network) are queued again as their next attempt, or end `error` when no attempts
/// are left. Every replica reaps; the compare-and-set makes sure each run is reaped once.
struct LeaseReaper: Service {
    let store: RunStore
    /// How often to look.
    let interval: Duration
    let clock: any Clock<Duration>
    /// Woken when a run was queued again, so it starts at once.
    let wake: @Sendable () -> Void
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await clock.sleep(for: interval)
                do {
                    let reaped = try await store.reapExpiredLeases()
                    for transition in reaped {
                        logger.notice(
                            "run \(transition.run.id) lost its holder: \(transition.run.state.rawValue)",
                            metadata: ["reason": "\(transition.run.reason ?? "")"]
                        )
                    }
                    if !reaped.isEmpty { wake() }
                } catch {
                    if !Task.isCancelled { logger.warning("cannot look for expired leases; retrying", metadata: ["error": "\(error)"]) }
                }
            }
        }
    }
}
