import Foundation
import HangarCore
import HangarEngine
import HangarStore
import Logging
import ServiceLifecycle

/// Where the server announces what happens to runs: the metrics count it, and runs a forge
/// started get commit statuses (pending, then success/failure/error with a link to the run).
struct RunEvents: Sendable {
    let catalog: ProjectCatalog
    /// The server's address as people reach it, for links in commit statuses.
    let publicURL: String
    let metrics: ServerMetrics
    let logger: Logger
    /// The process environment, where forge tokens are read from.
    let environment: [String: String]
    let statuses: AsyncStream<StatusUpdate>.Continuation

    func queued(_ run: StoredRun) {
        report(run, .pending, "queued")
    }

    func started(_ run: StoredRun) {
        metrics.started(run)
        report(run, .running, "running")
    }

    func finished(_ run: StoredRun, status: RunStatus, duration: Double) {
        metrics.finished(run, status: status, duration: duration)
        report(run, ForgeClient.State(RunState(status)), "\(status.rawValue) after \(Int(duration.rounded()))s")
    }

    /// Queues a commit status when the run tests a commit of a project with a forge and a token: the
    /// run's own, or its group's summary when its job says `status: summary`. The gate's runs test a
    /// speculative merge the forge does not know: theirs go to the pull request's head commit, named
    /// `hangar/gate/JOB`. A shadow run (a pull request's changed hangar.yml) reports nothing.
    private func report(_ run: StoredRun, _ state: ForgeClient.State, _ description: String) {
        guard run.trigger != .shadow, let commit = run.parameters["HANGAR_CHANGE_COMMIT"] ?? run.parameters["HANGAR_COMMIT"],
            let project = catalog.entry(run.project)?.workspace?.project,
            let forge = project.forge, let variable = forge.tokenVariable
        else { return }
        // The group whose summary stands for the run's own status, if its job asks for one.
        let summarized = (try? project.job(named: run.job))?.statuses == .summary ? run.group : nil
        guard let token = environment[variable] else {
            logger.warning("no forge token: commit statuses are not reported", metadata: ["project": "\(run.project)", "variable": "\(variable)"])
            return
        }
        statuses.yield(
            StatusUpdate(
                client: ForgeClient(forge: forge, token: token, logger: logger),
                state: state,
                commit: commit,
                context: ForgeClient.context(job: run.trigger == .gate ? "gate/\(run.job)" : run.job, cell: summarized == nil ? run.cell : nil),
                link: summarized.map { "\(publicURL)/groups/\($0)" } ?? "\(publicURL)/runs/\(run.id)",
                description: description,
                group: summarized
            )
        )
    }
}

/// One commit status to send.
struct StatusUpdate: Sendable {
    var client: ForgeClient
    var state: ForgeClient.State
    var commit: String
    var context: String
    var link: String
    var description: String
    /// For a group's summary: the group, whose cells' combined state is sent instead of the run's.
    var group: Int?
}

/// Sends commit statuses one after another, so a forge sees them in the order they happened;
/// it stops at shutdown (statuses still queued then are not sent). A group's summary is read from
/// the store as it is when its turn comes, and sent only when it changed.
struct StatusReporter: Service {
    let updates: AsyncStream<StatusUpdate>
    let store: RunStore
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var summaries: [Int: String] = [:]
            for await update in updates {
                var update = update
                if let group = update.group {
                    do {
                        (update.state, update.description) = try await summary(of: group)
                    } catch {
                        logger.warning("cannot read a group for its commit status", metadata: ["group": "\(group)", "error": "\(error)"])
                        continue
                    }
                    guard summaries[group] != "\(update.state) \(update.description)" else { continue }
                    summaries[group] = "\(update.state) \(update.description)"
                }
                await update.client.report(
                    update.state,
                    commit: update.commit,
                    context: update.context,
                    link: update.link,
                    description: update.description
                )
            }
        }
    }

    /// A group's cells' combined state, and how many of them are in which state (`3 cells: 2 passed, 1 running`).
    private func summary(of group: Int) async throws -> (ForgeClient.State, String) {
        let latest = try await store.group(group).latestOfEachCell
        let counts = RunState.allCases.compactMap { state -> String? in
            let count = latest.filter { $0.state == state }.count
            return count == 0 ? nil : "\(count) \(state.rawValue)"
        }
        return (ForgeClient.State(RunState.combined(latest.map(\.state))), "\(latest.count) cells: \(counts.joined(separator: ", "))")
    }
}
