/// What signatures are matched against: a log line with the parts that differ from run to run
/// made the same, so one pattern matches every occurrence of a failure.
///
/// - a path is reduced to its base name: `/var/tmp/run-42/build/foo.c:12` → `foo.c:12`
///   (a path starts a word: after a space, a quote, `=`, `(` or `,`; URLs are left alone);
/// - a hexadecimal address is zeroed: `0x7ffd5e8c` → `0x0`;
/// - a number in brackets, as `sshd[1234]` logs its pid, is zeroed: `sshd[0]`;
/// - the number after `pid`, `pid=` or `pid:` is zeroed: `pid 0`, `pid=0`.
public enum LogNormaliser {
    public static func normalise(_ line: String) -> String {
        let bytes = Array(line.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == slash, startsWord(bytes, at: index) {
                // A path: keep what follows its last slash.
                var end = index
                var base = index
                while end < bytes.count, !endsPath(bytes[end]) {
                    if bytes[end] == slash { base = end + 1 }
                    end += 1
                }
                out.append(contentsOf: base < end ? bytes[base..<end] : bytes[index..<end])
                index = end
            } else if byte == zero, index + 2 < bytes.count, bytes[index + 1] | 0x20 == x, isHex(bytes[index + 2]) {
                out.append(contentsOf: [zero, x, zero])
                index += 2
                while index < bytes.count, isHex(bytes[index]) { index += 1 }
            } else if byte == openBracket, let close = digits(bytes, from: index + 1), close < bytes.count, bytes[close] == closeBracket {
                out.append(contentsOf: [openBracket, zero, closeBracket])
                index = close + 1
            } else if let number = pidNumber(bytes, at: index) {
                out.append(contentsOf: bytes[index..<number])
                out.append(zero)
                index = digits(bytes, from: number) ?? number
            } else {
                out.append(byte)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let slash = UInt8(ascii: "/")
    private static let zero = UInt8(ascii: "0")
    private static let x = UInt8(ascii: "x")
    private static let openBracket = UInt8(ascii: "[")
    private static let closeBracket = UInt8(ascii: "]")

    private static func startsWord(_ bytes: [UInt8], at index: Int) -> Bool {
        guard index > 0 else { return true }
        return " \t'\"=(,".utf8.contains(bytes[index - 1])
    }

    private static func endsPath(_ byte: UInt8) -> Bool { " \t'\"),:;".utf8.contains(byte) }

    private static func isHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    /// The index after the digits starting at `start`, or nil when none start there.
    private static func digits(_ bytes: [UInt8], from start: Int) -> Int? {
        var end = start
        while end < bytes.count, isDigit(bytes[end]) { end += 1 }
        return end > start ? end : nil
    }

    /// Where the number of a `pid 123`, `pid=123` or `pid: 123` starting at `index` begins.
    private static func pidNumber(_ bytes: [UInt8], at index: Int) -> Int? {
        guard index + 3 < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "p"), bytes[index + 1] | 0x20 == UInt8(ascii: "i"),
            bytes[index + 2] | 0x20 == UInt8(ascii: "d"), index == 0 || !isWordByte(bytes[index - 1])
        else { return nil }
        var next = index + 3
        while next < bytes.count, " =:".utf8.contains(bytes[next]) { next += 1 }
        return next > index + 3 && next < bytes.count && isDigit(bytes[next]) ? next : nil
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || byte == UInt8(ascii: "_")
    }
}
