/// HTML the pages build in code rather than in templates: where a template would be too slow
/// (a log of 100,000 lines) or cannot reach (an SVG badge).
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// Log lines numbered from `first` + 1, each a permalink target (`#L12`) with its number as a link.
    static func log(_ lines: [String], first: Int = 0) -> String {
        var out = ""
        for (offset, line) in lines.enumerated() {
            let number = first + offset + 1
            out += "<span class=\"line\" id=\"L\(number)\"><a class=\"ln\" href=\"#L\(number)\">\(number)</a>\(escape(line))</span>\n"
        }
        return out
    }
}
