/// Whether a measurement moved, as Mozilla's Treeherder decides it: Welch's t statistic of the last
/// `window` values against the `window` before them; a magnitude of `threshold` or more is a move.
public enum ChangePoint {
    /// The runs on each side of the change compared.
    public static let window = 12
    /// The t a move must reach.
    public static let threshold = 7.0

    /// The t of the last `window` of `values` (oldest first) against the `window` before; nil with
    /// fewer than twice `window` values. Two flat windows at different levels move infinitely far.
    public static func t(_ values: [Double], window: Int = window) -> Double? {
        guard window > 1, values.count >= 2 * window else { return nil }
        let after = Array(values.suffix(window))
        let before = Array(values.dropLast(window).suffix(window))
        let (meanAfter, meanBefore) = (mean(after), mean(before))
        let error = (variance(after, mean: meanAfter) / Double(window) + variance(before, mean: meanBefore) / Double(window)).squareRoot()
        guard error > 0 else { return meanAfter == meanBefore ? 0 : (meanAfter > meanBefore ? .infinity : -.infinity) }
        return (meanAfter - meanBefore) / error
    }

    /// True when the last `window` of `values` moved from the `window` before.
    public static func moved(_ values: [Double]) -> Bool { t(values).map { abs($0) >= threshold } ?? false }

    /// `moved up (t = 9.3)` when the last `window` of `values` moved; nil when they did not.
    public static func move(_ values: [Double]) -> String? {
        guard let t = t(values), abs(t) >= threshold else { return nil }
        let shown = t.isFinite ? "\((t * 10).rounded() / 10)" : "∞"
        return "moved \(t > 0 ? "up" : "down") (t = \(shown))"
    }

    private static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

    /// The sample variance.
    private static func variance(_ values: [Double], mean: Double) -> Double {
        values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
    }
}
