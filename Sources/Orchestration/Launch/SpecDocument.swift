import Foundation
import Launch

/// A VM spec and where it came from, so every refusal about it names the file, and for a file
/// read with line numbers the line, of the field at fault: `vm.yaml:14: confidential.policy: …`.
///
/// Front ends hold specs only as documents: the CLI reads one from a file, the daemon from the
/// text a client sent, `attest --expect` from the guest owner's copy; what they may change in
/// one (the daemon's QMP socket and session files) has a method here.
public struct SpecDocument: Sendable, Equatable {
    public private(set) var spec: VMSpec
    /// The file named in messages (`<spec>` for text that came from nowhere in particular).
    public let file: String
    /// Where each field is in the file; nil when messages name the file only.
    let lines: SpecLines?

    init(spec: VMSpec, file: String, lines: SpecLines?) {
        self.spec = spec
        self.file = file
        self.lines = lines
    }

    /// Reads the spec at `path`; with `lineNumbers`, refusals found later point at lines too.
    public static func load(path: String, lineNumbers: Bool = true) throws(LaunchFailure) -> SpecDocument {
        do {
            let (spec, lines) = try SpecLoader.loadWithLines(path: path)
            return SpecDocument(spec: spec, file: path, lines: lineNumbers ? lines : nil)
        } catch {
            throw LaunchFailure(error.description)
        }
    }

    /// Decodes a spec from `text`; refusals name `file` without a line.
    public static func parse(text: String, file: String) throws(LaunchFailure) -> SpecDocument {
        do {
            return SpecDocument(spec: try SpecLoader.load(text: text, file: file), file: file, lines: nil)
        } catch {
            throw LaunchFailure(error.description)
        }
    }

    /// The VM's name.
    public var name: String { spec.name }

    /// `sev`, `sev-es` or `sev-snp`.
    public var typeName: String { spec.confidential.type.rawValue }

    /// The spec as compact JSON with sorted keys: how the daemon stores it.
    public var compactJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A spec holds strings, integers, booleans and enums: it always encodes.
        return String(decoding: (try? encoder.encode(spec)) ?? Data(), as: UTF8.self)
    }

    /// Makes QEMU listen for QMP on `path` instead of what the spec says.
    public mutating func setQMPSocket(_ path: String) {
        spec.qmp = path
    }

    /// Makes QEMU read the guest owner's GODH certificate and session from these files.
    public mutating func setSessionFiles(dhCert: String, session: String) {
        spec.confidential.dhCertFile = dhCert
        spec.confidential.sessionFile = session
    }

    /// `FILE:LINE` for a field the file has (when lines are known), else `FILE`.
    func locate(_ field: String?) -> String {
        guard let field, let line = lines?.line(of: field) else { return file }
        return "\(file):\(line)"
    }

    /// A launch refusal, located.
    func failure(_ error: LaunchError, hint: String? = nil) -> LaunchFailure {
        var text = "\(locate(error.field)): \(error.description)"
        if let hint { text += " (\(hint))" }
        return LaunchFailure(text)
    }
}

/// Why a spec cannot be launched (or predicted) as written: one line that names the file, the
/// line when known, the field and what was expected.
public struct LaunchFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
