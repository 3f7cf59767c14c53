import Foundation

/// A number a run measured: a task's `HANGAR_MEASURE name=value unit=U` line (or LAVA's
/// `lava-test-case NAME --result pass --measurement V --units U`), or one Hangar records of every
/// run (`boot_seconds`: the boot to SSH; `run_seconds`: the whole run).
public struct Measure: Sendable, Codable, Equatable {
    public var name: String
    public var value: Double
    /// `s`, `1/s`, `MiB`…; empty when the line gave none.
    public var unit: String

    public init(name: String, value: Double, unit: String = "") {
        self.name = name
        self.value = value
        self.unit = unit
    }

    /// Of a name given more than once, the last value, in the order the names came.
    public static func lastOfEachName(_ measures: [Measure]) -> [Measure] {
        var seen = Set<String>()
        return Array(measures.reversed().filter { seen.insert($0.name).inserted }.reversed())
    }

    /// Where a run keeps its measurements: under its artifacts, so a worker's upload brings them along.
    public static let fileName = "hangar-measurements.json"

    /// The longest name and unit taken.
    static let longestName = 100
    static let longestUnit = 20

    /// What an output line says: nothing about measurements (nil), a measurement, or a measurement
    /// line that is wrong (why, to be said while the run goes on).
    public enum Parsed: Equatable {
        case measurement(Measure)
        case wrong(String)
    }

    /// Reads `line` as a measurement line. Every line a run prints comes here: one that does not
    /// start with either keyword is passed over without being split.
    public static func parse(_ line: String) -> Parsed? {
        let start = line.drop { $0 == " " || $0 == "\t" }
        guard start.hasPrefix("HANGAR_MEASURE") || start.hasPrefix("lava-test-case") else { return nil }
        let words = start.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let first = words.first else { return nil }
        if first == "HANGAR_MEASURE" { return hangar(Array(words.dropFirst())) }
        if first == "lava-test-case" { return lava(Array(words.dropFirst())) }
        return nil
    }

    /// `name=value [unit=U]`.
    private static func hangar(_ words: [String]) -> Parsed {
        guard let pair = words.first, let equals = pair.firstIndex(of: "=") else {
            return .wrong("a HANGAR_MEASURE line needs name=value (such as 'HANGAR_MEASURE boot=2.1 unit=s')")
        }
        var unit = ""
        for word in words.dropFirst() {
            guard word.hasPrefix("unit=") else { return .wrong("a HANGAR_MEASURE line takes name=value and unit=U, not '\(shown(word))'") }
            unit = String(word.dropFirst(5))
        }
        return checked(String(pair[..<equals]), String(pair[pair.index(after: equals)...]), unit)
    }

    /// `NAME --result R --measurement V [--units U]`; a test case without a measurement is not one.
    private static func lava(_ words: [String]) -> Parsed? {
        guard let name = words.first, let at = words.firstIndex(of: "--measurement") else { return nil }
        guard words.indices.contains(at + 1) else { return .wrong("lava-test-case \(shown(name)): --measurement has no value") }
        let unit = words.firstIndex(of: "--units").flatMap { words.indices.contains($0 + 1) ? words[$0 + 1] : nil } ?? ""
        return checked(name, words[at + 1], unit)
    }

    private static func checked(_ name: String, _ text: String, _ unit: String) -> Parsed {
        guard !name.isEmpty, name.count <= longestName, name.allSatisfy({ $0.isLetter || $0.isNumber || "_-./".contains($0) }) else {
            return .wrong("'\(shown(name))' is not a measurement name: up to \(longestName) letters, digits and _ - . /")
        }
        guard let value = Double(text), value.isFinite else { return .wrong("measurement '\(name)': '\(shown(text))' is not a finite number") }
        guard unit.count <= longestUnit else {
            return .wrong("measurement '\(name)': its unit '\(shown(unit))' is longer than \(longestUnit) characters")
        }
        return .measurement(Measure(name: name, value: value, unit: unit))
    }

    /// At most 40 characters of `text`, for a message.
    private static func shown(_ text: String) -> String { text.count > 40 ? text.prefix(40) + "…" : text }

    /// `1830 1/s`, `2.018 s` (at most three decimals).
    public var shown: String { value.formatted(.number.grouping(.never).precision(.fractionLength(0...3))) + (unit.isEmpty ? "" : " \(unit)") }

    /// `requests_per_s = 1830 1/s`.
    public var description: String { "\(name) = \(shown)" }
}
