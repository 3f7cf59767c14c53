public import NIOCore

/// The AMQP 0-9-1 methods this client sends or understands, with their arguments. Anything else a
/// broker sends decodes as `.other(classID, methodID)`.
public enum AMQPMethod: Sendable, Equatable {
    case connectionStart(serverProperties: AMQPTable, mechanisms: String)
    case connectionStartOk(clientProperties: AMQPTable, mechanism: String, response: String)
    case connectionTune(channelMax: UInt16, frameMax: UInt32, heartbeat: UInt16)
    case connectionTuneOk(channelMax: UInt16, frameMax: UInt32, heartbeat: UInt16)
    case connectionOpen(virtualHost: String)
    case connectionOpenOk
    case connectionClose(AMQPCloseReason)
    case connectionCloseOk
    case channelOpen
    case channelOpenOk
    case channelClose(AMQPCloseReason)
    case channelCloseOk
    case exchangeDeclare(name: String, type: String, passive: Bool, durable: Bool)
    case exchangeDeclareOk
    case queueDeclare(name: String, passive: Bool, durable: Bool, exclusive: Bool, autoDelete: Bool, arguments: AMQPTable)
    case queueDeclareOk(name: String, messageCount: UInt32, consumerCount: UInt32)
    case queueBind(queue: String, exchange: String, routingKey: String)
    case queueBindOk
    case queueUnbind(queue: String, exchange: String, routingKey: String)
    case queueUnbindOk
    case queueDelete(name: String)
    case queueDeleteOk(messageCount: UInt32)
    case basicQos(prefetchCount: UInt16)
    case basicQosOk
    case basicConsume(queue: String, consumerTag: String, noAck: Bool)
    case basicConsumeOk(consumerTag: String)
    case basicCancel(consumerTag: String)
    case basicCancelOk(consumerTag: String)
    case basicPublish(exchange: String, routingKey: String)
    case basicDeliver(consumerTag: String, deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String)
    case basicAck(deliveryTag: UInt64, multiple: Bool)
    case confirmSelect
    case confirmSelectOk
    case other(classID: UInt16, methodID: UInt16)

    /// True for the methods that carry a message after them (a content header and body frames).
    var hasContent: Bool {
        switch self {
        case .basicPublish, .basicDeliver: true
        case .other(60, 50), .other(60, 71): true  // basic.return, basic.get-ok
        default: false
        }
    }

    /// The method's arguments after its class and method ids; nil when they are cut short.
    static func decode(_ buffer: inout ByteBuffer) -> AMQPMethod? {
        guard let classID = buffer.readInteger(as: UInt16.self), let methodID = buffer.readInteger(as: UInt16.self) else { return nil }
        switch (classID, methodID) {
        case (10, 10):
            guard buffer.readInteger(as: UInt16.self) != nil, let properties = buffer.readAMQPTable(), let mechanisms = buffer.readLongString(),
                buffer.readLongString() != nil
            else { return nil }
            return .connectionStart(serverProperties: properties, mechanisms: mechanisms)
        case (10, 11):
            guard let properties = buffer.readAMQPTable(), let mechanism = buffer.readShortString(), let response = buffer.readLongString(),
                buffer.readShortString() != nil
            else { return nil }
            return .connectionStartOk(clientProperties: properties, mechanism: mechanism, response: response)
        case (10, 30), (10, 31):
            guard let channels = buffer.readInteger(as: UInt16.self), let frame = buffer.readInteger(as: UInt32.self),
                let heartbeat = buffer.readInteger(as: UInt16.self)
            else { return nil }
            return methodID == 30
                ? .connectionTune(channelMax: channels, frameMax: frame, heartbeat: heartbeat)
                : .connectionTuneOk(channelMax: channels, frameMax: frame, heartbeat: heartbeat)
        case (10, 40):
            guard let host = buffer.readShortString(), buffer.readShortString() != nil, buffer.readInteger(as: UInt8.self) != nil else { return nil }
            return .connectionOpen(virtualHost: host)
        case (10, 41): return buffer.readShortString().map { _ in .connectionOpenOk }
        case (10, 50): return AMQPCloseReason.read(&buffer).map(AMQPMethod.connectionClose)
        case (10, 51): return .connectionCloseOk
        case (20, 10): return buffer.readShortString().map { _ in .channelOpen }
        case (20, 11): return buffer.readLongString().map { _ in .channelOpenOk }
        case (20, 40): return AMQPCloseReason.read(&buffer).map(AMQPMethod.channelClose)
        case (20, 41): return .channelCloseOk
        case (40, 11): return .exchangeDeclareOk
        case (50, 11):
            guard let name = buffer.readShortString(), let messages = buffer.readInteger(as: UInt32.self),
                let consumers = buffer.readInteger(as: UInt32.self)
            else { return nil }
            return .queueDeclareOk(name: name, messageCount: messages, consumerCount: consumers)
        case (50, 21): return .queueBindOk
        case (50, 51): return .queueUnbindOk
        case (50, 41): return buffer.readInteger(as: UInt32.self).map { .queueDeleteOk(messageCount: $0) }
        case (60, 11): return .basicQosOk
        case (60, 21): return buffer.readShortString().map { .basicConsumeOk(consumerTag: $0) }
        case (60, 30):
            guard let tag = buffer.readShortString(), buffer.readInteger(as: UInt8.self) != nil else { return nil }
            return .basicCancel(consumerTag: tag)
        case (60, 31): return buffer.readShortString().map { .basicCancelOk(consumerTag: $0) }
        case (60, 60):
            guard let tag = buffer.readShortString(), let delivery = buffer.readInteger(as: UInt64.self),
                let flags = buffer.readInteger(as: UInt8.self), let exchange = buffer.readShortString(), let key = buffer.readShortString()
            else { return nil }
            return .basicDeliver(consumerTag: tag, deliveryTag: delivery, redelivered: flags & 1 != 0, exchange: exchange, routingKey: key)
        case (60, 80):
            guard let delivery = buffer.readInteger(as: UInt64.self), let flags = buffer.readInteger(as: UInt8.self) else { return nil }
            return .basicAck(deliveryTag: delivery, multiple: flags & 1 != 0)
        case (85, 11): return .confirmSelectOk
        default:
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .other(classID: classID, methodID: methodID)
        }
    }

    /// Writes the class and method ids and the arguments.
    func encode(into buffer: inout ByteBuffer) {
        func ids(_ classID: UInt16, _ methodID: UInt16) {
            buffer.writeInteger(classID)
            buffer.writeInteger(methodID)
        }
        func bits(_ flags: Bool...) {
            var byte: UInt8 = 0
            for (index, flag) in flags.enumerated() where flag { byte |= 1 << index }
            buffer.writeInteger(byte)
        }
        switch self {
        case .connectionStart(let properties, let mechanisms):
            ids(10, 10)
            buffer.writeInteger(UInt8(0))
            buffer.writeInteger(UInt8(9))
            buffer.writeAMQPTable(properties)
            buffer.writeLongString(mechanisms)
            buffer.writeLongString("en_US")
        case .connectionStartOk(let properties, let mechanism, let response):
            ids(10, 11)
            buffer.writeAMQPTable(properties)
            buffer.writeShortString(mechanism)
            buffer.writeLongString(response)
            buffer.writeShortString("en_US")
        case .connectionTune(let channels, let frame, let heartbeat), .connectionTuneOk(let channels, let frame, let heartbeat):
            if case .connectionTune = self { ids(10, 30) } else { ids(10, 31) }
            buffer.writeInteger(channels)
            buffer.writeInteger(frame)
            buffer.writeInteger(heartbeat)
        case .connectionOpen(let host):
            ids(10, 40)
            buffer.writeShortString(host)
            buffer.writeShortString("")
            bits(false)
        case .connectionOpenOk:
            ids(10, 41)
            buffer.writeShortString("")
        case .connectionClose(let reason):
            ids(10, 50)
            reason.write(&buffer)
        case .connectionCloseOk: ids(10, 51)
        case .channelOpen:
            ids(20, 10)
            buffer.writeShortString("")
        case .channelOpenOk:
            ids(20, 11)
            buffer.writeLongString("")
        case .channelClose(let reason):
            ids(20, 40)
            reason.write(&buffer)
        case .channelCloseOk: ids(20, 41)
        case .exchangeDeclare(let name, let type, let passive, let durable):
            ids(40, 10)
            buffer.writeInteger(UInt16(0))
            buffer.writeShortString(name)
            buffer.writeShortString(type)
            bits(passive, durable, false, false, false)
            buffer.writeAMQPTable([:])
        case .exchangeDeclareOk: ids(40, 11)
        case .queueDeclare(let name, let passive, let durable, let exclusive, let autoDelete, let arguments):
            ids(50, 10)
            buffer.writeInteger(UInt16(0))
            buffer.writeShortString(name)
            bits(passive, durable, exclusive, autoDelete, false)
            buffer.writeAMQPTable(arguments)
        case .queueDeclareOk(let name, let messages, let consumers):
            ids(50, 11)
            buffer.writeShortString(name)
            buffer.writeInteger(messages)
            buffer.writeInteger(consumers)
        case .queueBind(let queue, let exchange, let key):
            ids(50, 20)
            buffer.writeInteger(UInt16(0))
            buffer.writeShortString(queue)
            buffer.writeShortString(exchange)
            buffer.writeShortString(key)
            bits(false)
            buffer.writeAMQPTable([:])
        case .queueBindOk: ids(50, 21)
        case .queueUnbind(let queue, let exchange, let key):
            ids(50, 50)
            buffer.writeInteger(UInt16(0))
            buffer.writeShortString(queue)
            buffer.writeShortString(exchange)
            buffer.writeShortString(key)
            buffer.writeAMQPTable([:])
        case .queueUnbindOk: ids(50, 51)
        case .queueDelete(let name):
            ids(50, 40)
            buffer.writeInteger(UInt16(0))
            buffer.writeShortString(name)
            bits(false, false, false)
        case .queueDeleteOk(let messages):
            ids(50, 41)
            buffer.writeInteger(messages)
        case .basicQos(let prefetch):
            ids(60, 10)
            buffer.writeInteger(UInt32(0))
            buffer.writeInteger(prefetch)
            bits(false)
        case .basicQosOk: ids(60, 11)
        case .basicConsume(let queue, let tag, let noAck):
            ids(60, 20)
            buffer.writeInteger(UInt16(0))
            buffer.writeShortString(queue)
            buffer.writeShortString(tag)
            bits(false, noAck, false, false)
            buffer.writeAMQPTable([:])
        case .basicConsumeOk(let tag):
            ids(60, 21)
            buffer.writeShortString(tag)
        case .basicCancel(let tag):
            ids(60, 30)
            buffer.writeShortString(tag)
            bits(false)
        case .basicCancelOk(let tag):
            ids(60, 31)
            buffer.writeShortString(tag)
        case .basicPublish(let exchange, let key):
            ids(60, 40)
            buffer.writeInteger(UInt16(0))
            buffer.writeShortString(exchange)
            buffer.writeShortString(key)
            bits(false, false)
        case .basicDeliver(let tag, let delivery, let redelivered, let exchange, let key):
            ids(60, 60)
            buffer.writeShortString(tag)
            buffer.writeInteger(delivery)
            bits(redelivered)
            buffer.writeShortString(exchange)
            buffer.writeShortString(key)
        case .basicAck(let delivery, let multiple):
            ids(60, 80)
            buffer.writeInteger(delivery)
            bits(multiple)
        case .confirmSelect:
            ids(85, 10)
            bits(false)
        case .confirmSelectOk: ids(85, 11)
        case .other(let classID, let methodID): ids(classID, methodID)
        }
    }
}

/// Why a broker (or this client) closes a connection or a channel: an AMQP reply code and text,
/// and the method that caused it.
public struct AMQPCloseReason: Sendable, Equatable, CustomStringConvertible {
    public var code: UInt16
    public var text: String
    public var classID: UInt16
    public var methodID: UInt16

    public init(code: UInt16, text: String, classID: UInt16 = 0, methodID: UInt16 = 0) {
        self.code = code
        self.text = text
        self.classID = classID
        self.methodID = methodID
    }

    public var description: String { "\(code) \(text)" }

    static func read(_ buffer: inout ByteBuffer) -> AMQPCloseReason? {
        guard let code = buffer.readInteger(as: UInt16.self), let text = buffer.readShortString(),
            let classID = buffer.readInteger(as: UInt16.self), let methodID = buffer.readInteger(as: UInt16.self)
        else { return nil }
        return AMQPCloseReason(code: code, text: text, classID: classID, methodID: methodID)
    }

    func write(_ buffer: inout ByteBuffer) {
        buffer.writeInteger(code)
        buffer.writeShortString(text)
        buffer.writeInteger(classID)
        buffer.writeInteger(methodID)
    }
}
