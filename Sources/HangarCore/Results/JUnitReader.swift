import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads JUnit XML as pytest (`--junitxml`), Maven Surefire, Go's go-junit-report and most test
/// runners write it: `<testsuites>`/`<testsuite>` holding `<testcase name classname time>`, each
/// with an optional `<failure>`, `<error>` or `<skipped>` and its output.
enum JUnitReader {
    static func read(_ text: String, file: String) throws(HangarError) -> [TestCase] {
        let collector = Collector(file: file)
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = collector
        // On Linux parse() can return true after an error: the delegate's first error counts.
        let parsed = parser.parse()
        if let (code, line, column) = collector.error
            ?? (parsed ? nil : ((parser.parserError as NSError?)?.code ?? 0, parser.lineNumber, parser.columnNumber))
        {
            throw HangarError(.resultsXml, "\(file):\(line):\(column): not well-formed XML: \(Self.explain(code))", hint: "is it really JUnit XML?")
        }
        if collector.depth > 0 {
            throw HangarError(.resultsXml, "\(file):\(parser.lineNumber): not well-formed XML: the file ends before its elements are closed")
        }
        if let root = collector.root, root != "testsuites", root != "testsuite" {
            throw HangarError(.resultsJunit, "\(file):1: not JUnit XML: the root element is <\(root)>, not <testsuites> or <testsuite>")
        }
        return collector.tests
    }

    /// libxml2's error codes, as people read them (Linux's parser gives no description).
    private static func explain(_ code: Int) -> String {
        switch code {
        case 4: "the file is empty or not XML"
        case 5: "the file ends early"
        case 9, 68: "a character or name that XML does not allow"
        case 73, 76: "a closing tag does not match its opening tag"
        case 26, 27: "an entity that is not defined"
        default: "XML error \(code)"
        }
    }

    /// Builds test cases as the parser walks the file.
    private final class Collector: NSObject, XMLParserDelegate {
        let file: String
        var root: String?
        var tests: [TestCase] = []
        /// The case being read, and the text of the element being read inside it.
        var current: TestCase?
        var text = ""
        var reading = false
        /// Elements open now, and the first error with its line and column.
        var depth = 0
        var error: (code: Int, line: Int, column: Int)?

        init(file: String) { self.file = file }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
            if error == nil { error = ((parseError as NSError).code, parser.lineNumber, parser.columnNumber) }
        }

        func parser(
            _ parser: XMLParser,
            didStartElement name: String,
            namespaceURI: String?,
            qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            if root == nil { root = name }
            depth += 1
            switch name {
            case "testcase":
                let base = attributes["name"] ?? "test \(tests.count + 1)"
                let suite = attributes["classname"].map { $0.isEmpty ? "" : "\($0)." } ?? ""
                current = TestCase(name: suite + base, status: .pass, duration: attributes["time"].flatMap(Double.init), file: file)
            case "failure", "error", "skipped":
                guard current != nil else { return }
                let status: TestStatus = name == "failure" ? .fail : name == "error" ? .error : .skip
                // The worst of what it reports; a skip replaces the pass a case starts with.
                current!.status = current!.status == .pass ? status : min(current!.status, status)
                if let message = attributes["message"], !message.isEmpty { append(message) }
                (text, reading) = ("", true)
            case "system-out", "system-err":
                (text, reading) = ("", current != nil)
            default:
                break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { if reading { text += string } }

        func parser(_ parser: XMLParser, foundCDATA block: Data) { if reading { text += String(decoding: block, as: UTF8.self) } }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            depth -= 1
            switch name {
            case "failure", "error", "skipped", "system-out", "system-err":
                if reading { append(text.trimmingCharacters(in: .whitespacesAndNewlines)) }
                (text, reading) = ("", false)
            case "testcase":
                if let current { tests.append(current) }
                current = nil
            default:
                break
            }
        }

        private func append(_ more: String) {
            guard !more.isEmpty, current != nil else { return }
            current!.output = [current!.output, more].compactMap { $0 }.joined(separator: "\n")
        }
    }
}
