import AsyncAlgorithms
import HangarAPI
import HangarCore
import HangarWorker
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket

/// The web UI's way into a kept machine's web port: `/machines/RUN/ports/PORT/…` reaches the
/// run's first machine, `/machines/RUN/NAME/ports/PORT/…` machine NAME, for whoever may open a
/// tunnel to it (its owner, an admin; signed in with the UI's cookie or a token). Each request is
/// a tunnel of its own — recorded as every tunnel is, reached as every tunnel is (directly for the
/// embedded worker's machines, through a dial-back for another worker's, which waits for that
/// worker's next heartbeat) — carrying one HTTP/1.0 exchange (`ProxiedHTTP`). The answer streams
/// back as the browser takes it: a slow browser slows the guest down, nothing piles up here.
struct PortProxy {
    let tunnels: TunnelRoutes
    let table: RouteTable

    /// How long a guest may take to begin its answer.
    static let answerWait: Duration = .seconds(60)

    static let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]

    func add(to router: Router<ServerContext>) {
        for path in ["machines/:run/ports/:port", "machines/:run/:machine/ports/:port"] {
            for pattern in [path, path + "/**"] {
                for method in Self.methods {
                    table.add(method, pattern, access: .role(.operator))
                    router.on(RouterPath(pattern), method: method) { request, context in try await proxy(request, context) }
                }
            }
        }
    }

    private func proxy(_ request: Request, _ context: ServerContext) async throws -> Response {
        let run = try context.parameters.require("run", as: Int.self)
        let port = try context.parameters.require("port", as: Int.self)
        let name = context.parameters.get("machine")
        let path = request.uri.path
        let prefix = path.split(separator: "/", omittingEmptySubsequences: false).prefix(name == nil ? 5 : 6).joined(separator: "/")
        let query = request.uri.query.map { "?\($0)" } ?? ""
        let rest = String(path.dropFirst(prefix.count))
        // The guest's relative links need the folder's slash.
        guard !rest.isEmpty || request.method != .get else { return Response(status: .permanentRedirect, headers: [.location: prefix + "/" + query]) }
        let target = try await tunnels.target(run: run, machine: name, port: port, context)
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let outgoing = ProxiedHTTP.request(method: request.method, path: rest + query, headers: request.headers, prefix: prefix, body: body)

        let answer = AsyncThrowingChannel<ByteBuffer, any Error>()
        let exchange = Task { [tunnels] in
            do {
                try await tunnels.withTunnel(to: target, by: context.caller ?? "?") { end in
                    try await Self.exchange(outgoing, over: end) { chunk in
                        await answer.send(chunk)
                        try Task.checkCancellation()
                    }
                }
                answer.finish()
            } catch {
                answer.fail(error)
            }
        }
        let timer = Task { [clock = tunnels.broker.clock] in
            try await clock.sleep(for: Self.answerWait)
            answer.fail(
                HTTPError(.gatewayTimeout, message: "port \(port) of machine '\(target.machine.name)' did not answer within \(Self.answerWait)")
            )
            exchange.cancel()
        }
        var start = ByteBuffer()
        var head: ProxiedHTTP.Head?
        do {
            defer { timer.cancel() }
            for try await chunk in answer {
                start.writeImmutableBuffer(chunk)
                head = try ProxiedHTTP.head(&start, prefix: prefix)
                if head != nil { break }
            }
        } catch {
            exchange.cancel()
            throw error as? HTTPError ?? HTTPError(.badGateway, message: "port \(port) of machine '\(target.machine.name)': \(error)")
        }
        guard let head, request.method != .head else {
            exchange.cancel()
            guard let head else { throw HTTPError(.badGateway, message: "port \(port) of machine '\(target.machine.name)' closed without an answer") }
            return Response(status: head.status, headers: head.headers)
        }
        return Response(
            status: head.status,
            headers: head.headers,
            body: ResponseBody { [start] writer in
                do {
                    if start.readableBytes > 0 { try await writer.write(start) }
                    for try await chunk in answer { try await writer.write(chunk) }
                    try await writer.finish(nil)
                } catch {
                    exchange.cancel()
                    throw error
                }
            }
        )
    }

    /// Sends `request` to the machine's port and hands what comes back to `deliver`, until the
    /// guest closes its side.
    private static func exchange(
        _ request: ByteBuffer,
        over end: TunnelRoutes.MachineEnd,
        deliver: (ByteBuffer) async throws -> Void
    ) async throws {
        switch end {
        case .connection(let stream):
            try await stream.executeThenClose { inbound, outbound in
                try await outbound.write(request)
                for try await chunk in inbound { try await deliver(chunk) }
            }
        case .worker(let worker):
            var rest = request
            while let frame = rest.readSlice(length: min(rest.readableBytes, Tunnel.maxFrameSize)), frame.readableBytes > 0 {
                try await worker.outbound.write(.binary(frame))
            }
            for try await frame in worker.inbound where frame.opcode != .text {
                guard frame.data.readableBytes > 0 else {
                    // The guest's bytes ended (an empty frame): so do ours, and both ends close.
                    try await worker.outbound.write(.binary(ByteBuffer()))
                    try await worker.outbound.close(.normalClosure, reason: nil)
                    return
                }
                try await deliver(frame.data)
            }
            throw HTTPError(.badGateway, message: "the machine's end was cut (its worker or the machine went away)")
        }
    }
}
