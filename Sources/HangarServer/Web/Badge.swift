import Foundation
import HangarCore

/// A job's status badge for a README: `job | passed`, in the shields.io style, as SVG.
enum Badge {
    /// The badge for `label` whose last ended run is in `state` (nil: no run has ended yet).
    static func svg(label: String, state: RunState?) -> String {
        let label = String(label.prefix(40))
        let value = state?.rawValue ?? "no runs"
        let color =
            switch state {
            case .passed: "#2e8540"
            case .failed, .error, .timedOut: "#c0392b"
            default: "#7a8490"
            }
        // About 7 px per character of 11 px Verdana, plus padding.
        let (left, right) = (label.count * 7 + 12, value.count * 7 + 12)
        let text = { (string: String, x: Int) in
            "<text x=\"\(x)\" y=\"14\" fill=\"#fff\" text-anchor=\"middle\">\(HTML.escape(string))</text>"
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(left + right)" height="20" role="img" aria-label="\(HTML.escape(label)): \(value)">\
            <title>\(HTML.escape(label)): \(value)</title>\
            <rect width="\(left)" height="20" fill="#555"/><rect x="\(left)" width="\(right)" height="20" fill="\(color)"/>\
            <g font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">\(text(label, left / 2))\(text(value, left + right / 2))</g></svg>
            """
    }
}
