/// What starts a job on the server besides a click or an API call.
public enum JobTrigger: Sendable, Equatable {
    /// A push to one of `branches` (any branch when empty), announced by the project's forge webhook.
    case push(branches: [String])
    /// A pull (GitHub, Gitea) or merge (GitLab) request opened, reopened or given new commits, whose
    /// target is one of `branches` (any branch when empty).
    case pullRequest(branches: [String])
    /// A schedule; with `imageChanged`, a due run is skipped when the job's image did not change
    /// since the last scheduled run (kanku's OBSCheck behaviour).
    case cron(CronSchedule, imageChanged: Bool)
    /// The build service built `machine`'s OBS image (`hangar serve --bus`): at once, or once the
    /// repository is published too.
    case obs(machine: String, waitFor: OBSWait)
    /// A message on the bus with this routing key whose JSON fields have these values (compared as
    /// text); the job's parameters are taken from the message's fields of the same names.
    case amqp(routingKey: String, match: [String: String])
}

/// What an `obs:` trigger waits for after the package's build succeeded.
public enum OBSWait: String, Sendable, Equatable {
    /// The repository's publication (the image is downloadable): kanku's behaviour and the default.
    case published
    /// Nothing more: the run starts at the build's end (it boots an image from the API, say).
    case build
}

/// The forge a project's code lives on: where its webhooks come from and where commit statuses go.
///
/// Secrets stay out of hangar.yml: the file names the environment variables of the server that hold them.
public struct ForgeSpec: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case github, gitlab, gitea }

    public var kind: Kind
    /// `owner/name` (GitLab: the project's full path).
    public var repository: String
    /// The forge's API base: `https://api.github.com`, or the GitLab/Gitea server's URL.
    public var apiURL: String
    /// The variable holding the webhook secret (GitHub and Gitea sign with it, GitLab sends it as a token).
    public var secretVariable: String
    /// The variable holding the API token used to report commit statuses; none: statuses are not reported.
    public var tokenVariable: String?
    /// Whose pull requests run at once (`trust:`).
    public var trust: Trust = .members

    /// `members` (the default): a pull request by someone outside the repository's members runs
    /// nothing until a member comments `/hangar ok-to-test`; `everyone`: every request runs.
    public enum Trust: String, Sendable, CaseIterable { case members, everyone }

    public init(kind: Kind, repository: String, apiURL: String, secretVariable: String, tokenVariable: String?, trust: Trust = .members) {
        self.kind = kind
        self.repository = repository
        self.apiURL = apiURL
        self.secretVariable = secretVariable
        self.tokenVariable = tokenVariable
        self.trust = trust
    }
}

extension JobTrigger {
    static func parse(_ value: YAMLValue) throws(HangarError) -> JobTrigger {
        if !value.isMapping, try value.string() == "pull-request" { return .pullRequest(branches: []) }
        let entries = try value.entries(allowed: ["cron", "timezone", "when", "push", "pull-request", "obs", "wait-for", "amqp"])
        let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        if let machine = fields["obs"] {
            var wait = OBSWait.published
            if let field = fields["wait-for"] {
                let text = try field.string()
                guard let chosen = OBSWait(rawValue: text) else {
                    throw field.error("'wait-for:' takes 'published' (the default) or 'build', not '\(text)'")
                }
                wait = chosen
            }
            return .obs(machine: try machine.string(), waitFor: wait)
        }
        if let amqp = fields["amqp"] {
            let bus = Dictionary(
                try amqp.entries(allowed: ["routing-key", "match"]).map { ($0.key, $0.value) },
                uniquingKeysWith: { first, _ in first }
            )
            guard let key = try bus["routing-key"]?.string(), !key.isEmpty else { throw amqp.error("'amqp:' needs 'routing-key:'") }
            var match: [String: String] = [:]
            for (name, value) in try bus["match"]?.entries() ?? [] { match[name] = try value.string() }
            return .amqp(routingKey: key, match: match)
        }
        if let push = fields["push"] {
            return .push(branches: push.isNull ? [] : try push.strings())
        }
        if let request = fields["pull-request"] {
            return .pullRequest(branches: request.isNull ? [] : try request.strings())
        }
        guard let cron = fields["cron"] else { throw value.error("a trigger needs one of 'cron:', 'push:', 'pull-request', 'obs:' or 'amqp:'") }
        let zone = try fields["timezone"]?.string() ?? "UTC"
        let schedule: CronSchedule
        do {
            schedule = try CronSchedule(try cron.string(), timeZone: zone)
        } catch {
            throw cron.error(error.message, hint: error.hint)
        }
        var imageChanged = false
        if let when = fields["when"] {
            guard try when.string() == "image-changed" else { throw when.error("'when:' takes 'image-changed'") }
            imageChanged = true
        }
        return .cron(schedule, imageChanged: imageChanged)
    }
}

extension ForgeSpec {
    static func parse(_ value: YAMLValue) throws(HangarError) -> ForgeSpec {
        let entries = try value.entries(allowed: ["type", "repository", "url", "secret-env", "token-env", "trust"])
        let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        guard let typeValue = fields["type"] else { throw value.error("'forge:' needs 'type:' (github, gitlab or gitea)") }
        let name = try typeValue.string()
        guard let kind = Kind(rawValue: name) else {
            throw typeValue.error(
                "unknown forge type '\(name)'\(Suggestion.phrase(for: name, in: Kind.allCases.map(\.rawValue)))",
                hint: "github, gitlab or gitea"
            )
        }
        guard let repository = try fields["repository"]?.string() else { throw value.error("'forge:' needs 'repository:' (owner/name)") }
        let url = try fields["url"]?.string() ?? (kind == .github ? "https://api.github.com" : "")
        guard !url.isEmpty else { throw value.error("'forge:' needs 'url:' for \(name) (the server's address)") }
        var trust = Trust.members
        if let field = fields["trust"] {
            let text = try field.string()
            guard let given = Trust(rawValue: text) else { throw field.error("'trust:' takes members or everyone, not '\(text)'") }
            trust = given
        }
        return ForgeSpec(
            kind: kind,
            repository: repository,
            apiURL: url.hasSuffix("/") ? String(url.dropLast()) : url,
            secretVariable: try fields["secret-env"]?.string() ?? "HANGAR_WEBHOOK_SECRET",
            tokenVariable: try fields["token-env"]?.string(),
            trust: trust
        )
    }
}
