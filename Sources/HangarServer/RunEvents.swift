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
        let state: ForgeClient.State =
            switch status {
            case .passed, .skipped: .success
            case .failed: .failure
            case .cancelled: .cancelled
            case .error, .timedOut: .error
            }
        report(run, state, "\(status.rawValue) after \(Int(duration.rounded()))s")
    }

    /// Queues a commit status when the run tests a commit of a project with a forge and a token.
    private func report(_ run: StoredRun, _ state: ForgeClient.State, _ description: String) {
        guard let commit = run.parameters["HANGAR_COMMIT"], let forge = catalog.entry(run.project)?.workspace?.project.forge,
            let variable = forge.tokenVariable
        else { return }
        guard let token = environment[variable] else {
            logger.warning("no forge token: commit statuses are not reported", metadata: ["project": "\(run.project)", "variable": "\(variable)"])
            return
        }
        statuses.yield(
            StatusUpdate(
                client: ForgeClient(forge: forge, token: token, logger: logger),
                state: state,
                commit: commit,
                context: ForgeClient.context(job: run.job, cell: run.cell),
                link: "\(publicURL)/runs/\(run.id)",
                description: description
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
}

/// Sends commit statuses one after another, so a forge sees them in the order they happened;
/// it stops at shutdown (statuses still queued then are not sent).
struct StatusReporter: Service {
    let updates: AsyncStream<StatusUpdate>

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await update in updates {
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
}
