import Foundation
import HangarAPI
import HangarCore
import HangarEngine
import HangarHandlers
import HangarMachine
import HangarStore
import Logging

/// The coordinator's side of the worker protocol, over the store, for remote workers (through
/// `WorkerRoutes`) and the embedded one (through `LocalCoordinator`) alike: claims, heartbeats and
/// reports. Every report is checked against the run's current holder and attempt by the store, so
/// a stale one is refused (`run.stale`) and never applied.
struct RunCoordinator: Sendable {
    let store: RunStore
    let catalog: ProjectCatalog
    let events: RunEvents
    let queue: QueueSignal
    /// How long a worker holds a run without a heartbeat.
    let lease: Duration
    /// Where run folders go on the coordinator: `<runs>/<id>` (artifacts, git checkouts).
    let runsFolder: String
    /// Fetches the images its workers' runs boot, when it proxies them (`--image-proxy`); else nil.
    let imageProxy: ImageCache?
    /// Classifies runs that end badly.
    let triage: Triage
    /// Queues what runs that end tell their projects' `notify:`.
    let notifier: Notifier
    /// This replica's name, as the runner of the tasks placed on the coordinator.
    let identity: String
    /// Set when the server stops: waiting claims end (a worker's long poll must not hold the shutdown).
    let shutdown: ShutdownSignal
    /// What placed tasks' waits and retries sleep on.
    let clock: any Clock<Duration>
    /// What spares idle workers' heartbeats their statements.
    let beats: HeartbeatCache

    /// A worker (re)starts and says what it is; refused when it speaks another protocol, or when
    /// its name belongs to another instance that is online (`worker.name-taken`): a name is one
    /// worker's, or runs held under it would be taken for another's. That other instance may be
    /// this worker's own last life (`replaces`), or one silent for a lease (its runs are lost anyway).
    /// The parts of every-worker tasks its last life had not ended are lost: they are not run twice.
    func register(_ status: API.WorkerStatus) async throws {
        let instance = try check(status)
        beats.forget(status.name)
        if let lastSeen = try await store.registerWorker(
            status.name,
            instance: instance,
            replaces: status.replaces,
            status: try Self.json(status),
            takeover: lease.seconds
        ) {
            let ago = max(0, Int(store.time() - lastSeen))
            throw HangarError(
                .workerNameTaken,
                "a worker named \(status.name) is online (last seen \(ago) s ago)",
                hint: "give this one another --name: a name is one worker's among a server's workers",
                kind: .usage
            )
        }
        for task in try await store.unendedPlacedTasks(runner: status.name) {
            try await store.updatePlacedTask(task.key, runner: status.name, .runnerGone)
        }
    }

    /// Remembers what the worker says of itself, now (when it changed or was not written for a
    /// while: `HeartbeatCache`); refused when another instance took its name.
    private func save(_ status: API.WorkerStatus) async throws {
        let instance = try check(status)
        let now = store.time()
        guard beats.needsWrite(status, instance: instance, at: now) else { return }
        guard try await store.saveWorker(status.name, instance: instance, status: try Self.json(status)) else {
            throw HangarError(
                .workerReplaced,
                "another worker registered as \(status.name) after this one fell silent for longer than its lease; this one must stop",
                hint: "give each worker its own --name"
            )
        }
        beats.wrote(status, instance: instance, at: now)
    }

    /// The worker stopped gracefully: it is offline at once.
    func leave(_ status: API.WorkerStatus) async throws {
        beats.forget(status.name)
        try await store.workerStopped(status.name, instance: try check(status))
    }

    private static func json(_ status: API.WorkerStatus) throws -> String { String(decoding: try JSONEncoder().encode(status), as: UTF8.self) }

    /// Refuses a worker that speaks another protocol; its instance.
    private func check(_ status: API.WorkerStatus) throws -> String {
        guard status.protocolVersion == API.workerProtocol, let instance = status.instance else {
            throw HangarError(
                .workerProtocol,
                "worker '\(status.name)' (Hangar \(status.version)) speaks worker protocol \(status.protocolVersion); this server (Hangar \(HangarVersion.current)) speaks \(API.workerProtocol)",
                hint: "run the same Hangar version on the server and its workers"
            )
        }
        return instance
    }

    /// Hands the worker a run it can take, waiting up to `wait` for one to be queued.
    /// (The worker's status is saved by its registration and its heartbeats, not by every claim.)
    /// A server that is stopping hands out nothing and says so at once (`server.stopping`), so a
    /// worker's long poll does not hold its shutdown, and the worker waits before it asks again.
    func claim(_ status: API.WorkerStatus, wait: Duration) async throws -> API.Assignment? {
        let instance = try check(status)
        let deadline = ContinuousClock.now + wait
        while !Task.isCancelled, !shutdown.isShuttingDown {
            let seen = queue.generation
            if let run = try await store.claimNext(
                owner: status.name,
                instance: instance,
                lease: lease.seconds,
                labels: Set(status.labels),
                freeMemory: status.freeMemory
            ) {
                if let assignment = await assignment(for: run) { return assignment }
                continue
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { break }
            // Woken when a run is queued here, or by the queue watch when what is queued changed
            // (on another replica, a reaper there, a retry's delay over): within a second.
            await queue.wait(after: seen, timeout: left)
        }
        if shutdown.isShuttingDown { throw HangarError(.serverStopping, "the coordinator is stopping") }
        return nil
    }

    /// The run as a worker gets it; nil when its project cannot be read (the run then ends error).
    private func assignment(for run: StoredRun) async -> API.Assignment? {
        do {
            let (workspace, job, parameters) = try await resolve(run)
            if let image = try Self.machines(of: job, in: workspace, parameters: parameters).first?.image {
                try await store.setImage(run.id, await Self.recorded(image))
            }
            events.started(run)
            return API.Assignment(
                run: API.Run(run),
                projectFile: workspace.project.text,
                projectPath: workspace.project.directory,
                parameters: parameters,
                lease: lease.seconds,
                memory: run.memory,
                imageProxy: imageProxy == nil ? nil : true,
                keep: run.keep?.seconds,
                sshKey: run.keep?.sshKey
            )
        } catch {
            let reason = "the project could not be read for this run: \(error)"
            if let ended = try? await store.finish(run.id, owner: run.record.owner ?? "", attempt: run.attempt, as: .error, reason: reason) {
                events.finished(ended.run, status: .error, duration: 0)
            }
            return nil
        }
    }

    /// How a run records the image its machine boots: its URL or path; for an OBS image, also the
    /// build it resolves to now (the worker resolves it again when it fetches it, a moment later).
    private static func recorded(_ image: ImageSource) async -> String {
        guard case .obs(let coordinates) = image, let build = try? await OBSResolver(coordinates).resolve() else { return image.displayName }
        return "\(image.displayName): \(build.filename)"
    }

    /// Run `run`'s project at its commit, its job, and the parameters its tasks get (defaults filled
    /// in, with `HANGAR_RUN_ID` and `HANGAR_ATTEMPT`).
    func resolve(_ run: StoredRun) async throws -> (workspace: Workspace, job: JobSpec, parameters: [String: String]) {
        try await remakeGateMerge(of: run)
        let workspace = try await catalog.workspace(
            for: run.project,
            commit: run.parameters["HANGAR_COMMIT"],
            ref: run.parameters["HANGAR_REF"],
            folder: "\(runsFolder)/\(run.id)/source"
        )
        let job = try workspace.project.job(named: run.job)
        let parameters = try job.resolve(parameters: run.parameters).merging(["HANGAR_RUN_ID": "\(run.id)", "HANGAR_ATTEMPT": "\(run.attempt)"]) {
            $1
        }
        return (workspace, job, parameters)
    }

    /// A gate run's merge exists only in the clone of the replica that made it: here it is made again
    /// from its recipe when this replica's clone lacks it.
    private func remakeGateMerge(of run: StoredRun) async throws {
        guard let ref = run.parameters["HANGAR_REF"], ref.hasPrefix("refs/hangar/gate/"), let commit = run.parameters["HANGAR_COMMIT"],
            let source = await catalog.fetched(run.project)?.source, await !source.has(commit),
            let text = try await store.gateRecipe(commit: commit)
        else { return }
        let recipe: GateRecipe
        do {
            recipe = try JSONDecoder().decode(GateRecipe.self, from: Data(text.utf8))
        } catch {
            throw HangarError(.storeState, "the recipe of the gate's merge \(commit) is not readable: \(error)")
        }
        try await source.remake(commit, from: recipe)
    }

    /// The machines `job` boots (none for a job of host tasks only), their images' `${NAME}` filled
    /// in from `parameters`.
    private static func machines(of job: JobSpec, in workspace: Workspace, parameters: [String: String]) throws -> [MachineSpec] {
        guard try JobPlan(job).bootsMachine else { return [] }
        return try job.machines.compactMap { name in
            try workspace.project.machines.first { $0.name == name }?.expanding(parameters, directory: workspace.project.directory)
        }
    }

    /// Renews the leases of the worker's runs; which to stop (cancelled) and which it lost; and the
    /// parts of every-worker tasks it is to run.
    func heartbeat(_ beat: API.Heartbeat) async throws -> API.HeartbeatAnswer {
        try await save(beat.status)
        let transitions = try await store.renewLeases(owner: beat.status.name, runs: beat.runs.map { ($0.id, $0.attempt) }, lease: lease.seconds)
        var answer = API.HeartbeatAnswer(cancel: [], lost: [])
        for run in beat.runs {
            guard let action = transitions[run.id]?.action else {
                answer.lost.append(run.id)
                continue
            }
            switch action {
            case .writeAndStop: answer.cancel.append(run.id)
            // Ended by this worker's own report (a heartbeat raced it): nothing is lost.
            case .refuse where transitions[run.id]?.run.record.wasHeld(by: beat.status.name, attempt: run.attempt) == true: break
            case .refuse: answer.lost.append(run.id)
            case .write, .none: break
            }
        }
        let orders = try await orders(for: beat.status.name)
        answer.tasks = orders.isEmpty ? nil : orders
        answer.destroy = try await reconcileKept(beat)
        if beat.kept?.isEmpty == false {
            let orders = try await store.takeTunnelOrders(worker: beat.status.name).map {
                API.TunnelOrder(id: $0.id, run: $0.run, machine: $0.machine, port: $0.port, url: $0.url)
            }
            answer.tunnels = orders.isEmpty ? nil : orders
        }
        return answer
    }

    /// Which of the kept machines the worker lists it destroys now, and what happened to the ones
    /// the store keeps on it (`KeptLifecycle.reconcile`): expired, or gone. Looked at only when
    /// the worker's list changed, a time ran out, or `HeartbeatCache.refresh` passed (`keptCheckDue`).
    /// A run the worker still holds is not judged: it lists the machines before its report of the
    /// end (which records them) lands.
    private func reconcileKept(_ beat: API.Heartbeat) async throws -> [Int]? {
        let listed = Set(beat.kept ?? []).subtracting(beat.runs.map(\.id))
        let (worker, now) = (beat.status.name, store.time())
        guard beats.keptCheckDue(worker, listed: listed, at: now) else { return nil }
        let rows = try await store.kept(on: worker)
        let decided = KeptLifecycle.reconcile(listed: listed, rows: rows, at: now)
        for (run, event) in decided.events { _ = try await store.changeKept(run: run, event) }
        beats.keptChecked(worker, listed: listed, nextCheck: decided.nextCheck, at: now)
        return decided.destroy.isEmpty ? nil : decided.destroy.sorted()
    }

    /// The runs `worker` holds.
    /// The image URLs the runs `worker` holds boot (their machines' image, kernel and initrd, with
    /// the runs' parameters filled in): the only ones the image proxy fetches for it.
    func imageURLs(heldBy worker: String) async throws -> Set<String> {
        var urls: Set<String> = []
        for held in try await store.held(by: worker) {
            guard let run = try await store.run(held.id) else { continue }
            let (workspace, job, parameters) = try await resolve(run)
            for spec in try Self.machines(of: job, in: workspace, parameters: parameters) {
                for case .url(let url, _) in [spec.image, spec.kernel, spec.initrd].compactMap({ $0 }) { urls.insert(url) }
            }
        }
        return urls
    }

    func held(by worker: String) async throws -> [API.HeldRun] {
        try await store.held(by: worker).map { API.HeldRun(id: $0.id, attempt: $0.attempt) }
    }

    func report(_ run: API.HeldRun, worker: String, _ report: API.Report) async throws -> Int {
        let reports = try report.records.map { record -> RunStore.Report in
            if let lines = record.lines, record.task == nil { return .lines(lines) }
            guard let task = record.task, record.lines == nil else {
                throw HangarError(.runReport, "a record holds log lines or a task event, one of the two", kind: .usage)
            }
            guard let status = task.status else { return .taskStarted(position: task.position, title: task.title) }
            return .taskFinished(position: task.position, status: status, error: task.error, code: task.code)
        }
        let lines = try await store.report(run: run.id, by: holder(run, worker), offset: report.offset, reports)
        // The boot's duration, for the metrics, once the boot ended well.
        if report.records.contains(where: { $0.task?.title == MachineBoot.name && $0.task?.status == .passed }),
            let stored = try await store.run(run.id), let boot = try await store.tasks(run: run.id).first(where: { $0.title == MachineBoot.name })
        {
            events.metrics.booted(stored, seconds: (boot.finishedAt ?? boot.startedAt) - boot.startedAt)
        }
        return lines
    }

    /// Checks that `worker` holds `run`, so it may upload its files.
    func checkHolder(_ run: API.HeldRun, worker: String) async throws {
        try await store.checkHolder(run.id, holder(run, worker))
    }

    /// Where run `id`'s collected file `path` goes on the coordinator.
    func artifactFile(run id: Int, path: String) -> String { "\(runsFolder)/\(id)/artifacts/\(path)" }

    func finish(_ run: API.HeldRun, worker: String, _ outcome: API.Outcome) async throws -> API.Run {
        // A git project's checkout for the run is not needed any more.
        try? FileManager.default.removeItem(atPath: "\(runsFolder)/\(run.id)/source")
        // The results its collect tasks read (uploaded with its artifacts, before the outcome).
        let artifacts = Artifacts(runsFolder: runsFolder, run: run.id)
        let results = try artifacts.results()
        // A run that ends badly is classified before its end is written, so whoever sees it ended
        // sees its known issues too (a follower's recheck right after, the run page).
        let matches = await classify(run, worker: worker, outcome, failedTests: results.tests.filter(\.status.isFailing).map(\.name))
        guard
            let transition = try await store.finish(
                run.id,
                owner: worker,
                attempt: run.attempt,
                as: outcome.status,
                reason: outcome.reason,
                failure: outcome.failure,
                measured: try artifacts.measures()
            )
        else {
            throw HangarError(.runUnknown, "there is no run \(run.id)")
        }
        let endedBadly = RunState.endedBadly.contains(transition.run.state)
        if matches != nil, transition.refusal != nil || !endedBadly {
            // Not this attempt's end after all (stale, or cancelled meanwhile): it explains nothing.
            try await store.saveMatches([], run: run.id)
        }
        if let refusal = transition.refusal { throw HangarError(.runStale, "run \(run.id) attempt \(run.attempt) of \(worker): \(refusal)") }
        // Its machines stay up (a resent end keeps them once); they are destroyed at the worker's
        // next heartbeat if the run did not ask for it.
        if let kept = outcome.kept, !kept.isEmpty, let keep = transition.run.keep {
            let machines = String(decoding: try JSONEncoder().encode(kept), as: UTF8.self)
            try await store.keep(run: run.id, worker: worker, owner: keep.owner, seconds: keep.seconds, machines: machines)
        }
        guard transition.action == .write, let status = transition.run.state.status else { return API.Run(transition.run) }
        if !results.tests.isEmpty {
            try await store.saveResults(
                results,
                run: run.id,
                project: transition.run.project,
                job: transition.run.job,
                image: transition.run.image ?? ""
            )
        }
        await retryAndNotify(transition.run, matches: endedBadly ? matches ?? [] : [])
        events.finished(transition.run, status: status, duration: (transition.run.finishedAt ?? 0) - (transition.run.startedAt ?? 0))
        return API.Run(transition.run)
    }

    /// Classifies the run `worker` holds, which ends with `outcome`, when that is badly and its end
    /// is not written yet; nil when it was not classified. A failure here is logged, not the worker's.
    private func classify(_ held: API.HeldRun, worker: String, _ outcome: API.Outcome, failedTests: [String]) async -> [SignatureMatch]? {
        do {
            guard RunState.endedBadly.contains(RunState(outcome.status)), var run = try await store.run(held.id),
                run.record.isHeld(by: worker, attempt: held.attempt)
            else { return nil }
            run.record.failure = outcome.failure
            return try await triage.classify(run, failedTests: failedTests)
        } catch {
            triage.logger.error("cannot classify the run", metadata: ["run": "\(held.id)", "error": "\(error)"])
            return nil
        }
    }

    /// Queues the retry a signature asked for and the run's notifications. The run has ended
    /// whatever these do: a failure here is logged, not the worker's.
    private func retryAndNotify(_ run: StoredRun, matches: [SignatureMatch]) async {
        do {
            try await triage.retryIfAsked(run, matches: matches)
        } catch {
            triage.logger.error("cannot queue the run's automatic retry", metadata: ["run": "\(run.id)", "error": "\(error)"])
        }
        do {
            try await notifier.runEnded(run, matches: matches)
        } catch {
            triage.logger.error("cannot queue the run's notifications", metadata: ["run": "\(run.id)", "error": "\(error)"])
        }
    }

    func release(_ run: API.HeldRun, worker: String) async throws -> API.Run {
        guard let transition = try await store.release(run.id, by: holder(run, worker)) else {
            throw HangarError(.runUnknown, "there is no run \(run.id)")
        }
        if let refusal = transition.refusal { throw HangarError(.runStale, "run \(run.id) attempt \(run.attempt) of \(worker): \(refusal)") }
        queue.notify()
        return API.Run(transition.run)
    }

    private func holder(_ run: API.HeldRun, _ worker: String) -> RunHolder { RunHolder(owner: worker, attempt: run.attempt) }
}
