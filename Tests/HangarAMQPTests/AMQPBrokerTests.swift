import Foundation
import HangarAMQP
import HangarTestSupport
import NIOCore
import Testing

/// The client against a real RabbitMQ: login, declare, bind, publish, consume and ack; what the
/// broker refuses; and what a consumer sees when the broker goes away.
@Suite(.serialized, .timeLimit(.minutes(3))) struct AMQPBrokerTests {
    func connect(_ text: String? = nil) async throws -> AMQPConnection {
        var url = text
        if url == nil { url = try await TestRabbit.shared.url() }
        return try await AMQPConnection.connect(try AMQPURL(parsing: url!), heartbeat: 2)
    }

    @Test func messagesArePublishedConsumedAndRedeliveredUntilAcknowledged() async throws {
        let connection = try await connect()
        let channel = try await connection.openChannel()
        let queue = "test-\(UUID().uuidString.prefix(8))"
        try await channel.exchangeDeclare("test.topic", type: "topic", passive: false, durable: true)
        try await channel.queueDeclare(queue)
        try await channel.queueBind(queue, exchange: "test.topic", routingKey: "obs.package.*")
        let big = String(repeating: "x", count: 300_000)  // more than one frame
        for index in 0..<20 {
            try channel.publish(ByteBuffer(string: #"{"n": \#(index)}"#), exchange: "test.topic", routingKey: "obs.package.build_success")
        }
        try channel.publish(ByteBuffer(string: big), exchange: "test.topic", routingKey: "obs.package.build_fail")
        try channel.publish(ByteBuffer(string: "unbound"), exchange: "test.topic", routingKey: "obs.repo.published")

        // At most 5 unacknowledged at a time: the first 16 are acknowledged, the last 5 kept.
        try await channel.basicQos(prefetch: 5)
        var received: [String] = []
        for try await message in try await channel.consume(queue) {
            received.append(String(buffer: message.body))
            if received.count <= 16 { try channel.ack(message) }
            if received.count == 21 { break }
        }
        #expect(received.prefix(20) == (0..<20).map { #"{"n": \#($0)}"# }[...])
        #expect(received.last?.count == big.count, "the message of 300,000 bytes came whole")
        await connection.close()

        // Not acknowledged: delivered again, marked so, to the next consumer.
        let again = try await connect()
        let second = try await again.openChannel()
        var redelivered: [AMQPMessage] = []
        for try await message in try await second.consume(queue) {
            redelivered.append(message)
            try second.ack(message)
            if redelivered.count == 5 { break }
        }
        #expect(redelivered.allSatisfy { $0.redelivered })
        #expect(try await second.queueDeclare(queue, passive: true).messages == 0)
        try await second.queueDelete(queue)
        await again.close()
    }

    @Test func whatTheBrokerRefusesIsSaid() async throws {
        let port = try await TestRabbit.shared.port()
        await #expect {
            _ = try await connect("amqp://guest:wrong@127.0.0.1:\(port)")
        } throws: { error in (error as? AMQPError)?.code == .refused }
        await #expect {
            _ = try await connect("amqp://guest:guest@127.0.0.1:\(port)/nowhere")
        } throws: { error in (error as? AMQPError)?.code == .refused }
        await #expect {
            _ = try await connect("amqp://guest:guest@127.0.0.1:9")
        } throws: { error in (error as? AMQPError)?.code == .unreachable }
        // A missing exchange closes the channel with 404; the connection goes on.
        let connection = try await connect()
        let channel = try await connection.openChannel()
        await #expect {
            try await channel.exchangeDeclare("no.such.exchange")
        } throws: { error in (error as? AMQPError)?.reason?.code == 404 }
        let other = try await connection.openChannel()
        try await other.queueDeclare("", exclusive: true, autoDelete: true)
        await connection.close()
    }

    /// A broker that stops ends the consumer's stream and `closed()` says why; it never hangs.
    @Test func aStoppedBrokerEndsTheConnection() async throws {
        let rabbit = TestRabbit()
        defer { Task { try? await rabbit.destroy() } }
        let connection = try await AMQPConnection.connect(try AMQPURL(parsing: try await rabbit.url()), heartbeat: 2)
        let channel = try await connection.openChannel()
        try await channel.queueDeclare("q")
        let messages = try await channel.consume("q")
        try await rabbit.stop()
        var ended: (any Error)?
        do {
            for try await _ in messages {}
        } catch {
            ended = error
        }
        #expect(ended is AMQPError)
        #expect(await connection.closed().code == .closed)
    }
}
