import Foundation
public import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A connection to an AMQP 0-9-1 broker (RabbitMQ), on SwiftNIO: TCP or TLS, PLAIN login,
/// heartbeats both ways, and channels (`openChannel`). One reader hands each frame to its channel;
/// the connection's end — the broker closing it, the socket going, two heartbeats without a frame —
/// fails every channel with the reason, and `closed()` returns it.
public final class AMQPConnection: Sendable {
    /// The largest frame the broker and this client agreed on.
    public let frameMax: UInt32
    /// Seconds between heartbeats both ways (0: none).
    public let heartbeat: UInt16

    private let socket: any Channel
    private struct State {
        var channels: [UInt16: AMQPChannel] = [:]
        var nextChannel: UInt16 = 1
        var closed: AMQPError?
        var waiting: [CheckedContinuation<AMQPError, Never>] = []
        var tasks: [Task<Void, Never>] = []
    }
    private let state = Mutex(State())
    /// When the last frame came, in nanoseconds of the monotonic clock.
    private let lastReceived = Atomic<UInt64>(DispatchTime.now().uptimeNanoseconds)

    /// What its timers (the login's and close's limits, heartbeats) sleep on.
    private let clock: any Clock<Duration>

    private init(socket: any Channel, frameMax: UInt32, heartbeat: UInt16, clock: any Clock<Duration>) {
        self.socket = socket
        self.frameMax = frameMax
        self.heartbeat = heartbeat
        self.clock = clock
    }

    /// Connects to `url` and logs in; `name` shows in the broker's list of connections.
    public static func connect(
        _ url: AMQPURL,
        name: String = "hangar",
        heartbeat: UInt16 = 30,
        timeout: Duration = .seconds(10),
        clock: any Clock<Duration> = ContinuousClock()
    ) async throws(AMQPError) -> AMQPConnection {
        let (frames, continuation) = AsyncStream<AMQPFrame>.makeStream()
        let socket: any Channel
        do {
            socket = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(Int64(timeout.components.seconds)))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if url.tls {
                            let context = try NIOSSLContext(configuration: .makeClientConfiguration())
                            let isAddress = url.host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" }
                            try channel.pipeline.syncOperations.addHandler(
                                try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : url.host)
                            )
                        }
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                        try channel.pipeline.syncOperations.addHandler(FrameForwarder(continuation: continuation))
                    }
                }
                .connect(host: url.host, port: url.port).get()
        } catch {
            throw AMQPError(.unreachable, "cannot connect to \(url.host):\(url.port): \(error)")
        }
        do {
            return try await login(socket, url: url, name: name, heartbeat: heartbeat, frames: frames, timeout: timeout, clock: clock)
        } catch {
            try? await socket.close()
            throw error
        }
    }

    /// The handshake: protocol header, start/start-ok (PLAIN), tune/tune-ok, open/open-ok.
    private static func login(
        _ socket: any Channel,
        url: AMQPURL,
        name: String,
        heartbeat: UInt16,
        frames: AsyncStream<AMQPFrame>,
        timeout: Duration,
        clock: any Clock<Duration>
    ) async throws(AMQPError) -> AMQPConnection {
        var iterator = frames.makeAsyncIterator()
        // A broker that does not answer in time: the socket is closed, which ends the frames.
        let late = Flag()
        let watchdog = Task {
            guard (try? await clock.sleep(for: timeout)) != nil else { return }
            late.set()
            socket.close(promise: nil)
        }
        defer { watchdog.cancel() }
        func next(_ expecting: String) async throws(AMQPError) -> AMQPMethod {
            let frame = await iterator.next()
            if frame == nil, late.isSet {
                throw AMQPError(.timeout, "\(url) did not answer within \(timeout) while \(expecting)")
            }
            switch frame {
            case .method(0, .connectionClose(let reason)):
                let refused = reason.code == 403 || reason.code == 530
                throw AMQPError(
                    refused ? .refused : .closed,
                    refused
                        ? "\(url) refused the login: \(reason) (check the user, the password and the virtual host)"
                        : "\(url) closed the connection while logging in: \(reason)",
                    reason: reason
                )
            case .method(0, let method): return method
            case .malformed(let why): throw AMQPError(.protocolError, "\(url): \(why)")
            case nil:
                throw AMQPError(
                    .refused,
                    "\(url) ended the connection while \(expecting): check the user and the password (or is it an AMQP 0-9-1 broker?)"
                )
            default: throw AMQPError(.protocolError, "\(url) sent an unexpected frame while \(expecting)")
            }
        }
        try send(socket, [], header: true)
        guard case .connectionStart(_, let mechanisms) = try await next("starting") else {
            throw AMQPError(.protocolError, "\(url) did not start the connection")
        }
        guard mechanisms.split(separator: " ").contains("PLAIN") else {
            throw AMQPError(.refused, "\(url) does not take PLAIN logins (it offers \(mechanisms))")
        }
        let properties: AMQPTable = [
            "product": .string("Hangar"), "platform": .string("Swift"), "connection_name": .string(name),
            "capabilities": .table(["consumer_cancel_notify": .bool(true)]),
        ]
        try send(
            socket,
            [.method(channel: 0, .connectionStartOk(clientProperties: properties, mechanism: "PLAIN", response: "\0\(url.user)\0\(url.password)"))]
        )
        guard case .connectionTune(let channels, let frameMax, let serverHeartbeat) = try await next("logging in") else {
            throw AMQPError(.protocolError, "\(url) did not tune the connection")
        }
        let agreedFrame = frameMax == 0 ? 131_072 : min(frameMax, 131_072)
        let agreedHeartbeat = serverHeartbeat == 0 ? heartbeat : heartbeat == 0 ? serverHeartbeat : min(heartbeat, serverHeartbeat)
        try send(
            socket,
            [
                .method(
                    channel: 0,
                    .connectionTuneOk(channelMax: channels == 0 ? 2047 : channels, frameMax: agreedFrame, heartbeat: agreedHeartbeat)
                ),
                .method(channel: 0, .connectionOpen(virtualHost: url.virtualHost)),
            ]
        )
        guard case .connectionOpenOk = try await next("opening virtual host '\(url.virtualHost)'") else {
            throw AMQPError(.protocolError, "\(url) did not open the virtual host")
        }
        let connection = AMQPConnection(socket: socket, frameMax: agreedFrame, heartbeat: agreedHeartbeat, clock: clock)
        // The login's iterator is done with: the reader takes the frames from here on.
        connection.start(reading: frames)
        return connection
    }

    /// Opens a new channel.
    public func openChannel() async throws(AMQPError) -> AMQPChannel {
        let channel = try state.withLock { state throws(AMQPError) -> AMQPChannel in
            if let closed = state.closed { throw closed }
            let channel = AMQPChannel(id: state.nextChannel, connection: self)
            state.channels[channel.id] = channel
            state.nextChannel += 1
            return channel
        }
        try await channel.open()
        return channel
    }

    /// Closes the connection politely (the broker is told), at most `timeout` long.
    public func close(timeout: Duration = .seconds(3)) async {
        let channels = state.withLock { Array($0.channels.values) }
        if (try? write([.method(channel: 0, .connectionClose(AMQPCloseReason(code: 200, text: "bye")))])) != nil {
            let (socket, clock) = (self.socket, self.clock)
            let timer = Task {
                try? await clock.sleep(for: timeout)
                socket.close(promise: nil)
            }
            _ = await closed()
            timer.cancel()
        }
        try? await socket.close()
        end(AMQPError(.closed, "the connection was closed"))
        for channel in channels { channel.fail(AMQPError(.closed, "the connection was closed")) }
    }

    /// Waits until the connection has ended, and says why.
    public func closed() async -> AMQPError {
        await withCheckedContinuation { continuation in
            let closed = state.withLock { state -> AMQPError? in
                if let closed = state.closed { return closed }
                state.waiting.append(continuation)
                return nil
            }
            if let closed { continuation.resume(returning: closed) }
        }
    }

    /// Sends `frames`, in order, in one write.
    func write(_ frames: [AMQPFrame]) throws(AMQPError) {
        if let closed = state.withLock({ $0.closed }) { throw closed }
        try Self.send(socket, frames)
    }

    /// Writes `frames` and has them flushed on the event loop's next turn: frames written meanwhile
    /// (a consumer's acks, a publisher's messages) leave in one system call, in order.
    private static func send(_ socket: any Channel, _ frames: [AMQPFrame], header: Bool = false) throws(AMQPError) {
        var buffer = socket.allocator.buffer(capacity: 256)
        if header { buffer.writeBytes(AMQPFrame.protocolHeader) }
        for frame in frames { frame.encode(into: &buffer) }
        socket.eventLoop.execute {
            socket.write(buffer, promise: nil)
            socket.eventLoop.execute { socket.flush() }
        }
    }

    /// Starts the reader (each frame to its channel) and the heartbeats.
    private func start(reading frames: AsyncStream<AMQPFrame>) {
        let reader = Task { [self] in
            for await frame in frames {
                lastReceived.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
                switch frame {
                case .heartbeat: continue
                case .malformed(let why):
                    socket.close(promise: nil)
                    return end(AMQPError(.protocolError, "the broker sent \(why)"))
                case .method(0, .connectionClose(let reason)):
                    try? write([.method(channel: 0, .connectionCloseOk)])
                    socket.close(promise: nil)
                    return end(AMQPError(.closed, "the broker closed the connection: \(reason)", reason: reason))
                case .method(0, .connectionCloseOk):
                    return end(AMQPError(.closed, "the connection was closed"))
                case .method(0, _):
                    continue
                default:
                    state.withLock { $0.channels[frame.channel] }?.received(frame)
                }
            }
            end(AMQPError(.closed, "the connection to the broker was lost"))
        }
        var tasks = [reader]
        if heartbeat > 0 {
            tasks.append(
                Task { [self] in
                    let interval = UInt64(heartbeat) * 1_000_000_000
                    while (try? await clock.sleep(for: .seconds(Double(heartbeat) / 2))) != nil {
                        if DispatchTime.now().uptimeNanoseconds - lastReceived.load(ordering: .relaxed) > 2 * interval {
                            socket.close(promise: nil)
                            return end(AMQPError(.timeout, "the broker sent nothing for two heartbeats (\(2 * heartbeat) s)"))
                        }
                        try? write([.heartbeat])
                    }
                }
            )
        }
        state.withLock { $0.tasks = tasks }
    }

    /// The connection ended: every channel and everyone waiting is told why (once).
    private func end(_ error: AMQPError) {
        let (channels, waiting, tasks) = state.withLock { state -> ([AMQPChannel], [CheckedContinuation<AMQPError, Never>], [Task<Void, Never>]) in
            guard state.closed == nil else { return ([], [], []) }
            state.closed = error
            defer { state.waiting = [] }
            return (Array(state.channels.values), state.waiting, state.tasks)
        }
        for channel in channels { channel.fail(error) }
        for continuation in waiting { continuation.resume(returning: error) }
        for task in tasks { task.cancel() }
    }
}

/// A thread-safe boolean that only turns on.
private final class Flag: Sendable {
    private let value = Atomic(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

/// Cuts the bytes from the broker into frames.
private struct FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = AMQPFrame

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = AMQPFrame.decode(&buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        if case .malformed = frame { buffer.moveReaderIndex(to: buffer.writerIndex) }
        return .continue
    }
}

/// Hands the frames to the connection's reader; the stream ends with the socket.
private final class FrameForwarder: ChannelInboundHandler, Sendable {
    typealias InboundIn = AMQPFrame
    let continuation: AsyncStream<AMQPFrame>.Continuation

    init(continuation: AsyncStream<AMQPFrame>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { continuation.yield(unwrapInboundIn(data)) }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish()
        context.close(promise: nil)
    }
}
