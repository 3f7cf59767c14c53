import Foundation
import HangarCore
import HangarStore

/// A measurement's trend on the job's page: a line of its last values drawn as SVG on the server
/// (no JavaScript), its newest value, and whether the change-point check says it moved.
struct TrendView {
    var name: String
    /// Nil for a job without a matrix.
    var cell: String?
    var latest: String
    var svg: String
    /// `moved up (t = 9.3)` when `ChangePoint` says the last runs moved; nil otherwise.
    var moved: String?

    init(_ series: MeasureSeries) {
        name = series.name
        cell = series.cell.isEmpty ? nil : series.cell
        let values = series.points.map(\.value)
        latest = values.last.map { Measure(name: series.name, value: $0, unit: series.unit).shown } ?? ""
        svg = Self.line(series)
        moved = ChangePoint.move(values)
    }

    static let width = 240.0
    static let height = 36.0

    /// The values as a polyline from the oldest (left) to the newest (right), scaled between their
    /// lowest and highest; a dot per run, which names the run and its value on hover.
    static func line(_ series: MeasureSeries) -> String {
        let values = series.points.map(\.value)
        guard let low = values.min(), let high = values.max() else { return "" }
        let span = high > low ? high - low : 1
        let step = values.count > 1 ? width / Double(values.count - 1) : 0
        let points = series.points.enumerated().map { index, point in
            (x: Double(index) * step, y: height - 3 - (point.value - low) / span * (height - 6), point: point)
        }
        let polyline = points.map { String(format: "%.1f,%.1f", $0.x, $0.y) }.joined(separator: " ")
        let dots = points.map { dot in
            let shown = Measure(name: series.name, value: dot.point.value, unit: series.unit).shown
            return String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\">", dot.x, dot.y)
                + "<title>#\(dot.point.run): \(HTML.escape(shown))</title></circle>"
        }
        return """
            <svg class="trend" width="\(Int(width))" height="\(Int(height))" viewBox="-3 0 \(Int(width) + 6) \(Int(height))" role="img" \
            aria-label="\(HTML.escape(series.name))"><polyline fill="none" stroke="#1c4a8a" stroke-width="1.5" points="\(polyline)"/>\(dots.joined())</svg>
            """
    }
}
