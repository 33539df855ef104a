/// Finds the top-level JSON objects in what a client writes to a QMP monitor, exactly where
/// QEMU's own JSON streamer (`qobject/json-lexer.c`, `json-streamer.c`) finds them, so that the
/// front can look at each command while passing every byte on as the client wrote it.
///
/// QEMU reads QMP input as a stream of JSON values: no newline is needed, several values may
/// share a line, and a value may arrive in many reads. Its lexer (with QEMU's extensions:
/// single-quoted strings, any printable byte after a backslash) turns bytes into tokens; the
/// streamer counts braces and brackets separately, never below zero, and a message ends at the
/// first token after which both counts are zero. After a lexer error the lexer skips bytes up
/// to the next structural or control character, and the streamer skips tokens until the counts
/// balance. This type runs the same machine, so a `{` that QEMU takes as the start of a message
/// is the start of one here, and the object ends on the same byte.
///
/// Bytes outside an object are handed on at once (`passThrough`); an object is held until its
/// last byte has arrived (`object`), at most `holdLimit` bytes: QEMU refuses a message larger
/// than 64 MiB (`MAX_TOKEN_SIZE`), so a longer one is handed on as it comes, for QEMU to refuse.
public struct QMPInputSplitter: Sendable {
    public enum Piece: Sendable, Equatable {
        case passThrough([UInt8])
        /// A whole top-level object as written, from its `{` to the byte that closes it.
        case object([UInt8])
    }

    enum LexerState: Sendable {
        case start, recovery, doubleQuoted, doubleQuotedEscape, singleQuoted, singleQuotedEscape
        case zero, exponentDigits, exponentSign, exponent, mantissa, mantissaDigits, digits, sign, keyword
    }

    enum Token {
        case leftBrace, rightBrace, leftBracket, rightBracket, other, error
    }

    public static let defaultHoldLimit = 64 << 20

    let holdLimit: Int
    private var state = LexerState.start
    private var braces = 0
    private var brackets = 0
    /// The object being held, from its `{`; nil outside an object.
    private var held: [UInt8]?
    /// Inside an object that grew past `holdLimit`: its bytes are handed on as they come.
    private var overflowing = false

    public init(holdLimit: Int = defaultHoldLimit) {
        self.holdLimit = holdLimit
    }

    /// Whether the splitter is between messages, holding nothing.
    public var isIdle: Bool { held == nil && !overflowing && braces == 0 && brackets == 0 }

    public mutating func feed(_ bytes: some Collection<UInt8>) -> [Piece] {
        var pieces: [Piece] = []
        var run: [UInt8] = []
        for byte in bytes {
            var consumed = false
            var startsObject = false
            var endsMessage = false
            while !consumed {
                let (token, next, didConsume) = Self.step(state, byte)
                consumed = didConsume
                state = next
                guard let token else { continue }
                let wasBalanced = braces == 0 && brackets == 0
                switch token {
                case .leftBrace:
                    // Tokens this byte ended before its `{` (a number, a keyword) precede the object.
                    if wasBalanced { startsObject = true; endsMessage = false }
                    braces += 1
                case .rightBrace: if braces > 0 { braces -= 1 }
                case .leftBracket: brackets += 1
                case .rightBracket: if brackets > 0 { brackets -= 1 }
                case .other, .error: break
                }
                if braces == 0, brackets == 0 { endsMessage = true }
            }
            if startsObject, held == nil, !overflowing {
                if !run.isEmpty { pieces.append(.passThrough(run)); run = [] }
                held = []
            }
            if held != nil {
                held!.append(byte)
                if endsMessage {
                    pieces.append(.object(held!))
                    held = nil
                } else if held!.count > holdLimit {
                    run = held!
                    held = nil
                    overflowing = true
                }
            } else {
                run.append(byte)
                if endsMessage { overflowing = false }
            }
        }
        if !run.isEmpty { pieces.append(.passThrough(run)) }
        return pieces
    }

    /// One lexer transition: the token completed (if any), the next state, and whether `byte`
    /// was consumed (a number or keyword ends on the byte after it, which is then read again).
    static func step(_ state: LexerState, _ byte: UInt8) -> (Token?, LexerState, Bool) {
        let printable = (0x20...0xFD).contains(byte)
        switch state {
        case .start:
            switch byte {
            case UInt8(ascii: "\""): return (nil, .doubleQuoted, true)
            case UInt8(ascii: "'"): return (nil, .singleQuoted, true)
            case UInt8(ascii: "0"): return (nil, .zero, true)
            case UInt8(ascii: "1")...UInt8(ascii: "9"): return (nil, .digits, true)
            case UInt8(ascii: "-"): return (nil, .sign, true)
            case UInt8(ascii: "{"): return (.leftBrace, .start, true)
            case UInt8(ascii: "}"): return (.rightBrace, .start, true)
            case UInt8(ascii: "["): return (.leftBracket, .start, true)
            case UInt8(ascii: "]"): return (.rightBracket, .start, true)
            case UInt8(ascii: ","), UInt8(ascii: ":"): return (.other, .start, true)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): return (nil, .keyword, true)
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"): return (nil, .start, true)
            default: return (.error, .recovery, true)
            }
        case .recovery:
            switch byte {
            case UInt8(ascii: "\t"): return (nil, .recovery, true)
            case 0x00...0x1F, 0xFE, 0xFF, UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"),
                 UInt8(ascii: ":"), UInt8(ascii: ","):
                return (nil, .start, false)
            default: return (nil, .recovery, true)
            }
        case .doubleQuoted, .singleQuoted:
            let quote = state == .doubleQuoted ? UInt8(ascii: "\"") : UInt8(ascii: "'")
            guard printable else { return (.error, .recovery, true) }
            if byte == quote { return (.other, .start, true) }
            if byte == UInt8(ascii: "\\") { return (nil, state == .doubleQuoted ? .doubleQuotedEscape : .singleQuotedEscape, true) }
            return (nil, state, true)
        case .doubleQuotedEscape:
            return printable ? (nil, .doubleQuoted, true) : (.error, .recovery, true)
        case .singleQuotedEscape:
            return printable ? (nil, .singleQuoted, true) : (.error, .recovery, true)
        case .zero:
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return (.error, .recovery, true)
            case UInt8(ascii: "."): return (nil, .mantissa, true)
            default: return (.other, .start, false)
            }
        case .exponentDigits:
            if isDigit(byte) { return (nil, .exponentDigits, true) }
            return (.other, .start, false)
        case .exponentSign:
            return isDigit(byte) ? (nil, .exponentDigits, true) : (.error, .recovery, true)
        case .exponent:
            if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") { return (nil, .exponentSign, true) }
            return isDigit(byte) ? (nil, .exponentDigits, true) : (.error, .recovery, true)
        case .mantissaDigits:
            if isDigit(byte) { return (nil, .mantissaDigits, true) }
            if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { return (nil, .exponent, true) }
            return (.other, .start, false)
        case .mantissa:
            return isDigit(byte) ? (nil, .mantissaDigits, true) : (.error, .recovery, true)
        case .digits:
            if isDigit(byte) { return (nil, .digits, true) }
            if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { return (nil, .exponent, true) }
            if byte == UInt8(ascii: ".") { return (nil, .mantissa, true) }
            return (.other, .start, false)
        case .sign:
            if byte == UInt8(ascii: "0") { return (nil, .zero, true) }
            if (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(byte) { return (nil, .digits, true) }
            return (.error, .recovery, true)
        case .keyword:
            if (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) { return (nil, .keyword, true) }
            return (.other, .start, false)
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
