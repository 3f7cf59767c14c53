import HangarCore
import HangarStore
import Logging
import ServiceLifecycle

/// On every replica: one look at the queue every `interval` for all the claims waiting here, instead
/// of one each. A run queued on this replica wakes them at once (`QueueSignal`); one queued or
/// requeued on another replica, or whose retry delay passed, is seen here within `interval`, when
/// what is due changed. With no claim waiting it does not look at all.
struct QueueWatch: Service {
    let store: RunStore
    let interval: Duration
    let clock: any Clock<Duration>
    let queue: QueueSignal
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var last: RunStore.QueueFingerprint?
            while !Task.isCancelled {
                try? await clock.sleep(for: interval)
                guard queue.waiters > 0 else {
                    last = nil
                    continue
                }
                do {
                    let now = try await store.queuedFingerprint()
                    if now.count > 0, now != last { queue.notify() }
                    last = now
                } catch {
                    if !Task.isCancelled { logger.warning("cannot look at the queue; retrying", metadata: ["error": "\(error)"]) }
                }
            }
        }
    }
}
