import HangarAPI
import HangarCore
import Hummingbird
import Synchronization

/// Every route the server registers, by method and path, with who may call it: the token check
/// reads the access from here, and a request whose path exists under other methods gets 405 with
/// `Allow`. Filled in while the router is built, read after.
final class RouteTable: Sendable {
    private struct Route {
        var method: HTTPRequest.Method
        var segments: [Substring]
        var access: Endpoint.Access
    }

    private let routes = Mutex<[Route]>([])

    /// Records a route; `path` in the router's spelling (`runs/:id`, `**` for the rest).
    func add(_ method: HTTPRequest.Method, _ path: String, access: Endpoint.Access) {
        routes.withLock { $0.append(Route(method: method, segments: path.split(separator: "/"), access: access)) }
    }

    /// The methods registered for `path`, sorted.
    func methods(for path: String) -> [HTTPRequest.Method] {
        let parts = path.split(separator: "/")
        return routes.withLock { routes in
            routes.filter { Self.matches($0.segments, parts) }.map(\.method)
        }.sorted { $0.rawValue < $1.rawValue }
    }

    /// Who may call `method` on `path`; nil when no route matches. A literal segment wins over a
    /// parameter (`/login` is a page of its own, not a project).
    func access(_ method: HTTPRequest.Method, _ path: String) -> Endpoint.Access? {
        let parts = path.split(separator: "/")
        return routes.withLock { routes in
            routes.filter { $0.method == method && Self.matches($0.segments, parts) }
                .max { $0.segments.filter { !$0.hasPrefix(":") }.count < $1.segments.filter { !$0.hasPrefix(":") }.count }?.access
        }
    }

    private static func matches(_ pattern: [Substring], _ parts: [Substring]) -> Bool {
        for (index, segment) in pattern.enumerated() {
            if segment == "**" { return parts.count > index }
            guard index < parts.count, segment.hasPrefix(":") || segment == parts[index] else { return false }
        }
        return pattern.count == parts.count
    }
}

/// Answers a method the path does not take with 405 and `Allow` (before asking for a token: the
/// answer is the same for everyone), and gives the router's bare "not found" a message, so every
/// error answer is the documented JSON.
struct RouteMiddleware: RouterMiddleware {
    let table: RouteTable

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        let methods = table.methods(for: request.uri.path)
        if !methods.isEmpty, !methods.contains(request.method) {
            let allowed = methods.map(\.rawValue).joined(separator: ", ")
            throw HTTPError(.methodNotAllowed, headers: [.allow: allowed], message: "\(request.method.rawValue) is not allowed here; use \(allowed)")
        }
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && error.body == nil {
            throw HTTPError(.notFound, message: "nothing at \(request.uri.path.prefix(200)); the API is described at /api/v1/openapi.json")
        }
    }
}

extension Router<ServerContext> {
    /// Registers `handler` for the contract's `operation`, which checks the request's inputs first.
    func on(
        _ operation: Endpoint,
        table: RouteTable,
        use handler: @escaping @Sendable (Request, ServerContext, Inputs) async throws -> some ResponseGenerator
    ) {
        let path = operation.routerPath
        let method = HTTPRequest.Method(operation.method.rawValue)!
        table.add(method, path, access: operation.access)
        on(RouterPath(path), method: method) { request, context in
            try await handler(request, context, try await Inputs(operation, request, context))
        }
    }

    /// Registers a web page (reading: `viewer`) or form (changing: `operator`) unless `access` says otherwise.
    func page(
        _ method: HTTPRequest.Method,
        _ path: String,
        table: RouteTable,
        access: Endpoint.Access? = nil,
        use handler: @escaping @Sendable (Request, ServerContext) async throws -> some ResponseGenerator
    ) {
        table.add(method, path, access: access ?? .role(method == .get ? .viewer : .operator))
        on(RouterPath(path), method: method, use: handler)
    }
}

extension Endpoint {
    /// The path in the router's spelling: `{id}` becomes `:id`, and `{path}` (the rest of the path) `**`.
    var routerPath: String {
        path.split(separator: "/").map { segment in
            guard segment.hasPrefix("{") else { return String(segment) }
            let name = segment.dropFirst().dropLast()
            return name == "path" ? "**" : ":\(name)"
        }.joined(separator: "/")
    }
}
