import Foundation

extension Signature {
    /// Reads one signature file; its name is the file's name without `.yml` or `.yaml`.
    public static func load(path: String) throws(HangarError) -> Signature {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .usage("signature.unreadable", "cannot read \(path): \(error.localizedDescription)", at: path)
        }
        let file = URL(fileURLWithPath: path).lastPathComponent
        let name = file.replacingOccurrences(of: ".yaml", with: "").replacingOccurrences(of: ".yml", with: "")
        return try parse(text, name: name, file: path)
    }

    /// A signature from its YAML text (`file` names it in errors, with line and column).
    public static func parse(_ text: String, name: String, file: String) throws(HangarError) -> Signature {
        let root = try YAMLValue.parse(text, file: file)
        var kind: Kind?
        var pattern: String?
        var scope = Scope()
        var issue: String?
        var description: String?
        var retries: Int?
        var delay: Double?
        var patternLocation = root.location
        for (key, value) in try root.entries(allowed: ["kind", "pattern", "scope", "issue", "description", "retries", "delay"]) {
            switch key {
            case "kind":
                let text = try value.string()
                guard let known = Kind(rawValue: text) else {
                    throw value.error(
                        "unknown kind '\(text)'\(Suggestion.phrase(for: text, in: Kind.allCases.map(\.rawValue)))",
                        hint: "one of: \(Kind.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                kind = known
            case "pattern":
                pattern = try value.string()
                patternLocation = value.location
                if pattern?.isEmpty == true {
                    throw value.error("the pattern is empty: it would match every line", hint: "a regular expression for the failure's line")
                }
            case "scope":
                for (field, glob) in try value.entries(allowed: ["project", "job", "task", "test", "image"], what: "scope") {
                    let text = try glob.string()
                    switch field {
                    case "project": scope.project = text
                    case "job": scope.job = text
                    case "task": scope.task = text
                    case "image": scope.image = text
                    default: scope.test = text
                    }
                }
            case "issue": issue = try value.string()
            case "description": description = try value.string()
            case "retries":
                retries = try value.int()
                if let retries, !(0...10).contains(retries) { throw value.error("retries must be from 0 to 10, not \(retries)") }
            default:
                delay = Double(try value.duration().components.seconds)
                if let delay, delay > 86_400 { throw value.error("delay must be from 0s to 24h") }
            }
        }
        guard let kind else {
            throw root.error("a signature needs 'kind:'", hint: "one of: \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let pattern, !pattern.isEmpty else { throw root.error("a signature needs 'pattern:' (a regular expression)") }
        let signature = Signature(
            name: name,
            kind: kind,
            pattern: pattern,
            scope: scope,
            issue: issue,
            description: description,
            retries: retries,
            delay: delay
        )
        try signature.validate(at: patternLocation)
        return signature
    }
}

extension Signature {
    /// Every `*.yml` and `*.yaml` file of `folder`, by name; the first file that cannot be read stops it.
    public static func loadFolder(_ folder: String) throws(HangarError) -> [Signature] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw .usage("signature.folder", "cannot read the signatures folder \(folder)", hint: "create it, or give another with --signatures")
        }
        var signatures: [Signature] = []
        for name in names.sorted() where name.hasSuffix(".yml") || name.hasSuffix(".yaml") {
            let signature = try load(path: "\(folder)/\(name)")
            if signatures.contains(where: { $0.name == signature.name }) {
                throw .usage(
                    "signature.duplicate",
                    "two files in \(folder) name the signature '\(signature.name)'",
                    hint: "keep one of \(signature.name).yml and \(signature.name).yaml"
                )
            }
            signatures.append(signature)
        }
        return signatures
    }
}
