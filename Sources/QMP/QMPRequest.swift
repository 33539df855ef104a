import NIOCore

/// Writes one request line, `{"execute":NAME,"arguments":{...},"id":N}` and a newline, with
/// no whitespace and the `id` only when one is given.
///
/// The envelope is written directly into the outgoing buffer: it runs once per command on the
/// event loop, and a general-purpose encoder (with key sorting) costs more there than the
/// socket round trip it precedes. Arguments, when present, still go through `JSONEncoder`.
/// Every byte counts on the server too: QEMU reads QMP input one byte per `read(2)`, about 5 µs
/// of its CPU per byte (BENCHMARKS.md, "QMP round trips").
enum QMPRequest {
    static func write(command: String, arguments: QMPValue.Object?, id: Int64?, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(#"{"execute":"#)
        writeString(command, into: &buffer)
        if let arguments {
            buffer.writeStaticString(#","arguments":"#)
            buffer.writeString(QMPValue.object(arguments).jsonText())
        }
        if let id {
            buffer.writeStaticString(#","id":"#)
            buffer.writeString(String(id))
        }
        buffer.writeStaticString("}\n")
    }

    /// The same line as bytes (for tests and logs).
    static func line(command: String, arguments: QMPValue.Object?, id: Int64?) -> String {
        var buffer = ByteBuffer()
        write(command: command, arguments: arguments, id: id, into: &buffer)
        return String(buffer: buffer)
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func writeString(_ text: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString(#"\""#)
            case UInt8(ascii: "\\"): buffer.writeStaticString(#"\\"#)
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                buffer.writeStaticString(#"\u00"#)
                buffer.writeInteger(hex[Int(byte >> 4)])
                buffer.writeInteger(hex[Int(byte & 0xF)])
            default: buffer.writeInteger(byte)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}
