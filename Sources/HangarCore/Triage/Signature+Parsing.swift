import Foundation

extension Signature {
    /// Reads one signature file; its name is the file's name without `.yml` or `.yaml`.
    public static func load(path: String) throws(HangarError) -> Signature {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .usage(.signatureUnreadable, "cannot read \(path): \(error.localizedDescription)", at: path)
        }
        return try parse(text, name: name(ofFile: URL(fileURLWithPath: path).lastPathComponent), file: path)
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

/// A signature file that could not be used, and why (its `error` says where: file:line:col).
public struct SignatureFileProblem: Sendable, Equatable {
    /// The file's name in its folder, such as `mirror-down.yml`.
    public var file: String
    public var error: HangarError

    public init(file: String, error: HangarError) {
        self.file = file
        self.error = error
    }

    /// The signature the file names.
    public var signatureName: String { Signature.name(ofFile: file) }
}

extension Signature {
    /// The signature a file defines: its name without `.yml` or `.yaml`.
    static func name(ofFile file: String) -> String {
        file.replacingOccurrences(of: ".yaml", with: "").replacingOccurrences(of: ".yml", with: "")
    }

    /// Every `*.yml` and `*.yaml` file of `folder`, by name: the signatures of the good files, and
    /// what is wrong with each of the others. Throws only when the folder cannot be read.
    public static func readFolder(_ folder: String) throws(HangarError) -> (signatures: [Signature], problems: [SignatureFileProblem]) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw .usage(.signatureFolder, "cannot read the signatures folder \(folder)", hint: "create it, or give another with --signatures")
        }
        var signatures: [Signature] = []
        var problems: [SignatureFileProblem] = []
        for name in names.sorted() where name.hasSuffix(".yml") || name.hasSuffix(".yaml") {
            do throws(HangarError) {
                let signature = try load(path: "\(folder)/\(name)")
                guard !signatures.contains(where: { $0.name == signature.name }) else {
                    throw .usage(
                        .signatureDuplicate,
                        "two files in \(folder) name the signature '\(signature.name)'",
                        hint: "keep one of \(signature.name).yml and \(signature.name).yaml",
                        at: "\(folder)/\(name)"
                    )
                }
                signatures.append(signature)
            } catch {
                problems.append(SignatureFileProblem(file: name, error: error))
            }
        }
        return (signatures, problems)
    }

    /// Every signature of `folder`; throws when any file is wrong, naming each.
    public static func loadFolder(_ folder: String) throws(HangarError) -> [Signature] {
        let (signatures, problems) = try readFolder(folder)
        guard let first = problems.first else { return signatures }
        guard problems.count > 1 else { throw first.error }
        let each = problems.map { "\n  \($0.error.description.replacingOccurrences(of: "\n", with: "\n  "))" }.joined()
        throw .usage(.signatureFiles, "\(problems.count) signature files in \(folder) are wrong:\(each)")
    }
}
