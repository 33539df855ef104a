import Foundation

/// How the front recognises QEMU's reply to a command the simulated AMD-SP answers.
///
/// The command goes to QEMU with its `id` replaced by `["<marker>", TAG]`, or
/// `["<marker>", TAG, ORIGINAL]` when the client gave one. QEMU echoes any JSON value as the id,
/// so its reply carries the tag back, in QEMU's own reply order and whatever else (events,
/// out-of-band replies) comes between; and it carries the client's id serialized the way QEMU
/// serializes it, ready to be put back. The marker is random per process, so no client id can
/// pass for one.
public struct QMPTagging: Sendable {
    public let marker: String
    let markerBytes: [UInt8]

    public init(marker: String = "sevhost-sim-" + String(UInt64.random(in: .min ... .max), radix: 16)) {
        self.marker = marker
        markerBytes = Array(QEMUJSON.string(marker).text.utf8)
    }

    /// `object` (a client's request, as written) with its id replaced by the tag: every other
    /// member as the client wrote it.
    public func tagged(_ object: [UInt8], node: QEMUJSONNode, tag: Int) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "{")]
        for member in node.members where member.key != "id" {
            output += object[member.keyRange.lowerBound..<member.node.range.upperBound]
            output += Array(", ".utf8)
        }
        output += Array("\"id\": [".utf8) + markerBytes + Array(", \(tag)".utf8)
        if let id = node.member("id") {
            output += Array(", ".utf8) + object[id.range]
        }
        output += Array("]}".utf8)
        return output
    }

    /// A command of the front's own, tagged (it has no client id).
    public func tagged(_ command: QEMUJSON, tag: Int) -> [UInt8] {
        guard case .object(var members) = command else { return Array(command.text.utf8) }
        members.removeAll { $0.0 == "id" }
        members.append(("id", .verbatim("[" + QEMUJSON.string(marker).text + ", \(tag)]")))
        return Array(QEMUJSON.object(members).text.utf8)
    }

    /// Whether `line` may be a tagged reply (a cheap test before parsing).
    public func mayBeTagged(_ line: UnsafeRawBufferPointer) -> Bool {
        contains(line, markerBytes)
    }

    /// A reply QEMU gave to a tagged command: the tag, the client's id as QEMU wrote it (nil
    /// when the client gave none), and the reply.
    public struct Reply: Sendable {
        public var tag: Int
        public var originalID: String?
        public var outcome: QMPOutcome
        /// The reply's members as QEMU wrote them (key text, value text), in QEMU's order.
        public var members: [(key: String, keyText: String, valueText: String)]

        /// QEMU's reply with the client's id back in place of the tag: what QEMU would have
        /// written had it received the client's request as written.
        public var restoredLine: String {
            var parts: [String] = []
            for member in members {
                if member.key == "id" {
                    guard let originalID else { continue }
                    parts.append(member.keyText + ": " + originalID)
                } else {
                    parts.append(member.keyText + ": " + member.valueText)
                }
            }
            return "{" + parts.joined(separator: ", ") + "}\r\n"
        }
    }

    /// Reads `line` (one message from QEMU, without its line end) as a tagged reply.
    public func reply(_ line: [UInt8]) -> Reply? {
        guard let node = QEMUJSONReader.read(line), let id = node.member("id"), id.elements.count >= 2,
              id.elements[0].value.stringValue == marker, let tag = id.elements[1].value.int64Value
        else { return nil }
        let original = id.elements.count > 2 ? String(decoding: line[id.elements[2].range], as: UTF8.self) : nil
        let outcome: QMPOutcome
        if let value = node.member("return")?.value {
            outcome = .success(value)
        } else if let error = node.member("error")?.value {
            outcome = .failure(errorClass: error["class"]?.stringValue ?? "", description: error["desc"]?.stringValue ?? "")
        } else {
            return nil
        }
        let members = node.members.map { member in
            (member.key, String(decoding: line[member.keyRange], as: UTF8.self), String(decoding: line[member.node.range], as: UTF8.self))
        }
        return Reply(tag: Int(tag), originalID: original, outcome: outcome, members: members)
    }

    /// The reply QEMU gives on an SEV host, with the client's id.
    public static func replyLine(_ answer: SecureProcessorAnswer, id: String?) -> String {
        var members: [(String, QEMUJSON)]
        switch answer {
        case .success(let value):
            members = [("return", value)]
        case .failure(let description):
            members = [("error", .object([("class", .string("GenericError")), ("desc", .string(description))]))]
        }
        if let id { members.append(("id", .verbatim(id))) }
        return QEMUJSON.object(members).text + "\r\n"
    }
}
