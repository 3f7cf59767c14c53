/// A pipeline of a project (`pipelines:` in hangar.yml, Zuul's word): which of its jobs run on
/// which of the forge's events, and for `approved` — the gate — the merge of what passed.
///
/// ```yaml
/// pipelines:
///   check: { on: pull-request, jobs: [test] }                       # each push to a pull request
///   gate:  { on: approved, jobs: [test, integration], merge: rebase } # approved ones, in a queue
///   post:  { on: push, branches: [main], jobs: [publish] }
///   nightly: { on: periodic, cron: "0 3 * * *", jobs: [test] }
/// ```
public struct PipelineSpec: Sendable, Equatable {
    public enum Trigger: Sendable, Equatable {
        /// A pull request opened, reopened or given new commits.
        case pullRequest
        /// A pull request approved (a review's approval, or `gate-label:` put on it).
        case approved
        /// A push to a branch.
        case push
        /// A schedule.
        case periodic(CronSchedule)

        /// How hangar.yml spells it.
        public var name: String {
            switch self {
            case .pullRequest: "pull-request"
            case .approved: "approved"
            case .push: "push"
            case .periodic: "periodic"
            }
        }
    }

    /// How the gate merges a pull request that passed (the forges' own merge styles).
    public enum MergeMethod: String, Sendable, Equatable, CaseIterable, Codable {
        case merge, rebase, squash
    }

    public var name: String
    public var trigger: Trigger
    /// The jobs it runs (a matrix job counts as all its cells).
    public var jobs: [String]
    /// The target branches it takes (any when empty).
    public var branches: [String]
    /// The gate's merge style (`approved` only; `merge` unless said).
    public var merge: MergeMethod?
    /// A label that counts as an approval (`approved` only; else only a review's approval does).
    public var gateLabel: String?
    /// `file:line:col` of its definition.
    public var location: String

    static let keys = ["on", "jobs", "branches", "merge", "gate-label", "cron", "timezone"]

    /// Parses pipeline `name`; its jobs must be among `jobs` (the file's).
    static func parse(_ value: YAMLValue, name: String, jobs: [String]) throws(HangarError) -> PipelineSpec {
        let entries = try value.entries(allowed: keys)
        let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        guard let on = fields["on"] else {
            throw value.error("pipeline '\(name)' needs 'on:' (pull-request, approved, push or periodic)")
        }
        let trigger: Trigger
        switch try on.string() {
        case "pull-request": trigger = .pullRequest
        case "approved": trigger = .approved
        case "push": trigger = .push
        case "periodic":
            guard let cron = fields["cron"] else { throw on.error("a periodic pipeline needs 'cron:' (such as \"0 3 * * *\")") }
            do {
                trigger = .periodic(try CronSchedule(try cron.string(), timeZone: try fields["timezone"]?.string() ?? "UTC"))
            } catch {
                throw cron.error(error.message, hint: error.hint)
            }
        case let other:
            throw on.error("unknown event '\(other)'\(Suggestion.phrase(for: other, in: ["pull-request", "approved", "push", "periodic"]))")
        }
        for key in ["cron", "timezone"] where fields[key] != nil && trigger.name != "periodic" {
            throw fields[key]!.error("'\(key):' is for 'on: periodic' pipelines")
        }
        for key in ["merge", "gate-label"] where fields[key] != nil && trigger != .approved {
            throw fields[key]!.error("'\(key):' is for the gate ('on: approved')")
        }
        if case .periodic = trigger, let branches = fields["branches"] {
            throw branches.error("a periodic pipeline runs on the default branch; 'branches:' is for forge events")
        }
        guard let list = fields["jobs"], case let names = try list.strings(), !names.isEmpty else {
            throw value.error("pipeline '\(name)' needs 'jobs:' (the jobs it runs)")
        }
        for (index, job) in names.enumerated() where !jobs.contains(job) {
            let place = (try? list.items())?[index] ?? list
            throw place.error("pipeline '\(name)' runs job '\(job)', which is not defined\(Suggestion.phrase(for: job, in: jobs))")
        }
        var merge: MergeMethod?
        if trigger == .approved {
            merge = .merge
            if let field = fields["merge"] {
                let text = try field.string()
                guard let method = MergeMethod(rawValue: text) else {
                    throw field.error("'merge:' takes merge, rebase or squash, not '\(text)'")
                }
                merge = method
            }
        }
        return PipelineSpec(
            name: name,
            trigger: trigger,
            jobs: names,
            branches: try fields["branches"]?.strings() ?? [],
            merge: merge,
            gateLabel: try fields["gate-label"]?.string(),
            location: value.location
        )
    }
}
