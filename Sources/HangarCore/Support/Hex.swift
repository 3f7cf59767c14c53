import Foundation

extension Sequence<UInt8> {
    /// Lowercase hexadecimal, two digits a byte (digests, tokens, ids).
    public var hexString: String { map { String(format: "%02x", $0) }.joined() }
}
