import Foundation
public import HangarAPI
import HangarCore
import HangarEngine
import HangarMachine
import HangarStore
public import Hummingbird

// The API's types made from what the store, the catalog and the machine registry keep.

extension API.Run: ResponseEncodable {
    init(_ run: StoredRun) {
        self.init(
            id: run.id,
            project: run.project,
            job: run.job,
            state: run.state,
            priority: run.priority,
            attempt: run.attempt,
            maxAttempts: run.maxAttempts,
            reason: run.reason,
            parameters: run.parameters,
            createdAt: run.createdAt,
            startedAt: run.startedAt,
            finishedAt: run.finishedAt,
            cause: run.cause.isEmpty ? nil : run.cause,
            failure: run.record.failure,
            trigger: run.trigger,
            group: run.group,
            cell: run.cell
        )
    }
}

extension API.TaskRecord {
    init(_ task: StoredTask) {
        self.init(
            position: task.position,
            title: task.title,
            status: task.status.flatMap(RunStatus.init(rawValue:)),
            error: task.error,
            errorCode: task.errorCode,
            startedAt: task.startedAt,
            finishedAt: task.finishedAt
        )
    }
}

extension API.Project: ResponseEncodable {
    init(_ entry: ProjectCatalog.Entry) {
        let jobs = (entry.workspace?.project.jobs ?? []).map { job in
            API.Project.Job(
                name: job.name,
                // A job of host tasks only boots nothing, whatever its (default) machine is.
                machine: (try? JobPlan(job, alwaysBoot: false))?.bootsMachine == false ? nil : job.machines.joined(separator: ", "),
                parameters: job.parameters.map {
                    API.Project.Parameter(name: $0.name, required: $0.required, defaultValue: $0.defaultValue, description: $0.description)
                }
            )
        }
        self.init(name: entry.name, error: entry.error.map { "\($0)" }, jobs: jobs)
    }
}

extension API.Machine: ResponseEncodable {
    init(_ record: MachineRecord, state: MachineState) {
        self.init(
            id: record.id,
            name: record.name,
            project: record.project,
            state: state.rawValue,
            image: record.image,
            ephemeral: record.ephemeral,
            sshPort: record.sshPort,
            ports: record.ports.map { API.Machine.Port(host: $0.host, guest: $0.guest) },
            ssh: GuestSSH(record).commandLine
        )
    }
}

extension API.Kept: ResponseEncodable {
    init(_ kept: StoredKept) throws {
        self.init(
            run: kept.run,
            project: kept.project,
            job: kept.job,
            owner: kept.owner,
            worker: kept.worker,
            keptAt: kept.record.keptAt,
            until: kept.record.until,
            state: kept.record.state,
            reason: kept.record.reason,
            machines: try JSONDecoder().decode([API.KeptMachine].self, from: Data(kept.machines.utf8))
        )
    }
}

extension API.Tunnel {
    init(_ tunnel: StoredTunnel) {
        self.init(
            id: tunnel.id,
            machine: tunnel.machine,
            port: tunnel.port,
            openedBy: tunnel.openedBy,
            openedAt: tunnel.openedAt,
            closedAt: tunnel.closedAt,
            reason: tunnel.reason
        )
    }
}

extension API.Token: ResponseEncodable {
    init(_ token: StoredToken) { self.init(id: token.id, name: token.name, role: token.role, createdAt: token.createdAt) }
}

extension API.RunDetail: ResponseEncodable {}
extension API.Group: ResponseEncodable {}
extension API.Artifact: ResponseEncodable {}
extension API.NewToken: ResponseEncodable {}
extension API.WebhookAnswer: ResponseEncodable {}
extension API.WorkerStatus: ResponseEncodable {}
extension API.Worker: ResponseEncodable {}
extension API.TaskResult: ResponseEncodable {}
extension API.SignatureInfo: ResponseEncodable {}
extension API.DryRun: ResponseEncodable {}
extension API.FlakyTest: ResponseEncodable {
    init(_ test: FlakyTest) {
        self.init(
            project: test.project,
            job: test.job,
            name: test.name,
            flips: test.flips,
            failures: test.failures,
            results: test.results,
            lastRun: test.lastRun
        )
    }
}
extension API.Notification: ResponseEncodable {
    init(_ stored: StoredNotification) {
        self.init(
            channel: stored.message.channel.rawValue,
            target: stored.message.target,
            subject: stored.message.subject,
            attempts: stored.attempts,
            sentAt: stored.sentAt,
            lastError: stored.lastError,
            nextAt: stored.sentAt == nil ? stored.nextAt : nil
        )
    }
}
extension API.SignatureSaved: ResponseEncodable {}
extension API.Signatures: ResponseEncodable {}
extension API.HeldRun: ResponseEncodable {}
extension API.HeartbeatAnswer: ResponseEncodable {}
extension API.LogCount: ResponseEncodable {}
