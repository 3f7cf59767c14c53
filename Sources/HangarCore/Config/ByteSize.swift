import Foundation

/// A number of bytes, written in hangar.yml as `512M`, `2G`, `20GiB` or a plain number of bytes.
///
/// Suffixes are binary (K = 1024), as QEMU reads them.
public struct ByteSize: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The size in bytes.
    public var bytes: UInt64

    /// Creates a size of `bytes` bytes.
    public init(bytes: UInt64) { self.bytes = bytes }

    /// Parses `2G`, `512M`, `1.5G`, `20GiB`, `4096`; nil when the text is not a size.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        var unit = trimmed.dropFirst(digits.count).uppercased()
        if unit.hasSuffix("IB") { unit.removeLast(2) } else if unit.hasSuffix("B") { unit.removeLast() }
        let scales: [String: Double] = ["": 1, "K": 0x400, "M": 0x10_0000, "G": 0x4000_0000, "T": 0x100_0000_0000]
        guard let number = Double(digits), number > 0, let scale = scales[unit] else { return nil }
        self.bytes = UInt64(number * scale)
    }

    /// The size in whole mebibytes, as QEMU's `-m` wants it.
    public var mebibytes: UInt64 { bytes / 0x10_0000 }

    /// `2G`, `512M`, or bytes when not a whole number of a larger unit.
    public var description: String {
        for (unit, scale) in [("T", UInt64(0x100_0000_0000)), ("G", 0x4000_0000), ("M", 0x10_0000), ("K", 0x400)]
        where bytes % scale == 0 {
            return "\(bytes / scale)\(unit)"
        }
        return "\(bytes)"
    }
}
