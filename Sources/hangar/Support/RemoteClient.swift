import ArgumentParser
import AsyncHTTPClient
import Foundation
import HangarCore
import HangarMachine
import NIOCore
import NIOHTTP1

/// Where `hangar remote` finds the server and how it signs in.
struct RemoteOptions: ParsableArguments {
    @Option(help: "The server's address (default: $HANGAR_SERVER, else http://127.0.0.1:8400).")
    var server: String?

    @Option(help: "The API token (default: $HANGAR_TOKEN).")
    var token: String?

    /// The client for the server named: an address without `http://` or `https://` is taken as `http://`.
    var client: RemoteClient {
        let environment = ProcessInfo.processInfo.environment
        var base = server ?? environment["HANGAR_SERVER"] ?? "http://127.0.0.1:8400"
        if !base.contains("://") { base = "http://" + base }
        return RemoteClient(base: base.hasSuffix("/") ? String(base.dropLast()) : base, token: token ?? environment["HANGAR_TOKEN"])
    }
}

/// A small client of the server's REST API; errors carry the server's own message.
struct RemoteClient {
    let base: String
    let token: String?

    /// Sends a request and returns the body of a 2xx answer.
    func call(_ method: HTTPMethod, _ path: String, json: Data? = nil) async throws -> Data {
        let response = try await send(method, path, json: json, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        try check(response, body: String(buffer: body))
        return Data(String(buffer: body).utf8)
    }

    /// GETs `path` for a listing: with `raw`, prints the JSON as it came and returns nil; else decodes it.
    func list<T: Decodable>(_ type: T.Type, _ path: String, raw: Bool) async throws -> T? {
        let data = try await call(.GET, path)
        guard !raw else {
            print(String(decoding: data, as: UTF8.self))
            return nil
        }
        return try JSONDecoder().decode(T.self, from: data)
    }

    func decode<T: Decodable>(_ type: T.Type, _ method: HTTPMethod, _ path: String, json: Data? = nil) async throws -> T {
        try JSONDecoder().decode(T.self, from: try await call(method, path, json: json))
    }

    /// Follows a Server-Sent Events stream, handing each event (name, data) to `handle`.
    func events(_ path: String, handle: (String, String) throws -> Void) async throws {
        let response = try await send(.GET, path, json: nil, timeout: .hours(24))
        guard response.status.code < 300 else {
            try check(response, body: String(buffer: try await response.body.collect(upTo: 1 << 20)))
            return
        }
        var pending = ""
        var name = "message"
        var data: [String] = []
        for try await chunk in response.body {
            pending += String(buffer: chunk)
            while let newline = pending.firstIndex(of: "\n") {
                let line = String(pending[..<newline])
                pending.removeSubrange(...newline)
                if line.isEmpty {
                    if !data.isEmpty { try handle(name, data.joined(separator: "\n")) }
                    (name, data) = ("message", [])
                } else if line.hasPrefix("event: ") {
                    name = String(line.dropFirst(7))
                } else if line.hasPrefix("data: ") {
                    data.append(String(line.dropFirst(6)))
                }
            }
        }
    }

    private func send(_ method: HTTPMethod, _ path: String, json: Data?, timeout: TimeAmount) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: json))
        }
        if let problem = await ServerProbe.problem(url: base) {
            throw HangarError(
                .remoteUnreachable,
                "cannot reach the server at \(base): \(problem)",
                hint: "is 'hangar serve' running there? pass --server or set HANGAR_SERVER"
            )
        }
        do {
            return try await HTTPClient.shared.execute(request, timeout: timeout)
        } catch {
            throw HangarError(
                .remoteUnreachable,
                "cannot reach the server at \(base): \(error)",
                hint: "is 'hangar serve' running there? pass --server or set HANGAR_SERVER"
            )
        }
    }

    private func check(_ response: HTTPClientResponse, body: String) throws {
        guard !(200..<300).contains(response.status.code) else { return }
        struct Failure: Decodable {
            struct Detail: Decodable { var message: String }
            var error: Detail
        }
        let message = (try? JSONDecoder().decode(Failure.self, from: Data(body.utf8)))?.error.message ?? body
        let hint: String? =
            switch response.status.code {
            case 401: "pass a token with --token or HANGAR_TOKEN ('hangar token create' on the server makes one)"
            case 403: "ask for a token with a higher role"
            default: nil
            }
        throw HangarError(.remoteRefused, "the server said \(response.status.code): \(message)", hint: hint, kind: .usage)
    }
}
