import Foundation
public import HangarCore

/// What every benchmark shares: printing as it goes, percentiles, timing, its folder and the
/// `hangar` it measures. Options are each benchmark's own `ParsableArguments` (swift-argument-parser:
/// `--help`, and a clear error for a wrong value); a throwaway PostgreSQL is `TestPostgres`.
public enum Bench {
    /// The package's folder.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The `hangar` built with the benchmark, beside it.
    public static let hangar = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("hangar").path

    /// A new temporary folder `hangar-bench-NAME-PID`; the caller removes it.
    public static func folder(_ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-bench-\(name)-\(getpid())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Prints at once (stdout to a pipe is otherwise buffered until exit).
public func say(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }

/// The value `fraction` of the way up `values` sorted (0.5: the median); 0 for no values.
public func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
}

/// Seconds `body` took.
public func timed(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    return (ContinuousClock.now - start).seconds
}

extension HangarError.Code {
    /// A benchmark could not set itself up or run.
    public static let benchSetUp = Self(rawValue: "bench.set-up")
}
