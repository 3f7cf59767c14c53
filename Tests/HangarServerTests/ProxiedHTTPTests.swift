import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@testable import HangarServer

/// What the web UI's port proxy sends a guest and how it reads the answer's head, without I/O.
@Suite struct ProxiedHTTPTests {
    let prefix = "/machines/7/ports/80"

    @Test func theRequestCarriesNoneOfHangarsCredentialsNorConnectionHeaders() {
        var headers: HTTPFields = [
            .authorization: "Bearer secret", .cookie: "theme=dark; hangar_token=secret; lang=en", .connection: "keep-alive",
            .transferEncoding: "chunked", .accept: "text/html",
        ]
        headers.append(HTTPField(name: .cookie, value: "hangar_token=secret"))
        let request = ProxiedHTTP.request(method: .post, path: "/form?x=1", headers: headers, prefix: prefix, body: ByteBuffer(string: "a=b"))
        let text = String(buffer: request)
        #expect(text.hasPrefix("POST /form?x=1 HTTP/1.0\r\n"))
        #expect(!text.contains("secret"), "a token never reaches the guest: \(text)")
        #expect(text.contains("Cookie: theme=dark; lang=en\r\n") && text.contains("Accept: text/html\r\n"))
        #expect(!text.contains("chunked") && !text.contains("keep-alive"))
        #expect(text.hasSuffix("X-Forwarded-Prefix: \(prefix)\r\nConnection: close\r\nContent-Length: 3\r\n\r\na=b"))
        let root = ProxiedHTTP.request(method: .get, path: "", headers: [:], prefix: prefix, body: ByteBuffer())
        #expect(String(buffer: root).hasPrefix("GET / HTTP/1.0\r\n"))
    }

    @Test func theHeadIsReadOnceWholeAndItsRedirectsStayUnderThePrefix() throws {
        var partial = ByteBuffer(string: "HTTP/1.1 302 Found\r\nLocation: /login\r\n")
        #expect(try ProxiedHTTP.head(&partial, prefix: prefix) == nil)
        #expect(partial.readableBytes == 38, "nothing is read before the head is whole")
        var whole = ByteBuffer(
            string: "HTTP/1.1 302 Found\r\nLocation: /login\r\nTransfer-Encoding: chunked\r\nSet-Cookie: s=1\r\nX-Empty:\r\n\r\nbody starts"
        )
        let head = try #require(try ProxiedHTTP.head(&whole, prefix: prefix))
        #expect(head.status.code == 302 && head.status.reasonPhrase == "Found")
        #expect(head.headers[.location] == "\(prefix)/login")
        #expect(head.headers[.setCookie] == "s=1" && head.headers[.transferEncoding] == nil)
        #expect(String(buffer: whole) == "body starts")
        var bareLines = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\n\nfrom a CGI script")
        #expect(try ProxiedHTTP.head(&bareLines, prefix: prefix)?.headers[.contentType] == "text/plain")
        #expect(String(buffer: bareLines) == "from a CGI script", "a bare LF ends a line too")
        var elsewhere = ByteBuffer(string: "HTTP/1.0 301 Moved\r\nLocation: https://example.org/\r\n\r\n")
        #expect(try ProxiedHTTP.head(&elsewhere, prefix: prefix)?.headers[.location] == "https://example.org/")
    }

    @Test func bytesThatAreNotHTTPAreABadGatewaySayingWhat() {
        func refusal(_ text: String) -> String? {
            var buffer = ByteBuffer(string: text)
            do {
                _ = try ProxiedHTTP.head(&buffer, prefix: prefix)
                return nil
            } catch {
                #expect(error.status == .badGateway)
                return error.body
            }
        }
        #expect(refusal("SSH-2.0-dropbear\r\n\r\n")?.contains("it began 'SSH-2.0-dropbear'") == true)
        #expect(refusal("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")?.contains("a header line reads 'no colon here'") == true)
        #expect(refusal("HTTP/1.1 999 Odd\r\n\r\n") != nil)
        #expect(refusal("\r\n\r\n")?.contains("it began ''") == true)
        #expect(refusal(String(repeating: "x", count: ProxiedHTTP.maxHead + 1))?.contains("over 64 KiB") == true)
    }
}
