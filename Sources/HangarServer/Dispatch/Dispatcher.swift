import Foundation
import HangarCore
import HangarEngine
import HangarHandlers
import HangarStore
import Logging
import ServiceLifecycle

/// Runs queued runs on this replica (the embedded worker), at most `capacity` at once, highest
/// priority then oldest first. Each run is claimed for this replica (`identity`) with a lease that a
/// heartbeat renews every second while it runs; the heartbeat also brings cancel requests made on
/// any replica, and notices a run this replica lost (its lease ran out and another took it), which
/// it then stops. Every transition and log line is written to the store before it is acted on.
struct Dispatcher: Service {
    /// What the dispatcher works with.
    struct Settings: Sendable {
        /// This replica's name as the holder of runs.
        var identity: String
        /// How long a claimed run is held without a renewal.
        var lease: Duration
        var capacity: Int
        var finishOnShutdown: Bool
        /// Where each run's log and artifacts go: `<runs>/<id>/`.
        var runsFolder: String
    }

    let store: RunStore
    let catalog: ProjectCatalog
    /// Signalled on each trigger, so a run starts at once.
    let wakeUp: AsyncStream<Void>
    let tick: AsyncStream<Void>.Continuation
    let active: ActiveRuns
    let events: RunEvents
    let shutdown: ShutdownSignal
    let settings: Settings
    let logger: Logger

    /// Runs until shut down; then it takes no more runs, cancels running ones (their machines are
    /// destroyed) or, with `finishOnShutdown`, lets them finish, and returns when they have ended.
    func run() async throws {
        if let released = try? await store.releaseRuns(of: settings.identity), !released.isEmpty {
            logger.notice("requeued \(released.count) run(s) this replica held when it stopped", metadata: ["identity": "\(settings.identity)"])
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [tick, catalog] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    await catalog.reload()
                    tick.yield()
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    await heartbeat()
                }
            }
            await withGracefulShutdownHandler {
                for await _ in wakeUp {
                    if shutdown.isShuttingDown || Task.isCancelled { break }
                    await dispatch()
                }
            } onGracefulShutdown: {
                shutdown.begin()
                tick.finish()
            }
            if !settings.finishOnShutdown { active.cancelAll() }
            await active.waitForAll()
            group.cancelAll()
        }
    }

    /// Starts queued runs while there are free slots.
    private func dispatch() async {
        let lease = settings.lease.seconds
        while !shutdown.isShuttingDown, active.count < settings.capacity {
            let run: StoredRun?
            do {
                run = try await store.claimNext(owner: settings.identity, lease: lease)
            } catch {
                logger.error("cannot claim a run", metadata: ["error": "\(error)"])
                return
            }
            guard let run else { break }
            active.start(run.id, attempt: run.attempt) {
                Task {
                    await execute(run)
                    active.ended(run.id)
                    tick.yield()
                }
            }
        }
        if active.count >= settings.capacity {
            try? await store.explainWaiting("waiting for a free slot: all \(settings.capacity) are busy")
        }
    }

    /// Renews the leases of the runs held here; stops those asked to cancel and those lost.
    private func heartbeat() async {
        let held = active.held
        guard !held.isEmpty else { return }
        do {
            for (id, transition) in try await store.renewLeases(owner: settings.identity, runs: held, lease: settings.lease.seconds) {
                switch transition.action {
                case .writeAndStop:
                    active.cancel(id)
                case .refuse(let why):
                    logger.warning("run \(id) is no longer held here; stopping it", metadata: ["reason": "\(why)"])
                    active.cancel(id)
                case .write, .none:
                    break
                }
            }
        } catch {
            logger.warning("cannot renew leases; retrying", metadata: ["error": "\(error)"])
        }
    }

    private func execute(_ run: StoredRun) async {
        events.started(run)
        let holder = RunHolder(owner: settings.identity, attempt: run.attempt)
        let log = LogWriter(store: store, run: run.id, holder: holder)
        let folder = "\(settings.runsFolder)/\(run.id)"
        let outcome: (status: RunStatus, reason: String?)
        let metrics = events.metrics
        do {
            let workspace = try await catalog.workspace(for: run.project, commit: run.parameters["HANGAR_COMMIT"], folder: "\(folder)/source")
            // Tasks can tell a retry from a first try.
            let parameters = run.parameters.merging(["HANGAR_RUN_ID": "\(run.id)", "HANGAR_ATTEMPT": "\(run.attempt)"]) { $1 }
            let result = try await workspace.run(job: run.job, parameters: parameters, folder: folder, offline: false) { event in
                log.write(event)
                if case .taskFinished(_, MachineBoot.name, .passed, let duration, _) = event {
                    metrics.booted(run, seconds: duration.seconds)
                }
            }
            outcome = (result.status, result.error?.description)
        } catch {
            outcome = (RunStatus(failure: error), error.description)
        }
        // Recorded outside this (possibly cancelled) task: the store's calls would fail in it.
        let ended = await Task { [store, settings, logger] () -> Transition? in
            var (status, reason) = outcome
            if let failure = await log.flush() {
                (status, reason) = (.error, "the run's log could not be stored: \(failure.message)")
            }
            try? FileManager.default.removeItem(atPath: "\(folder)/source")
            do {
                let (finalStatus, finalReason) = (status, reason)
                let transition = try await retrying {
                    try await store.finish(run.id, owner: settings.identity, attempt: run.attempt, as: finalStatus, reason: finalReason)
                }
                if let refusal = transition?.refusal {
                    logger.warning("the end of run \(run.id) attempt \(run.attempt) was refused", metadata: ["reason": "\(refusal)"])
                    return nil
                }
                return transition
            } catch {
                logger.error("cannot record the end of run \(run.id); its lease will expire", metadata: ["error": "\(error)"])
                return nil
            }
        }.value
        if let ended, let state = ended.run.state.status {
            events.finished(ended.run, status: state, duration: (ended.run.finishedAt ?? 0) - (ended.run.startedAt ?? 0))
        }
    }
}
