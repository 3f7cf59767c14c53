import Foundation
import HangarAPI
import HangarCore
import HangarEngine
import HangarHandlers
import HangarStore

/// Tasks placed away from the worker holding their run (`Placement`, as kanku's handlers declare
/// where they run): the holder asks, and the coordinator runs a `coordinator` task itself, or hands
/// the parts of an `every-worker` task to the online workers with their next heartbeats and waits
/// until each ended. Each is recorded before it runs (`RunStore.placeTask`), so a resend — or the
/// same request at another replica — waits for the first one's end instead of running it again.
extension RunCoordinator {
    /// How often a waiting request looks whether the task (or each worker's part) ended.
    static let placedPoll: Duration = .milliseconds(200)

    /// Runs task `position` of the attempt `worker` holds where its handler is placed; its end.
    func runPlaced(_ held: API.HeldRun, worker: String, position: Int) async throws -> API.TaskResult {
        try await checkHolder(held, worker: worker)
        guard let run = try await store.run(held.id) else { throw HangarError(.runUnknown, "there is no run \(held.id)") }
        let (workspace, job, parameters) = try await resolve(run)
        let steps = try JobPlan(job).steps
        let placement = steps.indices.contains(position) ? type(of: steps[position].handler).placement : .worker
        guard placement != .worker else {
            throw HangarError(.taskPlacement, "task \(position + 1) of job '\(job.name)' runs on the worker holding the run", kind: .usage)
        }
        let key = PlacedTaskKey(run: held.id, attempt: held.attempt, position: position)
        let workers = placement == .everyWorker ? try await WorkerList.online(store).map(\.name).sorted() : []
        let placedHere = try await store.placeTask(key, placement: placement, by: identity, workers: workers)
        if placedHere { beats.placed() }
        if placedHere, placement == .coordinator {
            try await runHere(key, workspace: workspace, job: job.name, parameters: parameters)
        }
        return try await waitUntilEnded(key, held: held, worker: worker, limit: steps[position].timeout ?? job.timeout)
    }

    /// Runs a `coordinator` task here, saying every lease/3 that it is still at it.
    private func runHere(_ key: PlacedTaskKey, workspace: Workspace, job: String, parameters: [String: String]) async throws {
        let alive = Task { [store, lease, clock] in
            while !Task.isCancelled {
                try? await clock.sleep(for: lease / 3)
                // A missed one only risks a waiting replica taking the task for lost early.
                try? await store.touchPlacedTask(key)
            }
        }
        let output = await PlacedStep.run(
            workspace,
            job: job,
            position: key.position,
            parameters: parameters,
            folder: "\(runsFolder)/\(key.run)",
            here: .coordinator
        )
        alive.cancel()
        let ending = output.result
        // Its end is data: written, retried a few times, or the request fails (the task stays
        // running in the store, and the run's own timeout ends the wait).
        var tries = 0
        while true {
            do {
                try await store.updatePlacedTask(key, runner: "", .ended(passed: ending.passed), ending: ending)
                return
            } catch {
                tries += 1
                if tries == 5 { throw error }
                try await clock.sleep(for: .seconds(1))
            }
        }
    }

    /// Waits until task `key` ended (each worker's part, for an every-worker task), while `worker`
    /// still holds the attempt. A coordinator that stopped saying it runs the task, a worker gone
    /// offline with its part, and a part running longer than the task's `limit` (and a lease: its
    /// worker never got it, say) make it lost.
    private func waitUntilEnded(_ key: PlacedTaskKey, held: API.HeldRun, worker: String, limit: Duration) async throws -> API.TaskResult {
        while true {
            try await checkHolder(held, worker: worker)
            let rows = try await store.placedTask(key)
            guard let task = rows.first(where: { $0.runner.isEmpty }) else {
                throw HangarError(.taskUnknown, "task \(key.position + 1) of run \(key.run) was not placed")
            }
            let parts = rows.filter { !$0.runner.isEmpty }
            if task.placement == .coordinator {
                if task.state.isFinal { return Self.result(of: task) }
                if store.time() - task.updatedAt > lease.seconds { try await store.updatePlacedTask(key, runner: "", .runnerGone) }
            } else if parts.allSatisfy(\.state.isFinal) {
                let result = Self.combined(parts)
                try await store.updatePlacedTask(key, runner: "", .ended(passed: result.passed))
                return result
            } else {
                let online = Set(try await WorkerList.online(store).map(\.name))
                let overdue = store.time() - (limit + lease).seconds
                for part in parts where !part.state.isFinal && (!online.contains(part.runner) || part.state == .running && part.updatedAt < overdue) {
                    try await store.updatePlacedTask(key, runner: part.runner, .runnerGone)
                }
            }
            try await clock.sleep(for: Self.placedPoll)
        }
    }

    /// The parts of every-worker tasks waiting for `worker`, taken by it now (each handed out once).
    func orders(for worker: String) async throws -> [API.TaskOrder] {
        guard try await beats.placedMayBePending(at: store.time(), look: { try await store.anyPendingPlacedTask() }) else { return [] }
        var orders: [API.TaskOrder] = []
        for key in try await store.pendingPlacedTasks(for: worker) {
            guard let run = try await store.run(key.run), try await store.updatePlacedTask(key, runner: worker, .taken) else { continue }
            do {
                let (workspace, job, parameters) = try await resolve(run)
                orders.append(
                    API.TaskOrder(
                        run: API.HeldRun(id: key.run, attempt: key.attempt),
                        position: key.position,
                        job: job.name,
                        projectFile: workspace.project.text,
                        projectPath: workspace.project.directory,
                        parameters: parameters
                    )
                )
            } catch {
                let ending = PlacedTaskResult(
                    passed: false,
                    lines: [],
                    error: "its project could not be read: \(error)",
                    code: .taskProject,
                    kind: .infrastructure
                )
                try await store.updatePlacedTask(key, runner: worker, .ended(passed: false), ending: ending)
            }
        }
        return orders
    }

    /// Stores how `worker`'s part of task `key` ended. Sent again, it changes nothing; a part the
    /// worker was not running is refused (`run.stale`).
    func partEnded(_ key: PlacedTaskKey, worker: String, _ result: API.TaskResult) async throws {
        guard try await store.updatePlacedTask(key, runner: worker, .ended(passed: result.passed), ending: result) else {
            let part = try await store.placedTask(key).first { $0.runner == worker }
            if part?.state == (result.passed ? .passed : .failed) { return }
            throw HangarError(.runStale, "worker \(worker) is not running task \(key.position + 1) of run \(key.run) attempt \(key.attempt)")
        }
    }

    private static func result(of task: StoredPlacedTask) -> API.TaskResult {
        guard task.state != .lost else {
            return API.TaskResult(
                passed: false,
                lines: [],
                error: "the coordinator running this task stopped before it ended; it is not run again, as it may have had its effect",
                code: .taskLost,
                kind: .infrastructure
            )
        }
        return API.TaskResult(passed: task.state == .passed, lines: task.lines, error: task.error, code: task.code, kind: task.kind)
    }

    /// One result for an every-worker task: each worker's lines under its name; it passed when
    /// every part did.
    private static func combined(_ parts: [StoredPlacedTask]) -> API.TaskResult {
        var lines: [String] = parts.isEmpty ? ["no worker was online"] : []
        for part in parts {
            lines += part.lines.map { "\(part.runner): \($0)" }
            if part.state == .lost {
                lines.append("\(part.runner): did not end (its worker restarted, went offline or did not answer in time); not run again")
            }
        }
        lines = PlacedTaskLimits.capped(lines)
        let failed = parts.filter { $0.state != .passed }
        guard let first = failed.first else { return API.TaskResult(passed: true, lines: lines) }
        return API.TaskResult(
            passed: false,
            lines: lines,
            error: PlacedTaskLimits.capped(error: "failed on \(failed.map(\.runner).joined(separator: ", ")): \(first.error ?? "it did not end")"),
            code: first.code ?? .taskLost,
            kind: first.kind ?? .infrastructure
        )
    }
}
