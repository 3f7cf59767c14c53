import Foundation
import Hummingbird
import Mustache

/// Answers a browser's page request that fails with a page, not the API's JSON: a missing run or
/// project is a 404 page, a bad filter a 400 page. A stale or revoked token in the UI's cookie
/// leads to the sign-in page (and the cookie is dropped) rather than to a 401.
struct PageErrors: RouterMiddleware {
    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        guard Self.isPage(request.uri.path) else { return try await next(request, context) }
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            let staleCookie = request.cookies["hangar_token"] != nil && request.headers[.authorization] == nil
            if error.status == .unauthorized, staleCookie, request.method == .get {
                let path = request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
                var response = Response(
                    status: .seeOther,
                    headers: [.location: "/login?next=\(path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")"]
                )
                response.setCookie(Cookie(name: "hangar_token", value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict))
                return response
            }
            let view = ErrorPage(
                chrome: Chrome(error.status.reasonPhrase, context),
                heading: "\(error.status.code) · \(error.status.reasonPhrase)",
                message: error.body ?? error.status.reasonPhrase
            )
            guard let html = WebUI.library.render(view, withTemplate: "error") else { throw error }
            var headers = error.headers
            headers[.contentType] = "text/html; charset=utf-8"
            return Response(status: error.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
        }
    }

    /// True for the UI's pages: everything but the API, the webhooks and the probes.
    static func isPage(_ path: String) -> Bool {
        !path.hasPrefix("/api/") && !path.hasPrefix("/hooks/") && !["/healthz", "/readyz", "/metrics"].contains(path)
    }
}

struct ErrorPage {
    var chrome: Chrome
    var heading: String
    var message: String
}
