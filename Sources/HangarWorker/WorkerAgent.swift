import Foundation
public import HangarAPI
public import HangarCore
import HangarEngine
public import HangarMachine
public import Logging
public import ServiceLifecycle
import Synchronization

/// A worker: takes runs from a coordinator and runs them on this host, `slots` at a time. The same
/// agent is `hangar worker` (over HTTP) and the embedded worker of `hangar serve` (in-process).
///
/// - It asks for a run only while it has a free slot and the memory a run's machines need; the
///   coordinator answers the moment one can be handed over (a long poll, no polling tick).
/// - Every second a heartbeat renews the leases of the runs it holds and brings back the ones to
///   stop: cancelled anywhere, or lost (its lease ran out while it was cut off; another took them).
/// - What it has to report goes through a `Journal` on its disk first (`RunReporter`).
/// - A task placed elsewhere (`Placement`) is run by the coordinator on its behalf; its heartbeats
///   bring back its parts of every-worker tasks, which it runs beside its runs (not in a slot).
/// - When it starts, it reconciles with the coordinator: runs it still holds get the rest of their
///   report (the result, if it was written; else they are given up and run again elsewhere), runs
///   it no longer holds are forgotten, and machines left by its last life are destroyed.
/// - Its name is its own (`WorkerIdentity`): the coordinator refuses it while another instance is
///   online under that name, and it stops when another took the name over; it says when it stops.
public struct WorkerAgent: Service {
    /// How the worker works.
    public struct Configuration: Sendable {
        /// Its name; it holds runs under it. Unique among a coordinator's workers: a second worker
        /// online under a name is refused.
        public var name: String
        /// What it offers, besides `arch=…`, which it adds itself.
        public var labels: [String]
        /// Runs at once; default from the host's CPUs and memory.
        public var slots = HostResources.slots()
        /// Its image cache and state folders (machines, journal, run folders).
        public var paths: HangarPaths
        /// Where each run's folder goes (`<runs>/<id>`); default `<state>/runs`.
        public var runsFolder: String
        /// How often it renews its leases and asks what to stop.
        public var heartbeat: Duration = .seconds(1)
        /// How long one claim waits for a run.
        public var claimWait: Duration = .seconds(30)
        /// On shutdown, let running runs finish instead of cancelling them.
        public var finishOnShutdown = false
        /// Free space (MiB) its state folder must have for it to take a run: overlays, run folders.
        public var minFreeDisk = 2048
        /// The clock its loops wait on: heartbeats, pauses, retries (a test's clock in tests).
        public var clock: any Clock<Duration> = ContinuousClock()

        public init(name: String, labels: [String] = [], paths: HangarPaths) {
            self.name = name
            self.labels = labels
            self.paths = paths
            runsFolder = "\(paths.state)/runs"
        }

        /// Its labels with the automatic ones.
        var allLabels: [String] { Array(Set(labels + ["arch=\(HostResources.architecture)"])).sorted() }
    }

    /// How long a stopping worker waits for its last reports to be delivered.
    static let shutdownGrace: Duration = .seconds(15)

    let coordinator: any Coordinator
    let configuration: Configuration
    let logger: Logger
    /// Its name and this life of it.
    let identity: WorkerIdentity
    private let runs = ActiveRuns()
    /// Machines ended runs kept up (`keep:`), each run holding a slot until it is destroyed.
    private let kept = KeptRuns()
    /// This host's machines, as the worker's runs and pool make them.
    let machines: Machines
    /// Set when another worker took this one's name over: it stops.
    private let replaced = Replacement()
    /// Machines kept ready for runs of machines with `pool: N` (`WarmPool`), drained on shutdown.
    let pool: WarmPool

    public init(coordinator: any Coordinator, configuration: Configuration, logger: Logger) {
        self.coordinator = coordinator
        self.configuration = configuration
        self.logger = logger
        identity = WorkerIdentity(name: configuration.name, state: configuration.paths.state)
        machines = Machines(paths: configuration.paths, cache: ImageCache(root: configuration.paths.cache), owner: configuration.name) {
            [logger] in logger.notice("\($0)")
        }
        pool = WarmPool(machines: machines)
    }

    private var journalRoot: String { "\(identity.folder)/journal" }

    public func run() async throws {
        let lock = try identity.lock()
        defer { withExtendedLifetime(lock) {} }
        // A coordinator that is away delays the start; a shutdown meanwhile ends it.
        do {
            try await cancelWhenGracefulShutdown { try await register() }
        } catch is CancellationError {
            return
        }
        try identity.remember()
        let offered = configuration.allLabels.joined(separator: ",")
        logger.notice("registered as worker \(configuration.name): \(configuration.slots) slot(s), labels \(offered)")
        await cancelWhenGracefulShutdown { await reconcile() }
        let (freed, free) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var beats = WorkerStateMachine(slots: configuration.slots)
                while !Task.isCancelled {
                    try? await configuration.clock.sleep(for: configuration.heartbeat)
                    // Every tick while it keeps machines too: a tunnel to one opens within a second.
                    if beats.tick(busy: runs.busy + kept.count) { await heartbeat { free.yield() } }
                }
            }
            await cancelWhenGracefulShutdown {
                var machine = WorkerStateMachine(slots: configuration.slots)
                var wakes = freed.makeAsyncIterator()
                while !Task.isCancelled, replaced.error == nil {
                    let now = status()
                    switch machine.next(busy: now.busy, unavailable: now.unavailable) {
                    case .waitForASlot:
                        _ = await wakes.next()
                        continue
                    case .pause(let pause, let say):
                        // Its heartbeats carry the reason, so queued runs say why they wait.
                        if let say { logger.warning("taking no runs: \(say)") }
                        try? await configuration.clock.sleep(for: pause)
                        continue
                    case .claim(let sayTakingAgain):
                        if sayTakingAgain { logger.notice("taking runs again") }
                    }
                    let outcome: WorkerStateMachine.ClaimOutcome
                    do {
                        if let assignment = try await coordinator.claim(now, wait: configuration.claimWait) {
                            let run = assignment.run
                            logger.notice("took run \(run.id) (\(run.project)/\(run.job), attempt \(run.attempt))")
                            start(assignment) { free.yield() }
                            outcome = .took
                        } else {
                            outcome = .nothingToTake
                        }
                    } catch let error as HangarError where error.code == .workerReplaced {
                        outcome = .replaced(error)
                    } catch let error as HangarError where error.code == .serverStopping {
                        outcome = .coordinatorStopping
                    } catch {
                        if Task.isCancelled { break }
                        outcome = .failed(error)
                    }
                    switch machine.claimEnded(outcome) {
                    case .claimAgain: continue
                    case .stop(let error): stop(replacedBy: error)
                    case .backOff(let pause, let say):
                        if let say { logger.warning("cannot claim a run; retrying", metadata: ["error": "\(say)"]) }
                        try? await configuration.clock.sleep(for: pause)
                    }
                }
            }
            let held = runs.busy
            if configuration.finishOnShutdown {
                if held > 0 { logger.notice("stopping: waiting for \(held) run(s) to finish (--finish-on-shutdown)") }
                await runs.waitForAll()
            } else {
                if held > 0 { logger.notice("stopping: cancelling \(held) run(s); their machines are destroyed and their reports sent") }
                runs.cancelAll()
                // Their reports get a while to reach the coordinator; what is left stays in the journal
                // and is delivered by the next start.
                if case .timedOut = await withTimeLimit(Self.shutdownGrace, { [runs] in await runs.waitForAll() }) {
                    runs.stopReporting()
                    await runs.waitForAll()
                }
            }
            group.cancelAll()
        }
        await pool.drain()
        if let error = replaced.error { throw error }
        await leave()
    }

    /// Another worker took this one's name over (it was silent for longer than a lease): its runs
    /// are not its own any more, and it stops.
    private func stop(replacedBy error: HangarError) {
        guard replaced.set(error) else { return }
        logger.error("\(error)")
        for run in runs.held { runs.lose(run.id) }
    }

    /// Tells the coordinator this worker stopped, so it is offline at once.
    private func leave() async {
        do {
            try await coordinator.leave(status())
        } catch {
            logger.warning(
                "cannot tell the coordinator this worker stopped; it counts it offline once its heartbeats are missed",
                metadata: ["error": "\(error)"]
            )
        }
    }

    /// What the worker says of itself now.
    func status() -> API.WorkerStatus {
        let state = configuration.paths.state
        let freeDisk = HostResources.freeDisk(at: FileManager.default.fileExists(atPath: state) ? state : "/") ?? Int.max
        return API.WorkerStatus(
            name: configuration.name,
            labels: configuration.allLabels,
            slots: configuration.slots,
            busy: runs.busy + kept.count,
            freeMemory: HostResources.freeMemory(reserved: runs.reservedMemory + kept.memory),
            load: HostResources.load(),
            version: HangarVersion.current,
            unavailable: freeDisk >= configuration.minFreeDisk
                ? nil : "only \(freeDisk) MiB free in \(state); it takes runs with at least \(configuration.minFreeDisk) MiB free",
            pool: pool.readyCount.withLock { $0 },
            instance: identity.instance,
            replaces: identity.replaces
        )
    }

    private func register() async throws {
        var machine = WorkerStateMachine(slots: configuration.slots)
        while true {
            do {
                try await coordinator.register(status())
                return
            } catch {
                if Task.isCancelled { throw CancellationError() }
                switch machine.registrationFailed(error) {
                case .fail(let final): throw final
                case .retry(let pause, let say):
                    if let say { logger.warning("cannot reach the coordinator; retrying until it answers", metadata: ["error": "\(say)"]) }
                    try? await configuration.clock.sleep(for: pause)
                }
            }
        }
    }

    private func start(_ assignment: API.Assignment, whenDone: @escaping @Sendable () -> Void) {
        let held = API.HeldRun(id: assignment.run.id, attempt: assignment.run.attempt)
        runs.start(held, memory: assignment.memory) {
            Task {
                await execute(assignment)
                runs.ended(held.id)
                whenDone()
            }
        }
    }

    private func execute(_ assignment: API.Assignment) async {
        let held = API.HeldRun(id: assignment.run.id, attempt: assignment.run.attempt)
        let folder = "\(configuration.runsFolder)/\(held.id)"
        let journal: Journal
        do {
            journal = try Journal(root: journalRoot, run: held)
        } catch {
            logger.error("cannot keep a journal; giving run \(held.id) up", metadata: ["error": "\(error)"])
            try? await coordinator.release(held, worker: configuration.name)
            return
        }
        let reporter = RunReporter(journal: journal, coordinator: coordinator, worker: configuration.name, clock: configuration.clock, logger: logger)
        runs.attach(reporter, to: held.id)
        let outcome: API.Outcome
        do {
            var workspace = try await coordinator.workspace(for: assignment, folder: folder)
            workspace.machineNoticesInRunLog = true
            workspace.machineOwner = configuration.name
            workspace.keepMachines = assignment.keep != nil
            workspace.pool = pool
            workspace.placed = { position throws(HangarError) in try await runElsewhere(held, position: position) }
            let result = try await workspace.run(job: assignment.run.job, parameters: assignment.parameters, folder: folder, offline: false) {
                event in
                reporter.write(event)
            }
            // Kept before the end is reported, so every heartbeat after the end lists them.
            let keptUp =
                result.kept.isEmpty
                ? nil
                : await kept.keep(
                    result.kept,
                    of: assignment,
                    status: result.status,
                    lost: runs.isLost(held.id),
                    worker: configuration.name,
                    machines: machines
                ) { reporter.write(.notice($0)) }
            outcome = API.Outcome(
                status: result.status,
                reason: result.error?.description,
                failure: result.error.map { RunFailure(code: $0.code, kind: $0.kind, task: result.failedTask) },
                kept: keptUp
            )
        } catch {
            let failure = error as? HangarError ?? HangarError(.workerRun, "\(error)", cause: error)
            outcome = API.Outcome(
                status: RunStatus(failure: failure),
                reason: failure.description,
                failure: RunFailure(code: failure.code, kind: failure.kind)
            )
        }
        // Reported outside this (possibly cancelled) task, which would cancel the deliveries.
        let ending = await Task { [runs] in
            if runs.isLost(held.id) { return await reporter.stop() }
            return await reporter.finish(outcome, artifacts: "\(folder)/artifacts")
        }.value
        switch ending {
        case .delivered:
            logger.notice("run \(held.id) ended \(outcome.status.rawValue)")
            journal.remove()
        case .lost(let why):
            logger.warning("run \(held.id) attempt \(held.attempt) is no longer this worker's; its report stops", metadata: ["reason": "\(why)"])
            journal.remove()
        case .stopped:
            if runs.isLost(held.id) { journal.remove() }
        }
    }

    /// Renews the leases of the runs held here; stops the ones to stop; destroys the kept machines
    /// the coordinator says to (`freed` when that frees a slot), and those whose QEMU ended.
    private func heartbeat(freed: @Sendable () -> Void) async {
        for run in kept.dead() {
            logger.warning("the machines run \(run) kept are gone (their QEMU ended); destroying what is left of them")
            await destroyKept(run, freed: freed)
        }
        do {
            let answer = try await coordinator.heartbeat(API.Heartbeat(status: status(), runs: runs.held, kept: kept.ids))
            for run in answer.destroy ?? [] {
                logger.notice("destroying the machines run \(run) kept (expired, destroyed by someone, or not to be kept)")
                await destroyKept(run, freed: freed)
            }
            for order in answer.tunnels ?? [] { Task { await openTunnel(order) } }
            for id in answer.cancel { runs.cancel(id) }
            for order in answer.tasks ?? [] { Task { await runPart(order) } }
            for id in answer.lost {
                logger.warning("run \(id) was lost (its lease ran out); stopping it and destroying its machines")
                runs.lose(id)
            }
        } catch let error as HangarError where error.code == .workerReplaced {
            stop(replacedBy: error)
        } catch {
            if !Task.isCancelled { logger.warning("cannot send a heartbeat; retrying", metadata: ["error": "\(error)"]) }
        }
    }

    /// Opens this worker's end of a tunnel to a kept machine: the guest port's forward on this
    /// host, spliced with a WebSocket dialled back to the coordinator.
    private func openTunnel(_ order: API.TunnelOrder) async {
        guard let port = kept.hostPort(run: order.run, machine: order.machine, guest: order.port) else {
            logger.warning("tunnel \(order.id): run \(order.run) keeps no machine '\(order.machine)' forwarding port \(order.port) here")
            return
        }
        do {
            try await coordinator.dialTunnel(order) { inbound, outbound in
                try await Tunnel.splice(inbound, outbound, with: try await Tunnel.connect(port: port))
            }
        } catch {
            logger.warning(
                "tunnel \(order.id) to machine '\(order.machine)' port \(order.port) of run \(order.run) ended",
                metadata: ["error": "\(error)"]
            )
        }
    }

    private func destroyKept(_ run: Int, freed: () -> Void) async {
        for record in kept.remove(run) { await machines.destroy(record) }
        freed()
    }

    /// After a restart: finish reporting what this worker still holds, forget what it does not, and
    /// destroy the machines its last life left behind, but for kept machines whose QEMU lives: it
    /// keeps those (the coordinator says at the first heartbeat whether they stay). The runs held under its name are its last
    /// life's: the coordinator gave it the name only from that life, or from one silent for a lease.
    private func reconcile() async {
        var adopted: [Int: [MachineRecord]] = [:]
        for (record, state) in machines.registry.list() where record.owner == configuration.name {
            if let mark = record.kept, state == .running {
                adopted[mark.run, default: []].append(record)
                continue
            }
            logger.notice("destroying machine \(record.id), left by a run this worker was running when it stopped")
            await machines.destroy(record)
        }
        for (run, records) in adopted {
            logger.notice("adopting the machines run \(run) kept: \(records.map(\.name).joined(separator: ", "))")
            kept.add(run, records)
        }
        let held: Set<API.HeldRun>
        do {
            held = Set(try await coordinator.held(worker: configuration.name))
        } catch {
            logger.warning("cannot ask which runs this worker holds; its journal waits", metadata: ["error": "\(error)"])
            return
        }
        let journals = Journal.all(in: journalRoot)
        var (completed, givenUp) = (0, 0)
        for journal in journals {
            guard held.contains(journal.run) else {
                journal.remove()
                continue
            }
            let finished = journal.isFinished
            do {
                _ = try await RunReporter.deliver(journal, coordinator: coordinator, worker: configuration.name)
                if !finished { try await coordinator.release(journal.run, worker: configuration.name) }
                journal.remove()
                if finished { completed += 1 } else { givenUp += 1 }
            } catch {
                logger.warning("cannot reconcile run \(journal.run.id)", metadata: ["error": "\(error)"])
            }
        }
        for run in held where !journals.contains(where: { $0.run == run }) {
            if (try? await coordinator.release(run, worker: configuration.name)) != nil { givenUp += 1 }
        }
        if completed + givenUp > 0 {
            logger.notice("reconciled after a restart: reported the end of \(completed) run(s); gave up \(givenUp) run(s) to run again")
        }
    }
}

/// Why a worker stops because another took its name over, once it has.
private final class Replacement: Sendable {
    private let value = Mutex<HangarError?>(nil)

    var error: HangarError? { value.withLock { $0 } }

    /// Records `error`; false when one was recorded before.
    func set(_ error: HangarError) -> Bool {
        value.withLock { current in
            guard current == nil else { return false }
            current = error
            return true
        }
    }
}
