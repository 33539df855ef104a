import Foundation

/// Reads members of a reply object, naming the command and the member in every error.
struct QMPReplyReader {
    let command: String
    let members: QMPValue.Object

    init(command: String, value: QMPValue) throws(QMPError) {
        guard let members = value.objectValue else {
            throw QMPError.malformedReply(command: command, field: "return", expected: "an object, found \(value.kindName)")
        }
        self.command = command
        self.members = members
    }

    func has(_ field: String) -> Bool { members[field] != nil }

    func value(_ field: String) throws(QMPError) -> QMPValue {
        guard let value = members[field] else {
            throw QMPError.malformedReply(command: command, field: field, expected: "a value, found none")
        }
        return value
    }

    func string(_ field: String) throws(QMPError) -> String {
        let value = try value(field)
        guard let text = value.stringValue else { throw mismatch(field, "a string", value) }
        return text
    }

    func bool(_ field: String) throws(QMPError) -> Bool {
        let value = try value(field)
        guard let flag = value.boolValue else { throw mismatch(field, "a boolean", value) }
        return flag
    }

    /// An integer that must fit `Integer` (QAPI `uint8`, `uint32`, `int`...).
    func integer<Integer: FixedWidthInteger>(_ field: String, as type: Integer.Type = Integer.self) throws(QMPError) -> Integer {
        let value = try value(field)
        let fitted: Integer?
        switch value {
        case .int(let number): fitted = Integer(exactly: number)
        case .uint(let number): fitted = Integer(exactly: number)
        default: fitted = nil
        }
        guard let fitted else {
            throw mismatch(field, "an integer in \(Integer.min)...\(Integer.max)", value)
        }
        return fitted
    }

    /// A base64 string, decoded.
    func base64(_ field: String) throws(QMPError) -> [UInt8] {
        let text = try string(field)
        guard let data = Data(base64Encoded: text) else {
            throw QMPError.malformedReply(command: command, field: field, expected: "base64 text")
        }
        return [UInt8](data)
    }

    private func mismatch(_ field: String, _ expected: String, _ value: QMPValue) -> QMPError {
        let found: String
        switch value {
        case .int(let number): found = "\(number)"
        case .uint(let number): found = "\(number)"
        default: found = value.kindName
        }
        return .malformedReply(command: command, field: field, expected: "\(expected), found \(found)")
    }
}

extension Array where Element == UInt8 {
    /// Base64 as QMP's SEV commands carry binary blobs.
    var base64Text: String { Data(self).base64EncodedString() }
}
