/// A value a run of a job can be given (`hangar run JOB --param NAME=VALUE`, the API, the trigger
/// form). Tasks see it as an environment variable of that name, on the host and in the guest.
public struct JobParameter: Sendable, Codable, Equatable {
    /// The variable's name: letters, digits and `_`, not starting with a digit.
    public var name: String
    /// A run must give it (and `defaultValue` is nil).
    public var required: Bool
    /// The value when a run does not give one.
    public var defaultValue: String?
    /// What it is for, shown on the trigger form.
    public var description: String?

    /// A parameter called `name`.
    public init(name: String, required: Bool = false, defaultValue: String? = nil, description: String? = nil) {
        self.name = name
        self.required = required
        self.defaultValue = defaultValue
        self.description = description
    }

    /// True for a name a shell accepts as a variable.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }
}

extension JobSpec {
    /// The values a run gets: `given` checked against the declared parameters, defaults filled in.
    /// Names starting with `HANGAR_` are Hangar's own (a forge run's `HANGAR_COMMIT`, `HANGAR_REF`,
    /// `HANGAR_EVENT`) and pass without being declared. Throws a usage error naming an unknown or a
    /// missing required parameter.
    public func resolve(parameters given: [String: String]) throws(HangarError) -> [String: String] {
        let names = parameters.map(\.name)
        for name in given.keys.sorted() where !names.contains(name) && !name.hasPrefix("HANGAR_") {
            throw .usage(
                .jobUnknownParameter,
                "job '\(self.name)' has no parameter '\(name)'\(Suggestion.phrase(for: name, in: names))",
                hint: names.isEmpty ? "this job takes no parameters" : "its parameters: \(names.joined(separator: ", "))"
            )
        }
        var values = given.filter { $0.key.hasPrefix("HANGAR_") }
        for parameter in parameters {
            if let value = given[parameter.name] ?? parameter.defaultValue {
                values[parameter.name] = value
            } else if parameter.required {
                throw .usage(
                    .jobMissingParameter,
                    "job '\(self.name)' needs parameter '\(parameter.name)'",
                    hint: parameter.description.map { "\(parameter.name): \($0)" }
                )
            }
        }
        return values
    }
}
