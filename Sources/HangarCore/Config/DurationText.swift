import Foundation

/// Durations as hangar.yml writes them: `90s`, `30m`, `1h30m`, `500ms`, or a plain number of seconds.
public enum DurationText {
    /// Parses a duration; nil when the text is not one.
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) { return seconds >= 0 ? .milliseconds(Int64(seconds * 1000)) : nil }
        var total = Duration.zero
        var rest = Substring(trimmed)
        let units: [(String, Duration)] = [
            ("ms", .milliseconds(1)), ("d", .seconds(86_400)), ("h", .seconds(3600)), ("m", .seconds(60)), ("s", .seconds(1)),
        ]
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber || $0 == "." }
            guard let number = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let (unit, scale) = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.count)
            // Whole numbers exactly (a Double product of a day rounds its attoseconds).
            total += number == number.rounded() ? scale * Int(number) : scale * number
        }
        return trimmed.isEmpty ? nil : total
    }

    /// `1h30m`, `45s`, `1.5s`: the short form a person would write.
    public static func format(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds < 60_000 {
            return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(Double(milliseconds) / 1000)s"
        }
        let seconds = milliseconds / 1000
        let parts = [(seconds / 3600, "h"), (seconds % 3600 / 60, "m"), (seconds % 60, "s")]
        return parts.filter { $0.0 > 0 }.map { "\($0.0)\($0.1)" }.joined()
    }
}

extension Duration {
    /// The duration in seconds, with its fraction.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
