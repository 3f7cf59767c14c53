import Foundation

/// Quoting for POSIX shells, so arguments survive the guest shell that ssh hands a command to.
public enum ShellQuote {
    /// `it's` → `'it'\''s'`; plain words stay as they are.
    public static func quote(_ word: String) -> String {
        let plain = !word.isEmpty && word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:@%+,".contains($0) }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// Each argument quoted, joined by spaces.
    public static func join(_ words: [String]) -> String { words.map(quote).joined(separator: " ") }
}
