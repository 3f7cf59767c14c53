import AsyncHTTPClient
public import HangarCore
import NIOCore
import NIOHTTP1

/// A POST of JSON to a webhook: the server's `notify:` and the `notify` handler.
public enum Webhook {
    /// POSTs `json` to `url`; throws `notify.webhook` unless it answers 2xx within 15 s.
    public static func post(_ json: String, to url: String) async throws(HangarError) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "hangar/\(HangarVersion.current)")
        request.body = .bytes(ByteBuffer(string: json))
        // Said at once when nothing listens there (the HTTP client retries for 10 s).
        if let problem = await ServerProbe.problem(url: url) { throw HangarError(.notifyWebhook, "cannot post to \(url): \(problem)") }
        let code: UInt
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
            _ = try await response.body.collect(upTo: 1 << 20)
            code = response.status.code
        } catch {
            throw HangarError(.notifyWebhook, "cannot post to \(url): \(error)", cause: error)
        }
        guard (200..<300).contains(code) else { throw HangarError(.notifyWebhook, "\(url) answered HTTP \(code)") }
    }
}
