import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The HTTP the web UI's port proxy (`/machines/RUN/ports/PORT/…`) speaks with a guest: one
/// HTTP/1.0 request per connection, so the answer's body is what comes until the guest closes —
/// no chunked framing to undo, nothing a guest's server must support beyond HTTP/1.0.
///
/// What passes: the method, the path below the proxy's prefix with its query, the body, and the
/// headers but those of one connection (`Connection`, `Transfer-Encoding`, …) and Hangar's own
/// credentials (`Authorization`, the `hangar_token` cookie: a token never reaches a guest). The
/// guest learns the prefix from `X-Forwarded-Prefix`; a redirect to a path of its own
/// (`Location: /login`) comes back under the prefix. Links a page writes as absolute paths do not:
/// a guest's application that is to be used through the proxy writes relative links.
enum ProxiedHTTP {
    /// Headers of one connection, or that the proxy sets itself: passed neither way.
    static let connectionHeaders: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer",
        "transfer-encoding", "upgrade", "content-length", "x-forwarded-prefix",
    ]

    /// The largest head an answer may have.
    static let maxHead = 64 << 10

    /// The request the guest gets, bytes ready to send.
    static func request(method: HTTPRequest.Method, path: String, headers: HTTPFields, prefix: String, body: ByteBuffer) -> ByteBuffer {
        var text = "\(method.rawValue) \(path.isEmpty ? "/" : path) HTTP/1.0\r\n"
        for field in headers where !connectionHeaders.contains(field.name.canonicalName) && field.name != .authorization {
            guard field.name == .cookie else {
                text += "\(field.name.rawName): \(field.value)\r\n"
                continue
            }
            let kept = field.value.split(separator: ";").filter {
                !$0.trimmingCharacters(in: .whitespaces).hasPrefix("hangar_token=")
            }
            if !kept.isEmpty { text += "Cookie: \(kept.joined(separator: ";").trimmingCharacters(in: .whitespaces))\r\n" }
        }
        text += "X-Forwarded-Prefix: \(prefix)\r\nConnection: close\r\nContent-Length: \(body.readableBytes)\r\n\r\n"
        var buffer = ByteBuffer(string: text)
        buffer.writeImmutableBuffer(body)
        return buffer
    }

    /// An answer's status line and headers.
    struct Head: Equatable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
    }

    /// The head at the start of `buffer`, read out of it (what stays readable is the body's start);
    /// nil while it is not all there. Throws when the bytes are not an HTTP answer.
    static func head(_ buffer: inout ByteBuffer, prefix: String) throws(HTTPError) -> Head? {
        let bytes = buffer.readableBytesView
        guard let end = endOfHead(bytes) else {
            guard bytes.count <= maxHead else { throw notHTTP("its head is over \(maxHead >> 10) KiB") }
            return nil
        }
        let text = String(decoding: bytes[..<end], as: UTF8.self)
        buffer.moveReaderIndex(forwardBy: end - bytes.startIndex)
        var lines = text.split { $0.isNewline }[...]
        let first = lines.popFirst() ?? ""
        let status = first.split(separator: " ", maxSplits: 2)
        guard status.count >= 2, status[0].hasPrefix("HTTP/"), let code = Int(status[1]), (100...599).contains(code) else {
            throw notHTTP("it began '\(first.prefix(80))'")
        }
        var headers = HTTPFields()
        for line in lines {
            guard let colon = line.firstIndex(of: ":"), let name = HTTPField.Name(String(line[..<colon])) else {
                throw notHTTP("a header line reads '\(line.prefix(80))'")
            }
            guard !connectionHeaders.contains(name.canonicalName) else { continue }
            var value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == .location, value.hasPrefix("/"), !value.hasPrefix("//") { value = prefix + value }
            headers.append(HTTPField(name: name, value: value))
        }
        let reason = status.count > 2 ? String(status[2]) : ""
        return Head(status: HTTPResponse.Status(code: code, reasonPhrase: reason), headers: headers)
    }

    /// Where the head's empty line ends. Lines end with CRLF, or a bare LF as many CGI scripts
    /// write them (RFC 9112 lets a reader take either).
    private static func endOfHead(_ bytes: ByteBufferView) -> Int? {
        var lineStart = bytes.startIndex
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
            let length = index - lineStart
            if length == 0 || (length == 1 && bytes[lineStart] == UInt8(ascii: "\r")) { return index + 1 }
            lineStart = index + 1
        }
        return nil
    }

    private static func notHTTP(_ what: String) -> HTTPError {
        HTTPError(.badGateway, message: "the machine's port did not answer in HTTP: \(what)")
    }
}
