import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A libvirt domain document (libvirt 11.3's domain schema) as a small element tree, read with
/// Foundation's `XMLParser` (libxml2), bounded: no external entities, at most `elementLimit`
/// elements, so a hostile file cannot make `check` read the disk or grow without end.
public struct LibvirtDomainXML: Sendable, Equatable {
    public struct Element: Sendable, Equatable {
        public var name: String
        public var attributes: [String: String]
        public var text: String
        public var children: [Element]

        /// The first child called `name`.
        public func child(_ name: String) -> Element? { children.first { $0.name == name } }

        /// The first element along `path` (`os/loader`).
        public func element(_ path: String) -> Element? {
            var node: Element? = self
            for part in path.split(separator: "/") { node = node?.child(String(part)) }
            return node
        }

        /// Text with surrounding white space removed.
        public var value: String { text.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    public var root: Element

    /// More elements than any domain has; past it the file is refused.
    static let elementLimit = 20000

    public init(text: String) throws(LaunchCheckInputError) {
        let delegate = TreeBuilder()
        let parser = XMLParser(data: Data(text.utf8))
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        let parsed = parser.parse()
        if let failure = delegate.failure { throw LaunchCheckInputError(failure) }
        guard parsed, let root = delegate.root else {
            let line = parser.lineNumber
            throw LaunchCheckInputError("line \(line): not well-formed XML\(parser.parserError.map { " (\(Self.reason($0)))" } ?? "")")
        }
        guard root.name == "domain" else {
            throw LaunchCheckInputError("the root element is <\(root.name.prefix(40))>, not a libvirt <domain>")
        }
        self.root = root
    }

    private static func reason(_ error: Error) -> String {
        let code = (error as NSError).code
        return "libxml2 error \(code)"
    }

    private final class TreeBuilder: NSObject, XMLParserDelegate {
        var stack: [Element] = []
        var root: Element?
        var count = 0
        var failure: String?

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            count += 1
            if count > LibvirtDomainXML.elementLimit {
                failure = "more than \(LibvirtDomainXML.elementLimit) elements: not a domain"
                parser.abortParsing()
                return
            }
            stack.append(Element(name: name, attributes: attributes, text: "", children: []))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            guard let element = stack.popLast() else { return }
            if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
        }
    }
}
