import NIOCore

/// Splits the stream a QMP server writes into lines, refusing any line longer than
/// `maximumLength`. (A server must not read its input this way: QEMU reads a JSON stream, where
/// no newline is needed; sevhost-sim's front splits client input as QEMU does, see QEMUFront.)
///
/// QEMU ends every message with a newline. Without a bound a misbehaving (or hostile) peer
/// could make the other buffer without end while it waits for that newline; with one, the
/// overlong line becomes `QMPError.lineTooLong` and the connection is dropped. Empty lines carry
/// nothing and are not passed on.
public struct QMPLineDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    let maximumLength: Int
    /// How far into the buffer we already looked for a newline, so a line arriving in many
    /// reads is scanned once, not once per read.
    private var scanned = 0

    public init(maximumLength: Int) {
        self.maximumLength = maximumLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let readable = buffer.readableBytesView
        let start = readable.startIndex + scanned
        guard let newline = readable[start...].firstIndex(of: UInt8(ascii: "\n")) else {
            scanned = readable.count
            if scanned > maximumLength { throw QMPError.lineTooLong(limit: maximumLength) }
            return .needMoreData
        }
        let length = newline - readable.startIndex
        if length > maximumLength { throw QMPError.lineTooLong(limit: maximumLength) }
        scanned = 0
        var line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        // QMP allows "\r\n" from some servers; the JSON parser would accept the "\r" as
        // whitespace anyway, but trimming keeps excerpts in errors clean.
        if line.readableBytesView.last == UInt8(ascii: "\r") {
            line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)!
        }
        if line.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(line))
        }
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 {
            // The server closed in the middle of a message: the tail is not a message, so drop
            // it; whatever waited for it learns of the disconnect from channelInactive.
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        }
        return .needMoreData
    }
}
