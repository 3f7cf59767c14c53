import Foundation
import HangarAPI
import HangarStore

/// A run's log as the run page shows it, as GitHub's and GitLab's viewers do: numbered lines that
/// are their own permalinks (`#L120`, ranges `#L120-L130`), each task's lines folded under its
/// header with its state and duration (a failed or running task unfolded), ANSI colours, and the
/// time each line arrived (shown on demand). It renders a window of the log, never all of a long one.
enum LogView {
    /// Lines a page shows at most.
    static let window = Limits.logPage

    /// What a task's header shows, by position.
    struct TaskInfo {
        var state: String
        var took: String
    }

    /// `lines` (a window of the log, in order) as HTML.
    static func html(_ lines: [LogLine], tasks: [Int: TaskInfo]) -> String {
        var out = ""
        var colours = ANSI.State()
        var open = false
        for line in lines {
            if let position = taskPosition(line.text) {
                if open { out += "</details>" }
                let task = tasks[position]
                let state = task?.state ?? "running"
                let unfolded = state != "passed" && state != "skipped"
                out += "<details class=\"task \(state)\" id=\"task-\(position + 1)\"\(unfolded ? " open" : "")><summary>"
                out += lineHTML(line, colours: &colours)
                out +=
                    " <span class=\"state \(state)\">\(state)</span>\(task.map { $0.took.isEmpty ? "" : " <span class=\"muted\">\($0.took)</span>" } ?? "")</summary>"
                open = true
            } else {
                out += lineHTML(line, colours: &colours) + "\n"
                if open, line.text.hasPrefix("<== ") {
                    out += "</details>"
                    open = false
                }
            }
        }
        if open { out += "</details>" }
        return out
    }

    /// The task position a header line (`==> [2/5] run: make`) starts, 0-based.
    static func taskPosition(_ text: String) -> Int? {
        guard text.hasPrefix("==> ["), let slash = text.firstIndex(of: "/") else { return nil }
        return Int(text[text.index(text.startIndex, offsetBy: 5)..<slash]).map { $0 - 1 }
    }

    private static func lineHTML(_ line: LogLine, colours: inout ANSI.State) -> String {
        let number = line.number + 1
        let time = line.at.map { "<span class=\"at\">\(Moment.formatted($0, "HH:mm:ss"))</span>" } ?? ""
        return
            "<span class=\"line\" id=\"L\(number)\"><a class=\"ln\" href=\"#L\(number)\">\(number)</a>\(time)\(ANSI.html(line.text, &colours))</span>"
    }
}

/// ANSI SGR colours (`ESC [ 31 m`) as spans with classes; every other escape sequence is dropped.
enum ANSI {
    /// The colours in effect, carried from line to line.
    struct State: Equatable {
        var classes: [String] = []
    }

    static func html(_ text: String, _ state: inout State) -> String {
        guard text.contains("\u{1B}") else { return wrap(HTML.escape(text), state) }
        var out = ""
        var plain = ""
        var scalars = Array(text.unicodeScalars)[...]
        func flush() {
            out += wrap(HTML.escape(plain), state)
            plain = ""
        }
        while let scalar = scalars.popFirst() {
            guard scalar == "\u{1B}" else {
                plain.unicodeScalars.append(scalar)
                continue
            }
            guard scalars.first == "[" else {
                _ = scalars.popFirst()
                continue
            }
            scalars.removeFirst()
            var parameters = ""
            var final: Unicode.Scalar?
            while let next = scalars.popFirst() {
                if (0x40...0x7E).contains(next.value) {
                    final = next
                    break
                }
                parameters.unicodeScalars.append(next)
            }
            guard final == "m" else { continue }
            flush()
            apply(parameters, to: &state)
        }
        flush()
        return out
    }

    private static func wrap(_ escaped: String, _ state: State) -> String {
        guard !escaped.isEmpty, !state.classes.isEmpty else { return escaped }
        return "<span class=\"\(state.classes.joined(separator: " "))\">\(escaped)</span>"
    }

    private static func apply(_ parameters: String, to state: inout State) {
        var codes = parameters.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 0 }[...]
        if codes.isEmpty { codes = [0] }
        while let code = codes.popFirst() {
            switch code {
            case 0: state.classes = []
            case 1: set("a-bold", in: &state, group: "a-bold")
            case 22: state.classes.removeAll { $0 == "a-bold" }
            case 30...37, 90...97: set("a-fg\(code)", in: &state, group: "a-fg")
            case 39: state.classes.removeAll { $0.hasPrefix("a-fg") }
            case 40...47, 100...107: set("a-bg\(code)", in: &state, group: "a-bg")
            case 49: state.classes.removeAll { $0.hasPrefix("a-bg") }
            case 38, 48:
                // 256 colours (5;N) and true colours (2;R;G;B): skipped with their arguments.
                let mode = codes.popFirst()
                codes = codes.dropFirst(mode == 5 ? 1 : mode == 2 ? 3 : 0)
            default: break
            }
        }
    }

    private static func set(_ name: String, in state: inout State, group: String) {
        state.classes.removeAll { $0.hasPrefix(group) }
        state.classes.append(name)
    }

    /// The classes' colours, for the page's style.
    static let css: String = {
        let colours = ["#000", "#e05561", "#8cc265", "#d18f52", "#4aa5f0", "#c162de", "#42b3c2", "#dfe6ee"]
        let bright = ["#7f848e", "#ff616e", "#a5e075", "#f0a45d", "#4dc4ff", "#de73ff", "#4cd1e0", "#fff"]
        var rules = [".a-bold{font-weight:bold}"]
        for (index, colour) in colours.enumerated() {
            rules.append(".a-fg\(30 + index){color:\(colour)} .a-bg\(40 + index){background:\(colour)}")
        }
        for (index, colour) in bright.enumerated() {
            rules.append(".a-fg\(90 + index){color:\(colour)} .a-bg\(100 + index){background:\(colour)}")
        }
        return rules.joined(separator: " ")
    }()
}
