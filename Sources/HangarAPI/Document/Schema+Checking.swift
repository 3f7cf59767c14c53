import Foundation

extension Schema {
    /// The first way `value` breaks this schema, as a sentence naming where (`parameters.NAME`), or
    /// nil when it fits. References are looked up in `Contract.schemas`.
    public func problem(with value: JSONValue, at place: String) -> String? {
        let name = place.isEmpty ? "the body" : "'\(place)'"
        switch (self, value) {
        case (.string(let maxLength, let choices, let pattern), .string(let text)):
            return problem(withText: text, maxLength: maxLength, choices: choices, pattern: pattern, name: name)
        case (.integer(let range), .number(let number)):
            guard number == number.rounded(), let whole = Int(exactly: number), range.contains(whole) else {
                return "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)"
            }
            return nil
        case (.number, .number), (.boolean, .bool), (.anyObject, .object): return nil
        case (.array(let items, let maxItems), .array(let values)):
            if let maxItems, values.count > maxItems { return "\(name) may have at most \(maxItems) items" }
            for (index, item) in values.enumerated() {
                if let problem = items.problem(with: item, at: "\(place)[\(index)]") { return problem }
            }
            return nil
        case (.object(let properties, let required), .object(let members)):
            for key in required.sorted() where members[key] == nil { return "\(name) needs '\(join(place, key))'" }
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                guard let schema = properties[key] else {
                    return "\(name) has no field '\(key)'; it takes \(properties.keys.sorted().map { "'\($0)'" }.joined(separator: ", "))"
                }
                if let problem = schema.problem(with: member, at: join(place, key)) { return problem }
            }
            return nil
        case (.map(let values, let maxProperties), .object(let members)):
            if let maxProperties, members.count > maxProperties { return "\(name) may have at most \(maxProperties) entries" }
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                if let problem = values.problem(with: member, at: join(place, key)) { return problem }
            }
            return nil
        case (.oneOf(let choices, _), _):
            let fitting = choices.filter { $0.problem(with: value, at: place) == nil }
            return fitting.count == 1 ? nil : "\(name) must be \(kind)"
        case (.reference(let reference), _):
            guard let type = Contract.schemas.first(where: { $0.schemaName == reference }) else { return "no schema '\(reference)'" }
            return type.schema.problem(with: value, at: place)
        default:
            return "\(name) must be \(kind)"
        }
    }

    /// The first way a parameter's text breaks this schema (a scalar: string or integer), or nil.
    public func problem(withText text: String, name: String) -> String? {
        switch self {
        case .integer(let range):
            guard let number = Int(text), range.contains(number) else {
                return "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text.prefix(40))'"
            }
            return nil
        case .string(let maxLength, let choices, let pattern):
            return problem(withText: text, maxLength: maxLength, choices: choices, pattern: pattern, name: name)
        default:
            return "\(name) cannot be given as text"
        }
    }

    private func problem(withText text: String, maxLength: Int?, choices: [String]?, pattern: String?, name: String) -> String? {
        if let maxLength, text.unicodeScalars.count > maxLength { return "\(name) may be at most \(maxLength) characters long" }
        if let choices, !choices.contains(text) { return "\(name) must be one of \(choices.joined(separator: ", ")), not '\(text.prefix(40))'" }
        if let pattern, text.range(of: pattern, options: .regularExpression) == nil { return "\(name) has characters it may not have" }
        return nil
    }

    private func join(_ place: String, _ key: String) -> String { place.isEmpty ? key : "\(place).\(key)" }

    /// What a value of this schema is, for messages.
    var kind: String {
        switch self {
        case .string: "text"
        case .integer(let range): "a whole number from \(range.lowerBound) to \(range.upperBound)"
        case .number: "a number"
        case .boolean: "true or false"
        case .array: "a list"
        case .object, .map, .anyObject: "an object"
        case .binary: "bytes"
        case .reference(let name): "a \(name) object"
        case .oneOf(_, let description): description
        }
    }
}
