import Foundation
import Yams

/// One value of a YAML file with its position, so every error can say `file:line:column`.
///
/// Handlers read their options through this type; it knows the YAML shape rules of hangar.yml:
/// unknown keys are errors (with a suggestion), sizes and durations are parsed where they are read.
// `@unchecked`: Yams' `Node` is an immutable value type that is not annotated `Sendable`.
public struct YAMLValue: @unchecked Sendable {
    let node: Node
    /// The file the value came from, as the user named it.
    public let file: String

    init(_ node: Node, file: String) {
        self.node = node
        self.file = file
    }

    /// Parses YAML text; a syntax error says where it is, and for the usual causes what to do.
    public static func parse(_ text: String, file: String) throws(HangarError) -> YAMLValue {
        // YAML forbids tabs in indentation, and says so obscurely.
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard let tab = line.prefix(while: { $0 == " " || $0 == "\t" }).firstIndex(of: "\t") else { continue }
            let column = line.distance(from: line.startIndex, to: tab) + 1
            throw .usage(
                .configSyntax,
                "a tab in the indentation",
                hint: "indent with spaces; YAML does not allow tabs there",
                at: "\(file):\(number + 1):\(column)"
            )
        }
        do {
            guard let node = try Yams.compose(yaml: text) else { return YAMLValue(Node([(Node, Node)]()), file: file) }
            return YAMLValue(node, file: file)
        } catch let error as YamlError {
            throw syntaxError(error, file: file, text: text)
        } catch {
            throw .usage(.configSyntax, "\(error)", at: file)
        }
    }

    private static func syntaxError(_ error: YamlError, file: String, text: String) -> HangarError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = [context.map { "\($0.text)" }, problem].compactMap { $0 }.joined(separator: ": ")
            let hint: String? =
                problem.contains("mapping values are not allowed")
                ? "a value with ': ' in it needs quotes, such as run: 'echo \"a: b\"'"
                : problem.contains("did not find expected") ? "check the brackets, quotes and indentation just before here" : nil
            // A quote or bracket never closed is noticed at the end of the file; where it opened is the place.
            let place = problem.contains("end of stream") ? context?.mark ?? mark : mark
            return .usage(.configSyntax, "invalid YAML: \(detail)", hint: hint, at: "\(file):\(place.line):\(place.column)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Yams marks the key's first place; the mistake is its second, as yamllint says.
            let first = (line: context.mark.line, column: context.mark.column)
            let place = duplicates.first.flatMap { secondPlace(of: $0, after: first, in: text) } ?? first
            return .usage(
                .configDuplicateKey,
                "duplicate key '\(duplicates.joined(separator: "', '"))' (first at line \(first.line))",
                hint: "each key may appear once in a mapping; keep one",
                at: "\(file):\(place.line):\(place.column)"
            )
        case .reader(let problem, _, _, _):
            return .usage(.configSyntax, "cannot read the file: \(problem)", hint: "hangar.yml must be UTF-8 text", at: file)
        default:
            return .usage(.configSyntax, "invalid YAML", at: file)
        }
    }

    /// Where `key`, first at `first` (1-based line and column), appears again in the same block
    /// mapping: the next line at the same indentation that starts with it, before the mapping ends.
    static func secondPlace(of key: String, after first: (line: Int, column: Int), in text: String) -> (line: Int, column: Int)? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard first.line >= 1, first.line <= lines.count else { return nil }
        let indent = first.column - 1
        for number in first.line..<lines.count {
            let line = lines[number]
            let content = line.drop { $0 == " " }
            let depth = line.count - content.count
            if content.isEmpty || content.hasPrefix("#") { continue }
            if depth < indent { return nil }
            guard depth == indent else { continue }
            for spelling in [key, "\"\(key)\"", "'\(key)'"] where content.hasPrefix(spelling) {
                if content.dropFirst(spelling.count).drop(while: { $0 == " " }).hasPrefix(":") { return (number + 1, indent + 1) }
            }
        }
        return nil
    }

    /// `file:line:column` of this value.
    public var location: String {
        guard let mark = node.mark else { return file }
        return "\(file):\(mark.line):\(mark.column)"
    }

    /// An error at this value's position.
    public func error(_ message: String, hint: String? = nil) -> HangarError {
        .usage(.configInvalid, message, hint: hint, at: location)
    }

    /// True for `~`, `null` or an empty value.
    public var isNull: Bool { node.null != nil }

    /// The value as YAML text, the same for the same value however it was written.
    public var canonical: String { (try? Yams.serialize(node: node, sortKeys: true, sequenceStyle: .block, mappingStyle: .block)) ?? "\(node)" }

    /// The entries of a mapping in file order; keys not in `allowed` are rejected with a suggestion.
    public func entries(allowed: [String]? = nil, what: String = "key") throws(HangarError) -> [(key: String, value: YAMLValue)] {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping (key: value)") }
        var result: [(key: String, value: YAMLValue)] = []
        for (keyNode, valueNode) in mapping {
            let key = YAMLValue(keyNode, file: file)
            guard let name = keyNode.string else { throw key.error("expected a text key") }
            if let allowed, !allowed.contains(name) {
                throw HangarError.usage(
                    .configUnknownKey,
                    "unknown \(what) '\(name)'\(Suggestion.phrase(for: name, in: allowed))",
                    hint: "allowed here: \(allowed.joined(separator: ", "))",
                    at: key.location
                )
            }
            if result.contains(where: { $0.key == name }) { throw key.error("duplicate key '\(name)'") }
            result.append((name, YAMLValue(valueNode, file: file)))
        }
        return result
    }

    /// The value of `key` in a mapping, or nil.
    public subscript(key: String) -> YAMLValue? {
        node[key].map { YAMLValue($0, file: file) }
    }

    /// The items of a sequence.
    public func items() throws(HangarError) -> [YAMLValue] {
        guard case .sequence(let sequence) = node else { throw error("expected a list") }
        return sequence.map { YAMLValue($0, file: file) }
    }

    /// True when this value is a mapping.
    public var isMapping: Bool { if case .mapping = node { true } else { false } }

    /// A scalar as text.
    public func string() throws(HangarError) -> String {
        guard case .scalar(let scalar) = node else { throw error("expected a text value") }
        return scalar.string
    }

    /// A whole number.
    public func int() throws(HangarError) -> Int {
        guard let value = node.int else { throw error("expected a whole number, got '\(node.string ?? "a collection")'") }
        return value
    }

    /// `true` or `false`.
    public func bool() throws(HangarError) -> Bool {
        guard let value = node.bool else { throw error("expected true or false, got '\(node.string ?? "a collection")'") }
        return value
    }

    /// A size such as `2G`.
    public func size() throws(HangarError) -> ByteSize {
        let text = node.int.map(String.init) ?? node.string ?? ""
        guard let size = ByteSize(parsing: text) else {
            throw error("'\(text)' is not a size", hint: "write a number with a unit, such as 512M or 2G")
        }
        return size
    }

    /// A duration such as `30m`.
    public func duration() throws(HangarError) -> Duration {
        let text = node.string ?? ""
        guard let duration = DurationText.parse(text) else {
            throw error("'\(text)' is not a duration", hint: "write a number with a unit, such as 90s, 30m, 1h30m or 7d")
        }
        return duration
    }

    /// A list of text values; a single text value counts as a list of one.
    public func strings() throws(HangarError) -> [String] {
        if case .scalar = node { return [try string()] }
        var result: [String] = []
        for item in try items() { result.append(try item.string()) }
        return result
    }
}
