import Foundation
import HangarAPI
import HangarCore
import HangarEngine
import HangarStore
import Hummingbird

/// What the API, the web UI, webhooks and schedules do to runs: trigger, retrigger, cancel;
/// errors as HTTP errors.
struct RunControl: Sendable {
    let store: RunStore
    let catalog: ProjectCatalog
    let events: RunEvents
    /// Called after a run is queued, so the dispatcher starts it at once.
    let wake: @Sendable () -> Void

    /// Queues `job` of `project` with `parameters` checked against the job's (400 naming a wrong one):
    /// one run, or one per cell of a matrix job (`prepare`), queued together; `cause` says who or
    /// what asked (`NewRun.cause`).
    func trigger(
        project: String,
        job: String,
        parameters: [String: String],
        cell: String? = nil,
        group: Int? = nil,
        priority: Int = 0,
        cause: String,
        trigger: RunTrigger = .manual,
        keep: KeepAsked? = nil
    ) async throws -> [StoredRun] {
        let new = try prepare(project: project, job: job, parameters: parameters, cell: cell, keep: keep).map { run in
            var run = run
            run.group = group
            run.priority = priority
            run.cause = cause
            run.trigger = trigger
            return run
        }
        let runs = try await store.enqueue(new)
        queued(runs)
        return runs
    }

    /// The runs a trigger of `job` of `project` queues, with `parameters` checked against the job's
    /// and its defaults filled in: one, or for a matrix job one per cell the parameters (or `cell`)
    /// pick (`JobSpec.cells`), each named by its cell. 404 for an unknown project or job, 400 naming
    /// a wrong parameter or cell.
    /// `file`: the project's file to read the job from instead of the loaded one (a shadow run's).
    func prepare(
        project: String,
        job name: String,
        parameters: [String: String],
        cell: String? = nil,
        keep: KeepAsked? = nil,
        file: ProjectFile? = nil
    ) throws -> [NewRun] {
        let entry = try self.project(project)
        guard let loaded = entry.workspace?.project else {
            throw HTTPError(.notFound, message: "project '\(project)' is broken: \(entry.error.map { "\($0)" } ?? "not loaded")")
        }
        let projectFile = file ?? loaded
        let job: JobSpec
        do {
            job = try projectFile.job(named: name)
        } catch {
            let suggestion = Suggestion.phrase(for: name, in: projectFile.jobs.map(\.name))
            throw HTTPError(.notFound, message: "project '\(project)' has no job '\(name)'\(suggestion)")
        }
        var values: [String: String]
        let cells: [JobMatrix.Cell]
        do {
            values = try job.resolve(parameters: parameters)
            cells = try job.cells(given: parameters, only: cell)
        } catch {
            throw HTTPError(.badRequest, message: "\(error)")
        }
        // A git project's run is pinned to the commit it was triggered at, so a retrigger tests the same code.
        if entry.source != nil, values["HANGAR_COMMIT"] == nil, let commit = entry.commit { values["HANGAR_COMMIT"] = commit }
        let (requires, memory) = Self.placement(of: job, in: projectFile)
        let kept = try keep?.request(over: job) ?? job.keep.map { KeepRequest(seconds: $0.seconds) }
        return cells.map { cell in
            // A value given by its name becomes the value.
            var run = NewRun(
                project: project,
                job: name,
                parameters: values.merging(cell.parameters) { $1 },
                maxAttempts: job.retries + 1,
                requires: requires,
                memory: memory
            )
            run.cell = job.matrix == nil ? nil : cell.name
            run.keep = kept
            return run
        }
    }

    /// What a worker needs to take a run of `job`: the job's and its machines' labels, and the MiB
    /// of all the machines it boots at once, each with QEMU's own 256 MiB.
    static func placement(of job: JobSpec, in project: ProjectFile) -> (requires: [String], memory: Int) {
        let machines = (try? JobPlan(job))?.bootsMachine == true ? project.machines.filter { job.machines.contains($0.name) } : []
        let requires = Array(Set(job.requires + machines.flatMap(\.requires))).sorted()
        return (requires, machines.reduce(0) { $0 + Int($1.memory.bytes >> 20) + 256 })
    }

    /// Announces runs just queued and wakes the dispatcher.
    func queued(_ runs: [StoredRun]) {
        for run in runs { events.queued(run) }
        if !runs.isEmpty { wake() }
    }

    /// Queues a new run of the same job with the same parameters, for `who`; a matrix job's run is
    /// rerun in its own cell and joins its group.
    func retrigger(_ id: Int, by who: String) async throws -> StoredRun {
        let old = try await run(id)
        let runs = try await trigger(
            project: old.project,
            job: old.job,
            parameters: old.parameters,
            cell: old.cell,
            group: old.group,
            priority: old.priority,
            cause: "rerun of #\(id) by \(who)\(Self.knownIssues(try await store.matches(run: id)))",
            keep: old.keep.map { KeepAsked(seconds: $0.seconds, sshKey: $0.sshKey, owner: who) }
        )
        guard let run = runs.first else { throw HTTPError(.internalServerError, message: "the rerun of run \(id) queued nothing") }
        return run
    }

    /// The runs of group `id` and each cell's latest run (a cell retried or rerun counts by its
    /// last run), or 404.
    func group(_ id: Int) async throws -> (runs: [StoredRun], latest: [StoredRun]) {
        let runs = try await store.group(id)
        guard !runs.isEmpty else { throw HTTPError(.notFound, message: "no group \(id)") }
        return (runs, runs.latestOfEachCell)
    }

    /// Queues again, in group `id`, every cell whose latest run failed, erred, timed out or was
    /// cancelled, for `who`; 409 when none did. Returns the new runs.
    func rerunFailedCells(of id: Int, by who: String) async throws -> [StoredRun] {
        let failed = try await group(id).latest.filter(\.state.endedWithoutPassing)
        guard !failed.isEmpty else { throw HTTPError(.conflict, message: "no cell of group \(id) ended badly: nothing to rerun") }
        var new: [NewRun] = []
        for old in failed {
            for var run in try prepare(project: old.project, job: old.job, parameters: old.parameters, cell: old.cell) {
                run.group = id
                run.priority = old.priority
                run.cause = "rerun of #\(old.id) (cell \(old.cell ?? "")) of group \(id) by \(who)"
                new.append(run)
            }
        }
        let runs = try await store.enqueue(new)
        queued(runs)
        return runs
    }

    /// What a recheck says of the run it reruns: the known issues its failure matched, if any.
    static func knownIssues(_ matches: [SignatureMatch]) -> String {
        guard !matches.isEmpty else { return "" }
        return " (its failure matched \(named(matches)))"
    }

    /// Signature matches as people read them: `infrastructure 'mirror-down' (#12), test 'flaky-dns'`.
    static func named(_ matches: [SignatureMatch]) -> String {
        matches.map { match in "\(match.kind.rawValue) '\(match.signature)'" + (match.issue.map { " (\($0))" } ?? "") }.joined(separator: ", ")
    }

    /// Cancels a queued run at once; a running one is asked to stop, wherever it runs (it still
    /// finalizes). 409 when it has ended. Returns the run as it is now.
    @discardableResult
    func cancel(_ id: Int, by who: String) async throws -> StoredRun {
        guard let transition = try await store.requestCancel(id, by: who) else { throw HTTPError(.notFound, message: "no run \(id)") }
        switch transition.action {
        case .refuse(let why):
            throw HTTPError(.conflict, message: "run \(id) cannot be cancelled: \(why)")
        case .write:
            events.finished(transition.run, status: .cancelled, duration: 0)
        case .writeAndStop, .none:
            // Its worker (here or elsewhere) hears of it with its next heartbeat, within a second.
            break
        }
        return transition.run
    }

    /// Cancels the runs a forge started for request `ref` at another commit than `commit` that
    /// are queued or running: a new push supersedes them.
    func supersede(project: String, ref: String, commit: String) async throws {
        for (state, trigger) in [(RunState.queued, RunTrigger.webhook), (.running, .webhook), (.queued, .shadow), (.running, .shadow)] {
            for run in try await store.runs(state: state, project: project, trigger: trigger, limit: 1000)
            where run.parameters["HANGAR_REF"] == ref && run.parameters["HANGAR_COMMIT"] != commit {
                do {
                    _ = try await cancel(run.id, by: "a newer push to \(ref) (\(commit.prefix(7)))")
                } catch let error as HTTPError where error.status == .conflict {
                    continue  // It ended meanwhile.
                }
            }
        }
    }

    /// The run `id`, or 404.
    func run(_ id: Int) async throws -> StoredRun {
        guard let run = try await store.run(id) else { throw HTTPError(.notFound, message: "no run \(id)") }
        return run
    }

    /// The run a route's checked `id` names, or 404.
    func run(_ inputs: Inputs) async throws -> StoredRun {
        try await run(try APIRoutes.runID(inputs))
    }

    /// The project `name`, or 404 suggesting a close name.
    func project(_ name: String) throws -> ProjectCatalog.Entry {
        guard let entry = catalog.entry(name) else {
            throw HTTPError(.notFound, message: "no project '\(name)'\(Suggestion.phrase(for: name, in: catalog.all.map(\.name)))")
        }
        return entry
    }
}

/// What a manual trigger asks of the run's machines when it ends (`--keep`, `--ssh-key`), over the
/// job's own `keep:`; `owner` is who asked.
struct KeepAsked: Sendable {
    var seconds: Double?
    var sshKey: String?
    var owner: String?

    /// The request for a run of `job`: nil when neither this nor the job keeps anything. 400 for a
    /// time out of range, a job that boots no machine, or a key without a time.
    func request(over job: JobSpec) throws -> KeepRequest? {
        guard let seconds = seconds ?? job.keep?.seconds else {
            guard sshKey == nil else {
                throw HTTPError(.badRequest, message: "an SSH key is for kept machines, and job '\(job.name)' keeps none: give a time to keep them")
            }
            return nil
        }
        guard seconds > 0, seconds <= KeepRequest.longest else {
            throw HTTPError(.badRequest, message: "machines are kept for more than 0 s and at most a week (\(Int(KeepRequest.longest)) s)")
        }
        guard (try? JobPlan(job))?.bootsMachine == true else {
            throw HTTPError(.badRequest, message: "job '\(job.name)' boots no machine: there is nothing to keep")
        }
        return KeepRequest(seconds: seconds, sshKey: sshKey, owner: owner)
    }
}
