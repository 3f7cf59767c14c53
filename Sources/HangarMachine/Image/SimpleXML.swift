import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// The elements of a small XML document (an OBS answer), in order, with their attributes: all
/// Hangar reads of it. A document that does not parse has none.
enum SimpleXML {
    struct Element {
        var name: String
        var attributes: [String: String]
    }

    static func elements(_ text: String) -> [Element] {
        let collector = Collector()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = collector
        guard parser.parse(), !collector.failed else { return [] }
        return collector.elements
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var elements: [Element] = []
        var failed = false

        func parser(
            _ parser: XMLParser,
            didStartElement name: String,
            namespaceURI: String?,
            qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            elements.append(Element(name: name, attributes: attributes))
        }

        func parser(_ parser: XMLParser, parseErrorOccurred error: any Error) { failed = true }
    }
}
