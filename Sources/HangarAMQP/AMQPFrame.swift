public import NIOCore

/// One AMQP 0-9-1 frame: a type, a channel, a payload and the end octet (0xCE). Frames are values;
/// `decode` reads one whole frame or nothing, and a frame it cannot read is `.malformed`, never a
/// thrown error in the middle of the stream.
public enum AMQPFrame: Sendable, Equatable {
    case method(channel: UInt16, AMQPMethod)
    case header(channel: UInt16, AMQPContentHeader)
    case body(channel: UInt16, ByteBuffer)
    case heartbeat
    /// A frame that is not what the protocol says (a wrong end octet, arguments cut short).
    case malformed(String)

    /// The protocol header a client sends first: `AMQP` 0-9-1.
    public static let protocolHeader: [UInt8] = Array("AMQP".utf8) + [0, 0, 9, 1]

    /// The channel the frame is on (0 for the connection and heartbeats).
    public var channel: UInt16 {
        switch self {
        case .method(let channel, _), .header(let channel, _), .body(let channel, _): channel
        case .heartbeat, .malformed: 0
        }
    }

    /// Reads one frame from the front of `buffer`; nil (nothing consumed) until a whole frame is there.
    public static func decode(_ buffer: inout ByteBuffer) -> AMQPFrame? {
        guard buffer.readableBytes >= 7, let type = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
            let channel = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt16.self),
            let size = buffer.getInteger(at: buffer.readerIndex + 3, as: UInt32.self), buffer.readableBytes >= 8 + Int(size)
        else {
            // A broker that answers the protocol header with its own ("AMQP" 0-9-1 or another) does not speak ours.
            if buffer.readableBytes >= 8, buffer.getBytes(at: buffer.readerIndex, length: 4) == Array("AMQP".utf8) {
                let version = buffer.readBytes(length: 8)!.suffix(3).map(String.init).joined(separator: "-")
                return .malformed("the server answered with protocol header AMQP \(version): it does not speak AMQP 0-9-1")
            }
            return nil
        }
        buffer.moveReaderIndex(forwardBy: 7)
        var payload = buffer.readSlice(length: Int(size))!
        guard buffer.readInteger(as: UInt8.self) == 0xCE else { return .malformed("a frame without its end octet 0xCE") }
        switch type {
        case 1:
            guard let method = AMQPMethod.decode(&payload) else { return .malformed("a method frame whose arguments are cut short") }
            return .method(channel: channel, method)
        case 2:
            guard let header = AMQPContentHeader.decode(&payload) else { return .malformed("a content header that is cut short") }
            return .header(channel: channel, header)
        case 3: return .body(channel: channel, payload)
        case 8: return .heartbeat
        default: return .malformed("a frame of unknown type \(type)")
        }
    }

    /// Writes the whole frame.
    public func encode(into buffer: inout ByteBuffer) {
        let type: UInt8
        switch self {
        case .method: type = 1
        case .header: type = 2
        case .body: type = 3
        case .heartbeat: type = 8
        case .malformed: return
        }
        buffer.writeInteger(type)
        buffer.writeInteger(channel)
        let sizeIndex = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        let start = buffer.writerIndex
        switch self {
        case .method(_, let method): method.encode(into: &buffer)
        case .header(_, let header): header.encode(into: &buffer)
        case .body(_, var bytes): buffer.writeBuffer(&bytes)
        case .heartbeat, .malformed: break
        }
        buffer.setInteger(UInt32(buffer.writerIndex - start), at: sizeIndex)
        buffer.writeInteger(UInt8(0xCE))
    }
}

/// A message's content header: its class, the body's size and the properties this client uses
/// (the rest are read past).
public struct AMQPContentHeader: Sendable, Equatable {
    public var classID: UInt16 = 60
    public var bodySize: UInt64
    public var properties: AMQPProperties

    public init(bodySize: UInt64, properties: AMQPProperties = AMQPProperties()) {
        self.bodySize = bodySize
        self.properties = properties
    }

    static func decode(_ buffer: inout ByteBuffer) -> AMQPContentHeader? {
        guard let classID = buffer.readInteger(as: UInt16.self), buffer.readInteger(as: UInt16.self) != nil,
            let size = buffer.readInteger(as: UInt64.self), let flags = buffer.readInteger(as: UInt16.self)
        else { return nil }
        var properties = AMQPProperties()
        func has(_ bit: Int) -> Bool { flags & (1 << bit) != 0 }
        if has(15) {
            guard let value = buffer.readShortString() else { return nil }
            properties.contentType = value
        }
        if has(14) { guard buffer.readShortString() != nil else { return nil } }
        if has(13) {
            guard let value = buffer.readAMQPTable() else { return nil }
            properties.headers = value
        }
        if has(12) {
            guard let value = buffer.readInteger(as: UInt8.self) else { return nil }
            properties.deliveryMode = value
        }
        if has(11) { guard buffer.readInteger(as: UInt8.self) != nil else { return nil } }
        for bit in [10, 9, 8] where has(bit) { guard buffer.readShortString() != nil else { return nil } }
        if has(7) {
            guard let value = buffer.readShortString() else { return nil }
            properties.messageID = value
        }
        if has(6) {
            guard let value = buffer.readInteger(as: UInt64.self) else { return nil }
            properties.timestamp = value
        }
        for bit in [5, 4, 3, 2] where has(bit) { guard buffer.readShortString() != nil else { return nil } }
        var header = AMQPContentHeader(bodySize: size, properties: properties)
        header.classID = classID
        return header
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(classID)
        buffer.writeInteger(UInt16(0))
        buffer.writeInteger(bodySize)
        var flags: UInt16 = 0
        if properties.contentType != nil { flags |= 1 << 15 }
        if properties.headers != nil { flags |= 1 << 13 }
        if properties.deliveryMode != nil { flags |= 1 << 12 }
        if properties.messageID != nil { flags |= 1 << 7 }
        if properties.timestamp != nil { flags |= 1 << 6 }
        buffer.writeInteger(flags)
        if let value = properties.contentType { buffer.writeShortString(value) }
        if let value = properties.headers { buffer.writeAMQPTable(value) }
        if let value = properties.deliveryMode { buffer.writeInteger(value) }
        if let value = properties.messageID { buffer.writeShortString(value) }
        if let value = properties.timestamp { buffer.writeInteger(value) }
    }
}

/// The message properties this client reads and writes.
public struct AMQPProperties: Sendable, Equatable {
    public var contentType: String?
    public var headers: AMQPTable?
    /// 2: persistent (kept across a broker restart in a durable queue).
    public var deliveryMode: UInt8?
    public var messageID: String?
    public var timestamp: UInt64?

    public init(contentType: String? = nil, headers: AMQPTable? = nil, deliveryMode: UInt8? = nil, messageID: String? = nil, timestamp: UInt64? = nil)
    {
        self.contentType = contentType
        self.headers = headers
        self.deliveryMode = deliveryMode
        self.messageID = messageID
        self.timestamp = timestamp
    }
}
