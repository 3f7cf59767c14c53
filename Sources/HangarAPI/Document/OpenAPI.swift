public import Foundation
import HangarCore

/// The OpenAPI 3.1 document of `Contract`, served at `/api/v1/openapi.json`.
public enum OpenAPI {
    /// The document as a JSON tree.
    public static let document: JSONValue = {
        var paths: [String: JSONValue] = [:]
        for operation in Contract.endpoints {
            var item = paths[operation.path]?.members ?? [:]
            item[operation.method.rawValue.lowercased()] = json(operation)
            paths[operation.path] = .object(item)
        }
        var schemas: [String: JSONValue] = [:]
        for type in Contract.schemas { schemas[type.schemaName] = type.schema.json }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Hangar", "version": "1",
                "description": "Boots operating-system images as throwaway VMs and runs jobs in them. Limits: see each schema's maximums.",
            ],
            "components": [
                "schemas": .object(schemas),
                "securitySchemes": [
                    "token": ["type": "http", "scheme": "bearer", "description": "A token from `hangar token create`."],
                    "cookie": ["type": "apiKey", "in": "cookie", "name": "hangar_token", "description": "The web UI's sign-in cookie."],
                ],
            ],
            "paths": .object(paths),
        ]
    }()

    /// The document as JSON text.
    public static let json: Data = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do {
            return try encoder.encode(document)
        } catch {
            preconditionFailure("the OpenAPI document does not encode: \(error)")
        }
    }()

    private static func json(_ operation: Endpoint) -> JSONValue {
        var value: [String: JSONValue] = [
            "operationId": .string(operation.id),
            "summary": .string(operation.summary),
            "parameters": .array(operation.parameters.map(json)),
            "responses": .object(Dictionary(uniqueKeysWithValues: operation.allResponses.map { ("\($0.status)", json($0)) })),
        ]
        switch operation.access {
        case .open, .webhook: value["security"] = []
        case .role(let role):
            value["security"] = [["token": []], ["cookie": []]]
            value["description"] = .string(
                "Needs a token with the \(role.rawValue) role\(role == .viewer ? " (or none, when the server allows anonymous reads)" : "")."
            )
        }
        if let body = operation.body {
            value["requestBody"] = ["required": .bool(body.required), "content": ["application/json": ["schema": body.schema.json]]]
        }
        if let body = operation.rawBody {
            value["requestBody"] = ["required": true, "content": .object(body.media.mapValues { ["schema": $0.json] })]
        }
        return .object(value)
    }

    private static func json(_ parameter: Endpoint.Parameter) -> JSONValue {
        [
            "name": .string(parameter.name), "in": .string(parameter.location.rawValue), "required": .bool(parameter.required),
            "description": .string(parameter.description), "schema": parameter.schema.json,
        ]
    }

    private static func json(_ response: Endpoint.Response) -> JSONValue {
        var value: [String: JSONValue] = ["description": .string(response.description)]
        if let content = response.content {
            value["content"] = .object(
                Dictionary(uniqueKeysWithValues: ([content.mediaType] + content.alternatives).map { ($0, ["schema": content.schema.json]) })
            )
        }
        return .object(value)
    }
}
