public import NIOCore
import Synchronization

/// A message a consumer got: where it came from, its properties and body, and the tag to ack it by.
public struct AMQPMessage: Sendable {
    public var deliveryTag: UInt64
    public var redelivered: Bool
    public var exchange: String
    public var routingKey: String
    public var properties: AMQPProperties
    public var body: ByteBuffer
}

/// One channel of a connection. Its synchronous methods (declare, bind, qos, consume) are asked one
/// after another and answered in order, as AMQP says; deliveries go to the consumer's stream, at
/// most `basicQos` of them unacknowledged at a time.
public final class AMQPChannel: Sendable {
    public let id: UInt16
    let connection: AMQPConnection

    private struct State {
        var replies: [CheckedContinuation<AMQPMethod, any Error>] = []
        var consumers: [String: AsyncThrowingStream<AMQPMessage, any Error>.Continuation] = [:]
        /// The delivery whose header and body frames are still arriving.
        var incoming: (method: AMQPMethod, header: AMQPContentHeader?, body: ByteBuffer)?
        var closed: AMQPError?
    }

    private let state = Mutex(State())

    init(id: UInt16, connection: AMQPConnection) {
        self.id = id
        self.connection = connection
    }

    /// Opens it (the connection does, before handing it out).
    func open() async throws(AMQPError) {
        _ = try await call(.channelOpen)
    }

    /// Why the channel closed, if it did.
    public var closed: AMQPError? { state.withLock { $0.closed } }

    /// Checks that exchange `name` exists (passive), or declares it.
    public func exchangeDeclare(_ name: String, type: String = "topic", passive: Bool = true, durable: Bool = true) async throws(AMQPError) {
        _ = try await call(.exchangeDeclare(name: name, type: type, passive: passive, durable: durable))
    }

    /// Declares queue `name` (durable: it outlives the broker's restarts; its persistent messages too).
    @discardableResult
    public func queueDeclare(
        _ name: String,
        passive: Bool = false,
        durable: Bool = true,
        exclusive: Bool = false,
        autoDelete: Bool = false,
        arguments: AMQPTable = [:]
    ) async throws(AMQPError) -> (messages: UInt32, consumers: UInt32) {
        let reply = try await call(
            .queueDeclare(name: name, passive: passive, durable: durable, exclusive: exclusive, autoDelete: autoDelete, arguments: arguments)
        )
        guard case .queueDeclareOk(_, let messages, let consumers) = reply else { return (0, 0) }
        return (messages, consumers)
    }

    public func queueBind(_ queue: String, exchange: String, routingKey: String) async throws(AMQPError) {
        _ = try await call(.queueBind(queue: queue, exchange: exchange, routingKey: routingKey))
    }

    public func queueUnbind(_ queue: String, exchange: String, routingKey: String) async throws(AMQPError) {
        _ = try await call(.queueUnbind(queue: queue, exchange: exchange, routingKey: routingKey))
    }

    public func queueDelete(_ name: String) async throws(AMQPError) {
        _ = try await call(.queueDelete(name: name))
    }

    /// At most `prefetch` unacknowledged deliveries at a time on this channel.
    public func basicQos(prefetch: UInt16) async throws(AMQPError) {
        _ = try await call(.basicQos(prefetchCount: prefetch))
    }

    /// Consumes `queue`: its deliveries, until the channel or connection closes (the stream then ends
    /// with the reason). Each must be acknowledged (`ack`), or it is delivered again after a reconnect.
    public func consume(_ queue: String, tag: String = "hangar") async throws(AMQPError) -> AsyncThrowingStream<AMQPMessage, any Error> {
        let (stream, continuation) = AsyncThrowingStream<AMQPMessage, any Error>.makeStream()
        // Registered before asking: deliveries may follow consume-ok at once.
        state.withLock { $0.consumers[tag] = continuation }
        do {
            _ = try await call(.basicConsume(queue: queue, consumerTag: tag, noAck: false))
        } catch {
            _ = state.withLock { $0.consumers.removeValue(forKey: tag) }
            throw error
        }
        return stream
    }

    /// Acknowledges `message`: the broker forgets it.
    public func ack(_ message: AMQPMessage) throws(AMQPError) {
        try send([.method(channel: id, .basicAck(deliveryTag: message.deliveryTag, multiple: false))])
    }

    /// Publishes `body` to `exchange` with `routingKey` (persistent unless `properties` say otherwise).
    public func publish(
        _ body: ByteBuffer,
        exchange: String,
        routingKey: String,
        properties: AMQPProperties = AMQPProperties(deliveryMode: 2)
    ) throws(AMQPError) {
        var frames: [AMQPFrame] = [
            .method(channel: id, .basicPublish(exchange: exchange, routingKey: routingKey)),
            .header(channel: id, AMQPContentHeader(bodySize: UInt64(body.readableBytes), properties: properties)),
        ]
        var rest = body
        let largest = Int(connection.frameMax) - 8
        while rest.readableBytes > 0 { frames.append(.body(channel: id, rest.readSlice(length: min(largest, rest.readableBytes))!)) }
        try send(frames)
    }

    /// Closes the channel.
    public func close() async {
        _ = try? await call(.channelClose(AMQPCloseReason(code: 200, text: "bye")))
        fail(AMQPError(.closed, "the channel was closed"))
    }

    /// Sends `method` and waits for its answer. The order of sending and of waiting is the same
    /// under the lock, so answers (which come in order) meet the right caller.
    private func call(_ method: AMQPMethod) async throws(AMQPError) -> AMQPMethod {
        do {
            return try await withCheckedThrowingContinuation { continuation in
                let refused = state.withLock { state -> AMQPError? in
                    if let closed = state.closed { return closed }
                    do throws(AMQPError) {
                        try connection.write([.method(channel: id, method)])
                    } catch {
                        return error
                    }
                    state.replies.append(continuation)
                    return nil
                }
                if let refused { continuation.resume(throwing: refused) }
            }
        } catch let error as AMQPError {
            throw error
        } catch {
            throw AMQPError(.protocolError, "\(error)")
        }
    }

    private func send(_ frames: [AMQPFrame]) throws(AMQPError) {
        if let closed = state.withLock({ $0.closed }) { throw closed }
        try connection.write(frames)
    }

    /// A frame for this channel, from the connection's reader.
    func received(_ frame: AMQPFrame) {
        switch frame {
        case .method(_, .basicDeliver(let tag, let delivery, let redelivered, let exchange, let key)):
            let method = AMQPMethod.basicDeliver(
                consumerTag: tag,
                deliveryTag: delivery,
                redelivered: redelivered,
                exchange: exchange,
                routingKey: key
            )
            state.withLock { $0.incoming = (method, nil, ByteBuffer()) }
        case .method(_, let method) where method.hasContent:
            // A returned message (nothing here publishes `mandatory`): read past its content.
            state.withLock { $0.incoming = (method, nil, ByteBuffer()) }
        case .method(_, .channelClose(let reason)):
            try? connection.write([.method(channel: id, .channelCloseOk)])
            fail(AMQPError(.closed, "the broker closed channel \(id): \(reason)", reason: reason))
        case .method(_, .basicCancel(let tag)):
            let consumer = state.withLock { $0.consumers.removeValue(forKey: tag) }
            consumer?.finish(throwing: AMQPError(.closed, "the broker cancelled consumer \(tag) (was its queue deleted?)"))
        case .method(_, let method):
            let waiting = state.withLock { $0.replies.isEmpty ? nil : $0.replies.removeFirst() }
            waiting?.resume(returning: method)
        case .header(_, let header):
            state.withLock { $0.incoming?.header = header }
            complete()
        case .body(_, var bytes):
            state.withLock { $0.incoming?.body.writeBuffer(&bytes) }
            complete()
        case .heartbeat, .malformed:
            break
        }
    }

    /// Hands a delivery whose body has all arrived to its consumer.
    private func complete() {
        let done = state.withLock { state -> (AMQPMessage, AsyncThrowingStream<AMQPMessage, any Error>.Continuation?)? in
            guard let incoming = state.incoming, let header = incoming.header, incoming.body.readableBytes >= header.bodySize else { return nil }
            state.incoming = nil
            guard case .basicDeliver(let tag, let delivery, let redelivered, let exchange, let key) = incoming.method else { return nil }
            let message = AMQPMessage(
                deliveryTag: delivery,
                redelivered: redelivered,
                exchange: exchange,
                routingKey: key,
                properties: header.properties,
                body: incoming.body
            )
            return (message, state.consumers[tag])
        }
        if let (message, consumer) = done { consumer?.yield(message) }
    }

    /// The channel is closed (by the broker, or its connection went): everyone waiting is told why.
    func fail(_ error: AMQPError) {
        let (replies, consumers) = state.withLock { state in
            if state.closed == nil { state.closed = error }
            defer {
                state.replies = []
                state.consumers = [:]
            }
            return (state.replies, Array(state.consumers.values))
        }
        for reply in replies { reply.resume(throwing: error) }
        for consumer in consumers { consumer.finish(throwing: error) }
    }
}
