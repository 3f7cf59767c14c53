public import NIOCore

/// A value in an AMQP field table (connection properties, queue arguments, message headers), as
/// RabbitMQ encodes them (its type letters differ from the 0-9-1 specification's for some integers).
public enum AMQPFieldValue: Sendable, Equatable {
    case bool(Bool)
    case int8(Int8)
    case uint8(UInt8)
    case int16(Int16)
    case uint16(UInt16)
    case int32(Int32)
    case uint32(UInt32)
    case int64(Int64)
    case float(Float)
    case double(Double)
    case decimal(scale: UInt8, value: UInt32)
    case string(String)
    case bytes([UInt8])
    case array([AMQPFieldValue])
    case timestamp(UInt64)
    case table(AMQPTable)
    case void
}

/// Field names to values (written sorted by name, so the same table encodes the same).
public typealias AMQPTable = [String: AMQPFieldValue]

extension ByteBuffer {
    /// Reads a table (a 32-bit byte length, then name/type/value fields); nil when it is cut short.
    mutating func readAMQPTable() -> AMQPTable? {
        guard let length = readInteger(as: UInt32.self), var fields = readSlice(length: Int(length)) else { return nil }
        var table: AMQPTable = [:]
        while fields.readableBytes > 0 {
            guard let name = fields.readShortString(), let value = fields.readAMQPFieldValue() else { return nil }
            table[name] = value
        }
        return table
    }

    /// Writes `table` with its 32-bit byte length in front.
    mutating func writeAMQPTable(_ table: AMQPTable) {
        let lengthIndex = writerIndex
        writeInteger(UInt32(0))
        let start = writerIndex
        for (name, value) in table.sorted(by: { $0.key < $1.key }) {
            writeShortString(name)
            writeAMQPFieldValue(value)
        }
        setInteger(UInt32(writerIndex - start), at: lengthIndex)
    }

    private mutating func readAMQPFieldValue() -> AMQPFieldValue? {
        guard let type = readInteger(as: UInt8.self) else { return nil }
        switch UnicodeScalar(type) {
        case "t": return readInteger(as: UInt8.self).map { .bool($0 != 0) }
        case "b": return readInteger(as: Int8.self).map(AMQPFieldValue.int8)
        case "B": return readInteger(as: UInt8.self).map(AMQPFieldValue.uint8)
        case "s": return readInteger(as: Int16.self).map(AMQPFieldValue.int16)
        case "u": return readInteger(as: UInt16.self).map(AMQPFieldValue.uint16)
        case "I": return readInteger(as: Int32.self).map(AMQPFieldValue.int32)
        case "i": return readInteger(as: UInt32.self).map(AMQPFieldValue.uint32)
        case "l": return readInteger(as: Int64.self).map(AMQPFieldValue.int64)
        case "f": return readInteger(as: UInt32.self).map { .float(Float(bitPattern: $0)) }
        case "d": return readInteger(as: UInt64.self).map { .double(Double(bitPattern: $0)) }
        case "D":
            guard let scale = readInteger(as: UInt8.self), let value = readInteger(as: UInt32.self) else { return nil }
            return .decimal(scale: scale, value: value)
        case "S": return readLongString().map(AMQPFieldValue.string)
        case "x":
            guard let length = readInteger(as: UInt32.self), let bytes = readBytes(length: Int(length)) else { return nil }
            return .bytes(bytes)
        case "A":
            guard let length = readInteger(as: UInt32.self), var items = readSlice(length: Int(length)) else { return nil }
            var values: [AMQPFieldValue] = []
            while items.readableBytes > 0 {
                guard let value = items.readAMQPFieldValue() else { return nil }
                values.append(value)
            }
            return .array(values)
        case "T": return readInteger(as: UInt64.self).map(AMQPFieldValue.timestamp)
        case "F": return readAMQPTable().map(AMQPFieldValue.table)
        case "V": return .void
        default: return nil
        }
    }

    private mutating func writeAMQPFieldValue(_ value: AMQPFieldValue) {
        func type(_ letter: Character) { writeInteger(letter.asciiValue!) }
        switch value {
        case .bool(let bool):
            type("t")
            writeInteger(UInt8(bool ? 1 : 0))
        case .int8(let number):
            type("b")
            writeInteger(number)
        case .uint8(let number):
            type("B")
            writeInteger(number)
        case .int16(let number):
            type("s")
            writeInteger(number)
        case .uint16(let number):
            type("u")
            writeInteger(number)
        case .int32(let number):
            type("I")
            writeInteger(number)
        case .uint32(let number):
            type("i")
            writeInteger(number)
        case .int64(let number):
            type("l")
            writeInteger(number)
        case .float(let number):
            type("f")
            writeInteger(number.bitPattern)
        case .double(let number):
            type("d")
            writeInteger(number.bitPattern)
        case .decimal(let scale, let number):
            type("D")
            writeInteger(scale)
            writeInteger(number)
        case .string(let text):
            type("S")
            writeLongString(text)
        case .bytes(let bytes):
            type("x")
            writeInteger(UInt32(bytes.count))
            writeBytes(bytes)
        case .array(let values):
            type("A")
            let lengthIndex = writerIndex
            writeInteger(UInt32(0))
            let start = writerIndex
            for value in values { writeAMQPFieldValue(value) }
            setInteger(UInt32(writerIndex - start), at: lengthIndex)
        case .timestamp(let time):
            type("T")
            writeInteger(time)
        case .table(let table):
            type("F")
            writeAMQPTable(table)
        case .void:
            type("V")
        }
    }

    /// A short string: an 8-bit length, then UTF-8.
    mutating func readShortString() -> String? {
        guard let length = readInteger(as: UInt8.self) else { return nil }
        return readString(length: Int(length))
    }

    /// Writes a short string, cut to 255 bytes.
    mutating func writeShortString(_ text: String) {
        let bytes = Array(text.utf8.prefix(255))
        writeInteger(UInt8(bytes.count))
        writeBytes(bytes)
    }

    /// A long string: a 32-bit length, then bytes (UTF-8 here).
    mutating func readLongString() -> String? {
        guard let length = readInteger(as: UInt32.self), let bytes = readBytes(length: Int(length)) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    mutating func writeLongString(_ text: String) {
        writeInteger(UInt32(text.utf8.count))
        writeString(text)
    }
}
