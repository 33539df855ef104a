import SEVKit
import Yams

/// Coding paths as users read them (`disks[1].path`), and the YAML node a path points at, whose
/// mark gives the line for an error.
enum SpecPath {
    static func text(_ path: [any CodingKey]) -> String {
        var out = ""
        for key in path {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                out += out.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return out
    }

    static func node(at path: [any CodingKey], in root: Node) -> Node? {
        var current = root
        for key in path {
            if let index = key.intValue {
                guard let sequence = current.sequence, index < sequence.count else { return current }
                current = sequence[index]
            } else {
                guard let mapping = current.mapping, let next = mapping[key.stringValue] else { return current }
                current = next
            }
        }
        return current
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is UInt32.Type, is UInt64.Type: "a whole number"
        case is [DiskSpec].Type, is [NICSpec].Type: "a list"
        default:
            if type is any CaseIterable.Type, let cases = (type as? any CaseIterable.Type)?.allCaseNames {
                "one of: \(cases.joined(separator: ", "))"
            } else {
                "a mapping"
            }
        }
    }

    /// Swift's messages for enum failures name Swift types; replace them with the accepted words.
    static func cleanDebugDescription(_ text: String) -> String {
        if text.hasPrefix("Cannot initialize ") {
            for type in enumTypes where text.contains("\(type.swiftName) ") {
                return "expected one of: \(type.names.joined(separator: ", "))"
            }
        }
        return text
    }

    private static let enumTypes: [(swiftName: String, names: [String])] = [
        ("ConfidentialType", ConfidentialType.allCases.map(\.rawValue)),
        ("FirmwareMode", FirmwareMode.allCases.map(\.rawValue)),
        ("DiskFormat", DiskFormat.allCases.map(\.rawValue)),
        ("NICType", NICType.allCases.map(\.rawValue)),
        ("SEVVMType", SEVVMType.allCases.map(\.rawValue)),
    ]
}

extension CaseIterable {
    static var allCaseNames: [String] {
        allCases.map { value in (value as? any RawRepresentable).map { "\($0.rawValue)" } ?? "\(value)" }
    }
}
