import Foundation

/// The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.json`. A test checks that
/// its operations and the router's routes are the same set, so neither drifts from the other.
enum OpenAPIDocument {
    /// One operation: method, path (OpenAPI style, `{id}`), summary, query parameters, success status.
    struct Operation {
        var method: String
        var path: String
        var summary: String
        var query: [String] = []
        var status = "200"
        var role = "viewer"
    }

    static let operations: [Operation] = [
        Operation(method: "get", path: "/api/v1/openapi.json", summary: "This document."),
        Operation(method: "get", path: "/api/v1/runs", summary: "Runs, newest first; page with `before` (the last id seen).",
            query: ["state", "project", "job", "before", "limit"]),
        Operation(method: "post", path: "/api/v1/projects/{project}/jobs/{job}/runs",
            summary: "Queue a run. Body (optional): {\"parameters\": {NAME: VALUE}, \"priority\": N}. 400 names an unknown job or a missing parameter.",
            status: "201", role: "operator"),
        Operation(method: "get", path: "/api/v1/runs/{id}", summary: "A run with its tasks."),
        Operation(method: "post", path: "/api/v1/runs/{id}/cancel", summary: "Cancel a queued or running run (409 when it has ended).",
            status: "202", role: "operator"),
        Operation(method: "post", path: "/api/v1/runs/{id}/retrigger", summary: "Queue the same job with the same parameters.",
            status: "201", role: "operator"),
        Operation(method: "get", path: "/api/v1/runs/{id}/log", summary: "The log as text, from line `from` (0-based).", query: ["from"]),
        Operation(method: "get", path: "/api/v1/runs/{id}/log/live",
            summary: "The log as Server-Sent Events (id = line number; resumes with Last-Event-ID), ending with `event: end`.", query: ["from"]),
        Operation(method: "get", path: "/api/v1/runs/{id}/artifacts", summary: "The files the run collected."),
        Operation(method: "get", path: "/api/v1/runs/{id}/artifacts/{name}", summary: "One collected file (`name` may contain `/`, never `..`)."),
        Operation(method: "get", path: "/api/v1/projects", summary: "Projects with their jobs, parameters and configuration errors."),
        Operation(method: "get", path: "/api/v1/projects/{project}", summary: "One project."),
        Operation(method: "get", path: "/api/v1/machines", summary: "Machines on the server's host, with forwarded ports and the ssh command."),
        Operation(method: "get", path: "/api/v1/tokens", summary: "Tokens (never their secrets).", role: "admin"),
        Operation(method: "post", path: "/api/v1/tokens", summary: "Create a token. Body: {\"name\": N, \"role\": viewer|operator|admin}; the secret is returned once.",
            status: "201", role: "admin"),
    ]

    static let json: String = {
        var paths: [String: [String: Any]] = [:]
        for operation in operations {
            let pathParameters = operation.path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
            let parameters = pathParameters.map { ["name": $0, "in": "path", "required": true, "schema": ["type": "string"]] as [String: Any] }
                + operation.query.map { ["name": $0, "in": "query", "required": false, "schema": ["type": "string"]] as [String: Any] }
            paths[operation.path, default: [:]][operation.method] = [
                "summary": operation.summary,
                "description": "Needs the \(operation.role) role (a bearer token; reads may be open to anyone).",
                "parameters": parameters,
                "responses": [operation.status: ["description": "success"], "400": ["description": "bad input, named"],
                    "401": ["description": "no or unknown token"], "403": ["description": "the token's role is too low"],
                    "404": ["description": "not found"]],
            ]
        }
        let document: [String: Any] = [
            "openapi": "3.1.0",
            "info": ["title": "Hangar", "version": "1"],
            "components": ["securitySchemes": ["token": ["type": "http", "scheme": "bearer"]]],
            "security": [["token": []]],
            "paths": paths,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }()
}
