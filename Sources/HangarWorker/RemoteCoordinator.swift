import AsyncHTTPClient
import Foundation
import HTTPTypes
public import HangarAPI
public import HangarCore
public import HangarEngine
public import HangarMachine
public import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1

/// The coordinator over HTTP(S): `hangar worker --server URL --token T`. Every request carries
/// the worker token and the worker's name (`Hangar-Worker`); the server's refusals come back as
/// errors with its code (`run.stale`, `log.gap`, `worker.protocol`).
public struct RemoteCoordinator: Coordinator {
    let base: String
    let token: String
    let worker: String
    let paths: HangarPaths

    /// A coordinator at `server` (its address, `http://…` or `https://…`).
    public init(server: String, token: String, worker: String, paths: HangarPaths) {
        base = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.token = token
        self.worker = worker
        self.paths = paths
    }

    public func register(_ status: API.WorkerStatus) async throws {
        // Said at once (not after the HTTP client's retries) when nothing answers at the address.
        if let problem = await ServerProbe.problem(url: base) {
            throw HangarError(.workerUnreachable, "cannot reach the coordinator at \(base): \(problem)")
        }
        // Short: a coordinator that does not answer is reported (and asked again) soon.
        _ = try await call(.POST, "/api/v1/workers/register", json: status, timeout: .seconds(10))
    }

    public func leave(_ status: API.WorkerStatus) async throws {
        _ = try await call(.POST, "/api/v1/workers/leave", json: status, timeout: .seconds(5))
    }

    public func claim(_ status: API.WorkerStatus, wait: Duration) async throws -> API.Assignment? {
        let seconds = Int(wait.seconds)
        let (code, body) = try await call(.POST, "/api/v1/workers/claim?wait=\(seconds)", json: status, timeout: .seconds(Int64(seconds + 30)))
        guard code == 200 else { return nil }
        return try decode(API.Assignment.self, body)
    }

    public func heartbeat(_ beat: API.Heartbeat) async throws -> API.HeartbeatAnswer {
        try decode(API.HeartbeatAnswer.self, try await call(.POST, "/api/v1/workers/heartbeat", json: beat, timeout: .seconds(10)).body)
    }

    public func held(worker: String) async throws -> [API.HeldRun] {
        try decode([API.HeldRun].self, try await call(.GET, "/api/v1/workers/held").body)
    }

    public func report(_ run: API.HeldRun, worker: String, _ report: API.Report) async throws -> Int {
        try decode(API.LogCount.self, try await call(.POST, attempt(run) + "/report", json: report).body).lines
    }

    public func upload(_ run: API.HeldRun, worker: String, artifact path: String, file: String) async throws {
        let size = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        guard let reader = FileChunks(file) else { throw HangarError(.workerArtifact, "cannot read the collected file \(file)") }
        let chunks = AsyncStream<ByteBuffer>(unfolding: { reader.next() })
        let encoded = path.split(separator: "/").map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? String($0) }
        _ = try await call(
            .PUT,
            attempt(run) + "/artifacts/" + encoded.joined(separator: "/"),
            body: .stream(chunks, length: .known(Int64(size))),
            contentType: "application/octet-stream",
            timeout: .seconds(3600)
        )
    }

    public func finish(_ run: API.HeldRun, worker: String, _ outcome: API.Outcome) async throws -> API.Run {
        try decode(API.Run.self, try await call(.POST, attempt(run) + "/finish", json: outcome).body)
    }

    public func release(_ run: API.HeldRun, worker: String) async throws {
        _ = try await call(.POST, attempt(run) + "/release")
    }

    public func dialTunnel(
        _ order: API.TunnelOrder,
        _ body: @escaping @Sendable (WebSocketInboundStream, WebSocketOutboundWriter) async throws -> Void
    ) async throws {
        var configuration = WebSocketClientConfiguration(maxFrameSize: Tunnel.maxFrameSize)
        configuration.additionalHeaders[.authorization] = "Bearer \(token)"
        configuration.additionalHeaders[HTTPField.Name("Hangar-Worker")!] = worker
        let url = (order.url.hasSuffix("/") ? String(order.url.dropLast()) : order.url) + "/api/v1/workers/tunnels/\(order.id)"
        do {
            try await WebSocketClient.connect(url: url, configuration: configuration, logger: Logger(label: "hangar.tunnel")) {
                inbound,
                outbound,
                _ in
                try await body(inbound, outbound)
            }
        } catch {
            throw HangarError(.workerTunnel, "cannot open tunnel \(order.id) at \(url): \(plainNetworkError(error))", cause: error)
        }
    }

    public func runTask(_ run: API.HeldRun, worker: String, position: Int) async throws -> API.TaskResult {
        // As long as the task takes: the run's own timeout ends the wait.
        try decode(API.TaskResult.self, try await call(.POST, attempt(run) + "/tasks/\(position)", timeout: .hours(24)).body)
    }

    public func taskEnded(_ order: API.TaskOrder, worker: String, _ result: API.TaskResult) async throws {
        _ = try await call(.POST, attempt(order.run) + "/tasks/\(order.position)/result", json: result)
    }

    public func workspace(for assignment: API.Assignment, folder: String) async throws -> Workspace {
        try Workspace(
            text: assignment.projectFile,
            path: "\(assignment.projectPath)/hangar.yml",
            paths: paths,
            imageProxy: assignment.imageProxy == true ? ImageCache.Proxy(base: base, token: token, worker: worker) : nil,
            notice: { _ in }
        )
    }

    private func attempt(_ run: API.HeldRun) -> String { "/api/v1/runs/\(run.id)/attempts/\(run.attempt)" }

    private func decode<T: Decodable>(_ type: T.Type, _ body: ByteBuffer) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch {
            throw HangarError(.workerAnswer, "the coordinator at \(base) sent an answer this worker cannot read: \(error)", cause: error)
        }
    }

    private func call(
        _ method: HTTPMethod,
        _ path: String,
        json: (some Encodable)? = nil as String?,
        timeout: TimeAmount = .seconds(60)
    )
        async throws -> (code: UInt, body: ByteBuffer)
    {
        let body = try json.map { HTTPClientRequest.Body.bytes(ByteBuffer(bytes: try JSONEncoder().encode($0))) }
        return try await call(method, path, body: body, contentType: "application/json", timeout: timeout)
    }

    private func call(
        _ method: HTTPMethod,
        _ path: String,
        body: HTTPClientRequest.Body?,
        contentType: String,
        timeout: TimeAmount
    ) async throws
        -> (code: UInt, body: ByteBuffer)
    {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Hangar-Worker", value: worker)
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = body
        }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: timeout)
        } catch {
            throw HangarError(.workerUnreachable, "cannot reach the coordinator at \(base): \(plainNetworkError(error))", cause: error)
        }
        let answer = try await response.body.collect(upTo: 64 << 20)
        guard response.status.code >= 300 else { return (response.status.code, answer) }
        let detail = try? JSONDecoder().decode(API.ErrorBody.self, from: Data(answer.readableBytesView)).error
        let code = detail?.code ?? (response.status.code == 409 ? .runStale : .workerRefused)
        throw HangarError(
            code,
            "the coordinator said \(response.status.code): \(detail?.message ?? String(buffer: answer))",
            kind: response.status.code == 401 || response.status.code == 403 ? .usage : .infrastructure
        )
    }
}

/// A file read a megabyte at a time, for an upload that streams it.
private final class FileChunks: @unchecked Sendable {
    // Read by one upload, one chunk after another.
    private let handle: FileHandle

    init?(_ path: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        self.handle = handle
    }

    func next() -> ByteBuffer? {
        guard let data = try? handle.read(upToCount: 1 << 20), !data.isEmpty else {
            try? handle.close()
            return nil
        }
        return ByteBuffer(bytes: data)
    }
}
