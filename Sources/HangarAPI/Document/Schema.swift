/// The part of JSON Schema the API's document uses, so every parameter, body and response names
/// its type, its range and its limits in one place that the server also checks against.
public indirect enum Schema: Sendable, Equatable {
    /// Text, at most `maxLength` characters, one of `choices` when given.
    case string(maxLength: Int? = nil, choices: [String]? = nil, pattern: String? = nil)
    /// A whole number in `range`.
    case integer(ClosedRange<Int>)
    /// Any number (times as seconds since 1970).
    case number
    case boolean
    /// A list, at most `maxItems` long.
    case array(Schema, maxItems: Int? = nil)
    /// An object with these properties, of which `required` must be present; no others.
    case object([String: Schema], required: Set<String>)
    /// An object of names to values, at most `maxProperties` of them.
    case map(Schema, maxProperties: Int? = nil)
    /// Any JSON object (a forge's webhook payload).
    case anyObject
    /// Bytes (an upload).
    case binary
    /// A named schema in the document's components.
    case reference(String)
    /// Exactly one of these, described for messages as the text.
    case oneOf([Schema], String)

    /// The JSON Schema text of this schema.
    public var json: JSONValue {
        switch self {
        case .string(let maxLength, let choices, let pattern):
            var value: [String: JSONValue] = ["type": "string"]
            if let maxLength { value["maxLength"] = .number(Double(maxLength)) }
            if let choices { value["enum"] = .array(choices.map(JSONValue.string)) }
            if let pattern { value["pattern"] = .string(pattern) }
            return .object(value)
        case .integer(let range):
            return ["type": "integer", "minimum": .number(Double(range.lowerBound)), "maximum": .number(Double(range.upperBound))]
        case .number: return ["type": "number"]
        case .boolean: return ["type": "boolean"]
        case .array(let items, let maxItems):
            var value: [String: JSONValue] = ["type": "array", "items": items.json]
            if let maxItems { value["maxItems"] = .number(Double(maxItems)) }
            return .object(value)
        case .object(let properties, let required):
            return [
                "type": "object", "properties": .object(properties.mapValues(\.json)),
                "required": .array(required.sorted().map(JSONValue.string)), "additionalProperties": false,
            ]
        case .map(let values, let maxProperties):
            var value: [String: JSONValue] = ["type": "object", "additionalProperties": values.json]
            if let maxProperties { value["maxProperties"] = .number(Double(maxProperties)) }
            return .object(value)
        case .anyObject: return ["type": "object"]
        case .binary: return ["type": "string", "format": "binary"]
        case .reference(let name): return ["$ref": .string("#/components/schemas/\(name)")]
        case .oneOf(let choices, let description): return ["oneOf": .array(choices.map(\.json)), "description": .string(description)]
        }
    }
}

/// A type the API sends or takes as JSON, with the schema its encoding follows.
public protocol Documented: Codable, Sendable {
    /// The schema's name in the document's components.
    static var schemaName: String { get }
    /// The schema of its JSON.
    static var schema: Schema { get }
}

extension Documented {
    public static var schemaName: String { String(describing: Self.self) }
    /// A reference to its component.
    public static var reference: Schema { .reference(schemaName) }
}
