import HangarAMQP
import NIOCore
import Testing

/// The frame codec against bytes written out by hand from the AMQP 0-9-1 specification (and as
/// RabbitMQ sends them): whole frames decode to values and encode back to the same bytes; a frame
/// cut short waits for more; a broken one is a value, not a thrown error.
@Suite struct AMQPFrameTests {
    func decode(_ bytes: [UInt8]) -> (AMQPFrame?, left: Int) {
        var buffer = ByteBuffer(bytes: bytes)
        let frame = AMQPFrame.decode(&buffer)
        return (frame, buffer.readableBytes)
    }

    func encode(_ frame: AMQPFrame) -> [UInt8] {
        var buffer = ByteBuffer()
        frame.encode(into: &buffer)
        return Array(buffer.readableBytesView)
    }

    @Test func aHeartbeatIsEightBytes() {
        let bytes: [UInt8] = [8, 0, 0, 0, 0, 0, 0, 0xCE]
        #expect(decode(bytes).0 == .heartbeat)
        #expect(encode(.heartbeat) == bytes)
    }

    /// connection.tune as RabbitMQ sends it: 2047 channels, 128 KiB frames, 60 s heartbeat.
    @Test func connectionTuneRoundTrips() {
        let bytes: [UInt8] = [1, 0, 0, 0, 0, 0, 12, 0, 10, 0, 30, 0x07, 0xFF, 0, 2, 0, 0, 0, 60, 0xCE]
        let tune = AMQPFrame.method(channel: 0, .connectionTune(channelMax: 2047, frameMax: 131_072, heartbeat: 60))
        #expect(decode(bytes).0 == tune)
        var ok = bytes
        ok[10] = 31
        #expect(encode(.method(channel: 0, .connectionTuneOk(channelMax: 2047, frameMax: 131_072, heartbeat: 60))) == ok)
    }

    /// A delivery: basic.deliver, then its content header (body size 2, content-type), then the body.
    @Test func aDeliveryDecodesFrameByFrame() {
        let deliver: [UInt8] =
            [1, 0, 1, 0, 0, 0, 23, 0, 60, 0, 60, 3] + Array("tag".utf8) + [0, 0, 0, 0, 0, 0, 0, 7, 1, 3] + Array("obs".utf8) + [1]
            + Array("k".utf8) + [0xCE]
        #expect(
            decode(deliver).0
                == .method(channel: 1, .basicDeliver(consumerTag: "tag", deliveryTag: 7, redelivered: true, exchange: "obs", routingKey: "k"))
        )
        let header: [UInt8] = [2, 0, 1, 0, 0, 0, 31, 0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0x80, 0] + [16] + Array("application/json".utf8) + [0xCE]
        #expect(decode(header).0 == .header(channel: 1, AMQPContentHeader(bodySize: 2, properties: AMQPProperties(contentType: "application/json"))))
        #expect(encode(.header(channel: 1, AMQPContentHeader(bodySize: 2, properties: AMQPProperties(contentType: "application/json")))) == header)
        let body: [UInt8] = [3, 0, 1, 0, 0, 0, 2] + Array("{}".utf8) + [0xCE]
        #expect(decode(body).0 == .body(channel: 1, ByteBuffer(string: "{}")))
    }

    @Test func tablesOfEveryKindRoundTrip() {
        let properties: AMQPTable = [
            "product": .string("Hangar"), "on": .bool(true), "small": .int8(-3), "count": .uint32(7), "big": .int64(-1 << 40),
            "ratio": .double(0.5), "nested": .table(["list": .array([.int32(1), .string("two"), .void])]), "when": .timestamp(1_700_000_000),
            "raw": .bytes([0, 255]), "price": .decimal(scale: 2, value: 1999),
        ]
        let frame = AMQPFrame.method(channel: 0, .connectionStartOk(clientProperties: properties, mechanism: "PLAIN", response: "\0guest\0guest"))
        #expect(decode(encode(frame)).0 == frame)
    }

    @Test func aFrameCutShortWaitsAndConsumesNothing() {
        let bytes = encode(.method(channel: 1, .queueDeclareOk(name: "hangar", messageCount: 3, consumerCount: 1)))
        for length in [0, 3, 7, bytes.count - 1] {
            let (frame, left) = decode(Array(bytes.prefix(length)))
            #expect(frame == nil && left == length)
        }
        #expect(decode(bytes).0 == .method(channel: 1, .queueDeclareOk(name: "hangar", messageCount: 3, consumerCount: 1)))
    }

    @Test func brokenFramesAreValuesThatSayWhy() {
        // No end octet.
        guard case .malformed(let why)? = decode([8, 0, 0, 0, 0, 0, 0, 0xAB]).0 else {
            Issue.record("not malformed")
            return
        }
        #expect(why.contains("0xCE"))
        // Arguments cut short inside the frame (connection.tune with 2 of its 8 bytes).
        guard case .malformed? = decode([1, 0, 0, 0, 0, 0, 6, 0, 10, 0, 30, 0x07, 0xFF, 0xCE]).0 else {
            Issue.record("not malformed")
            return
        }
        // Another protocol's header instead of a frame.
        guard case .malformed(let header)? = decode(Array("AMQP".utf8) + [1, 1, 0, 10]).0 else {
            Issue.record("not malformed")
            return
        }
        #expect(header.contains("does not speak AMQP 0-9-1"))
    }

    @Test func urlsSayWhatIsWrongAndHideThePassword() throws {
        let url = try AMQPURL(parsing: "amqps://opensuse:opensuse@rabbit.opensuse.org:5671")
        #expect(url.tls && url.port == 5671 && url.user == "opensuse" && url.password == "opensuse" && url.virtualHost == "/")
        #expect(url.description == "amqps://opensuse@rabbit.opensuse.org:5671")
        #expect(try AMQPURL(parsing: "amqp://u:p@h/%2Fci").virtualHost == "/ci")
        #expect(try AMQPURL(parsing: "amqp://h").port == 5672)
        #expect(throws: AMQPError.self) { try AMQPURL(parsing: "http://u:secret@h") }
        do {
            _ = try AMQPURL(parsing: "rabbit://u:secret@h")
        } catch {
            #expect(!error.message.contains("secret") && error.message.contains("***"), "\(error)")
        }
    }
}
