import Foundation
import HangarAPI
import HangarCore
import HangarStore

/// What every page's layout shows about the caller.
struct Chrome {
    var title: String
    var signedIn: Bool
    var role: String
    var canOperate: Bool

    init(_ title: String, _ context: ServerContext) {
        self.title = title
        signedIn = context.signedIn
        role = context.role?.rawValue ?? "anonymous"
        canOperate = (context.role ?? .viewer).allows(.operator) && context.signedIn
    }
}

/// A run as a table row or a run page's header.
struct RunRow {
    var id: Int
    var project: String
    var job: String
    var state: String
    var reason: String?
    var queued: String
    var took: String
    var attempt: Int
    var maxAttempts: Int

    init(_ run: StoredRun) {
        id = run.id
        project = run.project
        job = run.job
        state = run.state.rawValue
        reason = run.reason
        queued = Self.time(run.createdAt)
        took = Self.took(from: run.startedAt, to: run.finishedAt)
        attempt = run.attempt
        maxAttempts = run.maxAttempts
    }

    /// `2026-11-22 05:35:00` (UTC).
    static func time(_ seconds: Double) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: seconds)) + " UTC"
    }

    /// `1m 5s`, `running 12s`, or empty before it started.
    static func took(from start: Double?, to end: Double?) -> String {
        guard let start else { return "" }
        let seconds = Int(((end ?? Date().timeIntervalSince1970) - start).rounded())
        let text = seconds >= 60 ? "\(seconds / 60)m \(seconds % 60)s" : "\(seconds)s"
        return end == nil ? "running \(text)" : text
    }
}

/// A list of runs for the `runTable` partial.
struct RunList {
    var rows: [RunRow]
    init(_ runs: [StoredRun]) { rows = runs.map(RunRow.init) }
}

struct DashboardPage {
    var chrome: Chrome
    var running: RunList
    var queued: RunList
    var recent: RunList
    var projects: [API.Project]
}

struct HistoryPage {
    struct Filter {
        var project: String
        var job: String
    }
    struct StateOption {
        var name: String
        var selected: Bool
    }
    var chrome: Chrome
    var filter: Filter
    var states: [StateOption]
    var list: RunList
    /// The query of the next page, or nil on the last.
    var older: String?
}

struct RunPage {
    struct Parameter {
        var name: String
        var value: String
    }
    struct Task {
        var number: Int
        var title: String
        var state: String
        var took: String
        var error: String
    }
    var chrome: Chrome
    var run: RunRow
    var active: Bool
    var parameters: [Parameter]
    var hasParameters: Bool
    var tasks: [Task]
    var artifacts: [API.Artifact]
    var hasArtifacts: Bool
    var log: String
    var lineCount: Int
}

struct ProjectPage {
    struct Job {
        var name: String
        var machine: String
        var project: String
        var parameters: [Parameter]
    }
    struct Parameter {
        var name: String
        var required: Bool
        var defaultValue: String
        var description: String
    }
    var chrome: Chrome
    var name: String
    var error: String?
    var jobs: [Job]
}

struct MachinesPage {
    /// A worker as a table row.
    struct Worker {
        var name: String
        var state: String
        var labels: String
        var slots: String
        var load: String
        var version: String
        var lastSeen: String
        var runs: [Int]

        init(_ worker: API.Worker) {
            name = worker.status.name
            state = worker.online ? "running" : "stale"
            labels = worker.status.labels.joined(separator: ", ")
            slots = "\(worker.runs.count) of \(worker.status.slots) in use"
            load = String(format: "%.2f", worker.status.load)
            version = worker.status.version
            lastSeen = RunRow.time(worker.lastSeen)
            runs = worker.runs
        }
    }

    var chrome: Chrome
    var machines: [API.Machine]
    var workers: [Worker]
}

struct LoginPage {
    var chrome: Chrome
    var next: String
    var message: String?
}
