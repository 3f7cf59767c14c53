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
    /// Seconds after which the page reloads itself (lists that change as runs go by); nil for never
    /// (not 0: Mustache counts any number as true).
    var refresh: Int?

    init(_ title: String, _ context: ServerContext, refresh: Int? = nil) {
        self.title = title
        signedIn = context.signedIn
        role = context.role?.rawValue ?? "anonymous"
        canOperate = (context.role ?? .viewer).allows(.operator) && context.signedIn
        self.refresh = refresh
    }
}

/// A moment as a page shows it: "3 min ago", with the exact time on hover.
struct Moment {
    var ago: String
    var exact: String
    var iso: String

    init?(_ seconds: Double?, now: Double) {
        guard let seconds else { return nil }
        ago = Self.ago(seconds, now: now)
        exact = Self.exact(seconds)
        iso = Self.formatted(seconds, "yyyy-MM-dd'T'HH:mm:ss'Z'")
    }

    /// `just now`, `45 s ago`, `3 min ago`, `5 h ago`, `12 days ago`.
    static func ago(_ seconds: Double, now: Double) -> String {
        let elapsed = Int(max(0, now - seconds))
        switch elapsed {
        case ..<5: return "just now"
        case ..<60: return "\(elapsed) s ago"
        case ..<3600: return "\(elapsed / 60) min ago"
        case ..<86400: return "\(elapsed / 3600) h ago"
        default: return elapsed / 86400 == 1 ? "1 day ago" : "\(elapsed / 86400) days ago"
        }
    }

    /// `2026-11-22 05:35:00 UTC`.
    static func exact(_ seconds: Double) -> String { formatted(seconds, "yyyy-MM-dd HH:mm:ss") + " UTC" }

    static func formatted(_ seconds: Double, _ format: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = format
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}

/// A run as a table row or a run page's header.
struct RunRow {
    var id: Int
    var project: String
    var job: String
    var state: String
    var reason: String?
    var queued: Moment?
    var started: Moment?
    var finished: Moment?
    var took: String
    /// Who or what started it; empty when not recorded.
    var cause: String
    /// Why it ended badly, for people who act on it: `machine.silent (infrastructure) in task 2`.
    var failure: String?
    var ended: Bool
    var attempt: Int
    var maxAttempts: Int
    /// The image its machine boots, once claimed.
    var image: String?
    /// A matrix job's run: its group and cell.
    var group: Int?
    var cell: String?
    /// A shadow run (a pull request's changed hangar.yml), marked apart.
    var shadow: Bool

    init(_ run: StoredRun, now: Double) {
        id = run.id
        project = run.project
        job = run.job
        state = run.state.rawValue
        reason = run.reason
        queued = Moment(run.createdAt, now: now)
        started = Moment(run.startedAt, now: now)
        finished = Moment(run.finishedAt, now: now)
        took = Self.took(from: run.startedAt, to: run.finishedAt, now: now)
        cause = run.cause
        failure = run.record.failure.map { "\($0.code) (\($0.kind.rawValue))" + ($0.task.map { " in task \($0 + 1)" } ?? "") }
        ended = run.isFinished
        attempt = run.attempt
        maxAttempts = run.maxAttempts
        image = run.image
        group = run.group
        cell = run.cell
        shadow = run.trigger == .shadow
    }

    /// `0.4s`, `12s`, `1m 5s`, `running for 12s`, or empty before it started.
    static func took(from start: Double?, to end: Double?, now: Double) -> String {
        guard let start else { return "" }
        let elapsed = max(0, (end ?? now) - start)
        let text =
            switch elapsed {
            case ..<10 where end != nil: String(format: "%.1fs", elapsed)
            case ..<60: "\(Int(elapsed.rounded(.down)))s"
            case ..<3600: "\(Int(elapsed) / 60)m \(Int(elapsed) % 60)s"
            default: "\(Int(elapsed) / 3600)h \(Int(elapsed) % 3600 / 60)m"
            }
        return end == nil ? "running for \(text)" : text
    }
}

/// A list of runs for the `runTable` partial.
struct RunList {
    var rows: [RunRow]
    init(_ runs: [StoredRun], now: Double) { rows = runs.map { RunRow($0, now: now) } }
}

struct DashboardPage {
    var chrome: Chrome
    var running: RunList
    var queued: RunList
    var recent: RunList
    var projects: [API.Project]
}

struct HistoryPage {
    /// One choice of a filter's drop-down.
    struct Option {
        var name: String
        var selected: Bool
    }
    var chrome: Chrome
    var projects: [Option]
    var jobs: [Option]
    var states: [Option]
    var list: RunList
    /// The query of the page of newer runs, or nil on the newest.
    var newer: String?
    /// The query of the page of older runs, or nil on the oldest.
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
    /// A known issue the run's failure matched, linking to the line.
    struct Match {
        var signature: String
        var kind: String
        var issue: String?
        /// 1-based, as the log viewer numbers lines.
        var line: Int
        var text: String
        /// Where the line is: on this page, or on the page of the log around it.
        var href: String

        init(_ match: SignatureMatch, in shown: Range<Int>) {
            signature = match.signature
            kind = match.kind.rawValue
            issue = match.issue
            line = match.line + 1
            text = match.text
            href = shown.contains(match.line) ? "#L\(line)" : "?from=\(max(1, line - 20))#L\(line)"
        }
    }
    /// The part of the log the page shows. (Stored, not computed: templates see stored properties only.)
    struct Log {
        var run: Int
        /// `LogView.html` of the lines shown.
        var html: String
        /// The lines shown (0-based), of `total`.
        var lines: Range<Int>
        var total: Int
        /// The first and last line shown, 1-based.
        var first: Int
        var last: Int
        var atEnd: Bool
        /// The first lines of the windows before and after this one, when there are lines there.
        var earlier: Int?
        var later: Int?
        var partial: Bool
        var search: String?
        var found: [Found] = [] {
            didSet { hasFound = !found.isEmpty }
        }
        var hasFound = false

        init(run: Int, html: String, lines: Range<Int>, total: Int) {
            self.run = run
            self.html = html
            self.lines = lines
            self.total = total
            first = lines.lowerBound + 1
            last = lines.upperBound
            atEnd = lines.upperBound >= total
            earlier = lines.lowerBound > 0 ? max(1, lines.lowerBound + 1 - LogView.window) : nil
            later = atEnd ? nil : lines.upperBound + 1
            partial = earlier != nil || later != nil
        }
    }
    /// A line that contains the searched text.
    struct Found {
        var number: Int
        var html: String
    }
    var chrome: Chrome
    var run: RunRow
    var active: Bool
    var parameters: [Parameter]
    var hasParameters: Bool
    /// What it measured: `boot_seconds`, `2.1 s`.
    var measurements: [Parameter]
    var hasMeasurements: Bool
    /// A collected file, linked by its encoded path.
    struct Artifact {
        var name: String
        var href: String
        var size: Int

        init(_ artifact: API.Artifact, run: Int) {
            name = artifact.name
            href = "/api/v1/runs/\(run)/artifacts/" + artifact.name.split(separator: "/").map { WebUI.segment(String($0)) }.joined(separator: "/")
            size = artifact.size
        }
    }
    /// One test of the run's results, as a table row.
    struct Test {
        var name: String
        var status: String
        /// The state class it is shown with.
        var look: String
        var duration: String
        /// Shown for failing tests only.
        var output: String?
        /// Its results in the job's last runs, oldest first (failing tests only).
        var history: [Cell] = [] {
            didSet { hasHistory = !history.isEmpty }
        }
        var hasHistory = false

        /// One earlier result: a coloured cell linking to its run.
        struct Cell {
            var run: Int
            var look: String
            var status: String
        }

        init(_ test: TestCase) {
            name = test.name
            status = test.status.rawValue
            look = Self.look(test.status)
            duration = test.duration.map { RunRow.took(from: 0, to: $0, now: 0) } ?? ""
            output = test.status.isFailing ? test.output : nil
        }

        static func look(_ status: TestStatus) -> String { status.isFailing ? "failed" : status == .pass ? "passed" : "skipped" }
    }
    /// The run's test results: `12 tests: 1 fail, 10 pass, 1 skip`, failing tests first.
    struct Tests {
        var summary: String
        var tests: [Test]
        var problems: [String]

        init?(_ results: TestResults) {
            guard !results.tests.isEmpty || !results.problems.isEmpty else { return nil }
            summary = results.summary
            tests = results.ordered.map(Test.init)
            problems = results.problems
        }
    }
    var results: Tests?
    var tasks: [Task]
    var artifacts: [Artifact]
    var hasArtifacts: Bool
    var log: Log
    /// The page follows the log live: the run is still going and the page shows the log's end.
    var follows: Bool
    var matches: [Match]
    var hasMatches: Bool
    /// The run that retries it automatically.
    var retriedAs: Int?
}

struct ProjectPage {
    struct Job {
        var name: String
        var project: String
        /// `machine default`, or `host tasks only` for a job that boots nothing.
        var runsOn: String
        var badge: String
        var latest: RunRow?
        var recent: RunList
        var parameters: [Parameter]
        /// A matrix job's latest group (of its recent runs), for its grid.
        var latestGroup: Int?
        /// Each measurement's trend, per cell.
        var trends: [TrendView]
        var hasTrends: Bool
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
        var lastSeen: Moment?
        var runs: [Int]

        init(_ worker: API.Worker, now: Double) {
            name = worker.status.name
            state =
                !worker.online
                ? "stale" : worker.status.unavailable != nil ? "unavailable" : worker.runs.isEmpty ? "idle" : "running"
            labels = worker.status.labels.joined(separator: ", ")
            slots =
                "\(worker.runs.count) of \(worker.status.slots) in use"
                + (worker.status.pool.map { $0 > 0 ? ", \($0) ready in its warm pool" : "" } ?? "")
            load = String(format: "%.2f", worker.status.load)
            version = worker.status.version
            lastSeen = Moment(worker.lastSeen, now: now)
            runs = worker.runs
        }
    }

    /// A link to a kept machine's port through the server.
    struct WebPort {
        var href: String
        var text: String
    }

    /// A run's kept machines as a table row.
    struct Kept {
        var run: Int
        var job: String
        var machines: String
        /// Their forwarded web ports, opened through the server (`PortProxy`) while they are up.
        var webPorts: [WebPort]
        var owner: String
        var worker: String
        var state: String
        var until: String
        var reason: String?
        /// True while they are up (they can be extended or destroyed).
        var up: Bool
        /// The tunnels opened to them: who, to which machine and port, when, how it ended.
        var tunnels: [String]

        init(_ kept: API.Kept) {
            run = kept.run
            job = "\(kept.project)/\(kept.job)"
            machines = kept.machines.map { "\($0.name) (ssh port \($0.sshPort))" }.joined(separator: ", ")
            webPorts =
                kept.state != .kept
                ? []
                : kept.machines.flatMap { machine in
                    machine.ports.map {
                        WebPort(href: "/machines/\(kept.run)/\(machine.name)/ports/\($0.guest)/", text: "\(machine.name):\($0.guest)")
                    }
                }
            owner = kept.owner ?? "its job"
            worker = kept.worker
            state = kept.lost == nil ? kept.state.rawValue : "lost"
            until = KeptLifecycle.text(kept.until)
            reason = kept.lost ?? kept.reason
            up = kept.state == .kept
            tunnels = kept.tunnels.map { tunnel in
                let ended = tunnel.closedAt == nil ? "open" : tunnel.reason ?? "closed"
                return "\(tunnel.openedBy) → \(tunnel.machine):\(tunnel.port) at \(KeptLifecycle.text(tunnel.openedAt)) (\(ended))"
            }
        }
    }

    var chrome: Chrome
    var machines: [API.Machine]
    var kept: [Kept]
    var workers: [Worker]
    /// The bus connection (`hangar serve --bus`), as one line; nil without a bus.
    var bus: String?
}

struct LoginPage {
    var chrome: Chrome
    var next: String
    var message: String?
}
