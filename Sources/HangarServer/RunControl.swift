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

    /// Queues `job` of `project` with `parameters` checked against the job's (400 naming a wrong one);
    /// `cause` says who or what asked (`NewRun.cause`).
    func trigger(
        project: String,
        job: String,
        parameters: [String: String],
        priority: Int = 0,
        cause: String,
        trigger: RunTrigger = .manual
    ) async throws -> StoredRun {
        var new = try prepare(project: project, job: job, parameters: parameters)
        new.priority = priority
        new.cause = cause
        new.trigger = trigger
        let run = try await store.enqueue(new)
        queued([run])
        return run
    }

    /// The run `job` of `project` would be, with `parameters` checked against the job's and its
    /// defaults filled in: 404 for an unknown project or job, 400 naming a wrong parameter.
    func prepare(project: String, job name: String, parameters: [String: String]) throws -> NewRun {
        let entry = try self.project(project)
        guard let workspace = entry.workspace else {
            throw HTTPError(.notFound, message: "project '\(project)' is broken: \(entry.error.map { "\($0)" } ?? "not loaded")")
        }
        let job: JobSpec
        do {
            job = try workspace.project.job(named: name)
        } catch {
            let suggestion = Suggestion.phrase(for: name, in: workspace.project.jobs.map(\.name))
            throw HTTPError(.notFound, message: "project '\(project)' has no job '\(name)'\(suggestion)")
        }
        var values: [String: String]
        do {
            values = try job.resolve(parameters: parameters)
        } catch {
            throw HTTPError(.badRequest, message: "\(error)")
        }
        // The server does not fan a matrix out into its cells yet (issue 22): it runs one cell, named by its parameters.
        if let matrix = job.matrix {
            let cells = matrix.cells(matching: parameters)
            guard cells.count == 1 else {
                let names = matrix.axes.map(\.parameter).joined(separator: ", ")
                throw HTTPError(
                    .badRequest,
                    message:
                        "job '\(name)' is a matrix of \(matrix.cells.count) cells; the server runs one at a time: give its parameters (\(names)) to pick one, or run them all with 'hangar run \(name)'"
                )
            }
            values.merge(cells[0].parameters) { $1 }  // a value given by its name becomes the value
        }
        // A git project's run is pinned to the commit it was triggered at, so a retrigger tests the same code.
        if entry.source != nil, values["HANGAR_COMMIT"] == nil, let commit = entry.commit { values["HANGAR_COMMIT"] = commit }
        // What a worker needs to take it: the job's and its machine's labels, the machine's memory and QEMU's.
        let machine = (try? JobPlan(job))?.bootsMachine == true ? workspace.project.machines.first { $0.name == job.machine } : nil
        let requires = Array(Set(job.requires + (machine?.requires ?? []))).sorted()
        let memory = machine.map { Int($0.memory.bytes >> 20) + 256 } ?? 0
        return NewRun(project: project, job: name, parameters: values, maxAttempts: job.retries + 1, requires: requires, memory: memory)
    }

    /// Announces runs just queued and wakes the dispatcher.
    func queued(_ runs: [StoredRun]) {
        for run in runs { events.queued(run) }
        if !runs.isEmpty { wake() }
    }

    /// Queues a new run of the same job with the same parameters, for `who`.
    func retrigger(_ id: Int, by who: String) async throws -> StoredRun {
        let old = try await run(id)
        return try await trigger(
            project: old.project,
            job: old.job,
            parameters: old.parameters,
            priority: old.priority,
            cause: "rerun of #\(id) by \(who)\(Self.knownIssues(try await store.matches(run: id)))"
        )
    }

    /// What a recheck says of the run it reruns: the known issues its failure matched, if any.
    static func knownIssues(_ matches: [SignatureMatch]) -> String {
        guard !matches.isEmpty else { return "" }
        let named = matches.map { match in "\(match.kind.rawValue) '\(match.signature)'" + (match.issue.map { " (\($0))" } ?? "") }
        return " (its failure matched \(named.joined(separator: ", ")))"
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

    /// The run `id`, or 404.
    func run(_ id: Int) async throws -> StoredRun {
        guard let run = try await store.run(id) else { throw HTTPError(.notFound, message: "no run \(id)") }
        return run
    }

    /// The run a route's checked `id` names, or 404.
    func run(_ inputs: Inputs) async throws -> StoredRun {
        guard let id = inputs.integer(Contract.runID.name) else { throw HTTPError(.badRequest, message: "no run id") }
        return try await run(id)
    }

    /// The project `name`, or 404 suggesting a close name.
    func project(_ name: String) throws -> ProjectCatalog.Entry {
        guard let entry = catalog.entry(name) else {
            throw HTTPError(.notFound, message: "no project '\(name)'\(Suggestion.phrase(for: name, in: catalog.all.map(\.name)))")
        }
        return entry
    }
}
