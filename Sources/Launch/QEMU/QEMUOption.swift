import Foundation

/// QEMU's `key=value,key=value` option syntax.
///
/// A comma inside a value must be doubled, or QEMU would read the rest as another property:
/// a disk at `/vm/a,b.img` would otherwise become a bogus `b.img` property.
enum QEMUOption {
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: ",", with: ",,")
    }

    /// `head,key=value,…` with values escaped.
    static func list(_ head: String, _ properties: [(String, String)]) -> String {
        ([head] + properties.map { "\($0.0)=\(escape($0.1))" }).joined(separator: ",")
    }
}
