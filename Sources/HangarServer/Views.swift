import Foundation
import HangarCore
import HangarEngine
import HangarMachine
import HangarStore

/// A project as the API and the project page show it.
struct ProjectView: Codable, Sendable {
    struct Job: Codable, Sendable {
        var name: String
        var machine: String
        var parameters: [JobParameter]
    }

    var name: String
    /// The configuration error of the file on disk; the jobs are then the last good version's.
    var error: String?
    var jobs: [Job]

    init(_ entry: ProjectCatalog.Entry) {
        name = entry.name
        error = entry.error.map { "\($0)" }
        jobs = (entry.workspace?.project.jobs ?? []).map { Job(name: $0.name, machine: $0.machine, parameters: $0.parameters) }
    }
}

/// A machine as the API and the machines page show it.
struct MachineView: Codable, Sendable {
    var id: String
    var name: String
    var project: String
    var state: String
    var image: String
    var ephemeral: Bool
    var sshPort: Int
    /// Declared forwards as `host:guest`.
    var ports: [PortForward]
    /// The command that logs in.
    var ssh: String

    init(_ record: MachineRecord, state: MachineState) {
        id = record.id
        name = record.name
        project = record.project
        self.state = state.rawValue
        image = record.image
        ephemeral = record.ephemeral
        sshPort = record.sshPort
        ports = record.ports
        ssh = GuestSSH(record).commandLine
    }
}

/// A run with its tasks: the run's fields plus `tasks`.
struct RunDetail: Encodable, Sendable {
    var run: StoredRun
    var tasks: [StoredTask]

    private enum Keys: String, CodingKey { case tasks }

    func encode(to encoder: any Encoder) throws {
        try run.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(tasks, forKey: .tasks)
    }
}

/// A file a run collected.
struct ArtifactView: Codable, Sendable {
    /// Its path under the run's artifacts folder.
    var name: String
    var size: Int
}
