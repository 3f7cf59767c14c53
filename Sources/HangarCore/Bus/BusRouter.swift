public import Foundation

/// A message from the message bus, as Hangar reads it.
public struct BusMessage: Sendable, Equatable {
    public var routingKey: String
    /// The JSON body's top-level fields, numbers and booleans as text; nil when the body is not a
    /// JSON object.
    public var fields: [String: String]?

    public init(routingKey: String, fields: [String: String]?) {
        self.routingKey = routingKey
        self.fields = fields
    }
}

/// An OBS project's repository (what a `repo.published` message names).
public struct OBSRepository: Sendable, Hashable, Codable {
    public var project: String
    public var repository: String

    public init(project: String, repository: String) {
        self.project = project
        self.repository = repository
    }
}

/// A run a message asks for.
public struct BusRun: Sendable, Hashable {
    public var project: String
    public var job: String
    public var parameters: [String: String]
    /// What started it, for people: `OBS build of JeOS in devel:kanku:images (images/x86_64)`.
    public var cause: String
}

/// What a message comes to: runs to queue now, jobs to park until their repository is published,
/// a repository that was (its parked jobs are queued); or why nothing.
public struct BusOutcome: Sendable, Equatable {
    public var runs: [BusRun] = []
    /// Runs waiting for `OBSRepository` to be published (`obs:` triggers' default `wait-for`).
    public var park: [(repository: OBSRepository, run: BusRun)] = []
    public var published: OBSRepository?
    /// Why nothing comes of it (a package no trigger watches, a routing key never bound).
    public var ignored: String?
    /// Why it cannot be read (not a JSON object, an OBS message without its fields).
    public var invalid: String?

    public static func == (left: BusOutcome, right: BusOutcome) -> Bool {
        left.runs == right.runs && left.park.map(\.repository) == right.park.map(\.repository) && left.park.map(\.run) == right.park.map(\.run)
            && left.published == right.published && left.ignored == right.ignored && left.invalid == right.invalid
    }
}

/// Decides what a bus message starts, from the projects' triggers; pure, so every case is tested
/// without a broker. OBS announces `{prefix}.package.build_success` (fields `project`, `package`,
/// `repository`, `arch`) and `{prefix}.repo.published` (`project`, `repo`).
public struct BusRouter: Sendable {
    /// The routing keys' prefix (`opensuse.obs` on openSUSE's bus).
    public var prefix: String

    public init(prefix: String) { self.prefix = prefix }

    var buildSucceeded: String { "\(prefix).package.build_success" }
    var published: String { "\(prefix).repo.published" }

    /// The routing keys a queue binds for `projects`: OBS's two, and each `amqp:` trigger's.
    public func routingKeys(_ projects: [(name: String, file: ProjectFile)]) -> Set<String> {
        var keys: Set<String> = [buildSucceeded, published]
        for (_, file) in projects {
            for job in file.jobs {
                for case .amqp(let key, _) in job.triggers { keys.insert(key) }
            }
        }
        return keys
    }

    public func route(_ message: BusMessage, projects: [(name: String, file: ProjectFile)]) -> BusOutcome {
        var outcome = BusOutcome()
        guard let fields = message.fields else {
            outcome.invalid = "a message with routing key \(message.routingKey) whose body is not a JSON object"
            return outcome
        }
        switch message.routingKey {
        case buildSucceeded:
            guard let project = fields["project"], let package = fields["package"], let repository = fields["repository"], let arch = fields["arch"]
            else {
                outcome.invalid = "a build_success message without project, package, repository and arch"
                return outcome
            }
            let cause = "OBS build of \(package) in \(project) (\(repository)/\(arch))"
            let parameters = [
                "HANGAR_EVENT": "obs", "HANGAR_OBS_PROJECT": project, "HANGAR_OBS_PACKAGE": package, "HANGAR_OBS_REPOSITORY": repository,
                "HANGAR_OBS_ARCH": arch,
            ]
            for (name, file) in projects {
                for job in file.jobs {
                    for case .obs(let machine, let wait) in job.triggers {
                        guard case .obs(let image)? = file.machines.first(where: { $0.name == machine })?.image,
                            image.project == project, image.package == package, image.repository == repository, image.arch == arch
                        else { continue }
                        let run = BusRun(project: name, job: job.name, parameters: parameters, cause: cause)
                        if wait == .build {
                            outcome.runs.append(run)
                        } else {
                            outcome.park.append((OBSRepository(project: project, repository: repository), run))
                        }
                    }
                }
            }
            if outcome.runs.isEmpty && outcome.park.isEmpty {
                outcome.ignored = "no obs: trigger watches \(package) in \(project) (\(repository)/\(arch))"
            }
        case published:
            guard let project = fields["project"], let repository = fields["repo"] else {
                outcome.invalid = "a repo.published message without project and repo"
                return outcome
            }
            outcome.published = OBSRepository(project: project, repository: repository)
        default:
            for (name, file) in projects {
                for job in file.jobs {
                    for case .amqp(let key, let match) in job.triggers
                    where Self.topic(key, matches: message.routingKey) && match.allSatisfy({ fields[$0.key] == $0.value }) {
                        var parameters = ["HANGAR_EVENT": "amqp", "HANGAR_ROUTING_KEY": message.routingKey]
                        for parameter in job.parameters { if let value = fields[parameter.name] { parameters[parameter.name] = value } }
                        outcome.runs.append(BusRun(project: name, job: job.name, parameters: parameters, cause: "bus message \(message.routingKey)"))
                    }
                }
            }
            if outcome.runs.isEmpty { outcome.ignored = "no amqp: trigger matches a message with routing key \(message.routingKey)" }
        }
        return outcome
    }

    /// True when `key` matches the AMQP topic `pattern` (words between dots; `*` one word, `#` any number).
    public static func topic(_ pattern: String, matches key: String) -> Bool {
        func match(_ pattern: ArraySlice<Substring>, _ words: ArraySlice<Substring>) -> Bool {
            guard let first = pattern.first else { return words.isEmpty }
            if first == "#" { return (0...words.count).contains { match(pattern.dropFirst(), words.dropFirst($0)) } }
            guard let word = words.first, first == "*" || first == word else { return false }
            return match(pattern.dropFirst(), words.dropFirst())
        }
        return match(
            pattern.split(separator: ".", omittingEmptySubsequences: false)[...],
            key.split(separator: ".", omittingEmptySubsequences: false)[...]
        )
    }
}

extension BusMessage {
    /// The message with routing key `routingKey` and JSON body `body`: its top-level text, number and
    /// boolean fields as text (objects, lists and nulls are left out); `fields` nil when the body is
    /// not a JSON object.
    public init(routingKey: String, body: Data) {
        self.init(routingKey: routingKey, fields: (try? JSONDecoder().decode(ScalarFields.self, from: body))?.values)
    }

    private struct ScalarFields: Decodable {
        var values: [String: String] = [:]

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for key in container.allKeys {
                if let text = try? container.decode(String.self, forKey: key) {
                    values[key.stringValue] = text
                } else if let number = try? container.decode(Int.self, forKey: key) {
                    values[key.stringValue] = String(number)
                } else if let number = try? container.decode(Double.self, forKey: key) {
                    values[key.stringValue] = String(number)
                } else if let flag = try? container.decode(Bool.self, forKey: key) {
                    values[key.stringValue] = String(flag)
                }
            }
        }
    }
}
