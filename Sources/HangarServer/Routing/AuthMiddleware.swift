import Foundation
import HangarAPI
import HangarCore
import HangarStore
import Hummingbird

/// Checks every request's token (`Authorization: Bearer T`, or the web UI's `hangar_token` cookie)
/// against the access its route declares (`RouteTable`): open (probes, the document, sign-in),
/// webhook (the forge's signature is checked instead), or a role: `viewer` reads (or anyone, when
/// the server allows anonymous reads), `operator` changes runs, `admin` manages tokens. A path no
/// route matches needs `viewer`, so strangers learn nothing from a 404.
///
/// A token that is not known gets 401 everywhere; a known one short of the role gets 403 (an admin
/// token also reaches the worker routes; a worker token reads what anonymous callers may, with
/// `--anonymous-read`). A web page asked for without a token redirects to the login page.
struct AuthMiddleware: RouterMiddleware {
    let store: RunStore
    let anonymousRead: Bool
    let table: RouteTable

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        var context = context
        let path = request.uri.path
        guard let needed = requiredRole(method: request.method, path: path) else { return try await next(request, context) }
        if let secret = Self.token(in: request) {
            guard let token = try await store.token(secret: secret) else {
                throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "the token is not valid (revoked, or mistyped)")
            }
            context.role = token.role
            context.caller = token.name
            context.signedIn = true
        } else if anonymousRead, needed == .viewer {
            context.role = .viewer
        }
        guard let role = context.role else {
            if !path.hasPrefix("/api/"), request.method == .get {
                let next = path + (request.uri.query.map { "?\($0)" } ?? "")
                return Response(
                    status: .seeOther,
                    headers: [.location: "/login?next=\(next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")"]
                )
            }
            throw HTTPError(
                .unauthorized,
                headers: [.wwwAuthenticate: "Bearer"],
                message: "this needs a token: send 'Authorization: Bearer TOKEN' (create one with 'hangar token create')"
            )
        }
        // Any valid token reads what anyone may read without one (a worker token on --anonymous-read).
        guard role.allows(needed) || (anonymousRead && needed == .viewer) else {
            throw HTTPError(.forbidden, message: "this needs the \(needed.rawValue) role; your token has \(role.rawValue)")
        }
        return try await next(request, context)
    }

    /// The role a route needs, or nil for an open route.
    func requiredRole(method: HTTPRequest.Method, path: String) -> Role? {
        switch table.access(method, path) ?? .role(.viewer) {
        case .open, .webhook: nil
        case .role(let role): role
        }
    }

    /// The bearer token, else the UI's cookie.
    static func token(in request: Request) -> String? {
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            return String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        }
        return request.cookies["hangar_token"]?.value
    }
}
