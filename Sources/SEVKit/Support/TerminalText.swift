/// Text that came from outside (QEMU's replies and events, the firmware, a file, the network)
/// made safe to show: the one sanitiser every program uses before such text reaches a
/// terminal, a log or the daemon's events.
///
/// A hostile QEMU or file could otherwise clear the screen, move the cursor, retitle the
/// window, or forge a whole line (`injected: 1 secret(s); guest continued`) inside a refusal.
/// So every control character, and every Unicode character that reorders or hides text, is
/// written as a visible escape; nothing else changes, so ordinary text reads as it was.
/// - C0 controls (newline, tab, ESC…) and DEL: `\n`, `\r`, `\t`, else `\x1b`;
/// - C1 controls (U+0080–U+009F, which some terminals obey like ESC sequences), bidirectional
///   overrides and isolates (U+202A–U+202E, U+2066–U+2069), zero-width and direction marks
///   (U+200B–U+200F, U+061C, U+FEFF) and the line and paragraph separators (U+2028, U+2029):
///   `\u{202e}`.
public enum TerminalText {
    /// One line: newlines are escaped too.
    public static func line(_ text: some StringProtocol) -> String {
        escape(text, keepingNewlines: false)
    }

    /// Several lines: newlines are kept (they separate lines sevhost itself wrote), every other
    /// character escaped as `line` does.
    public static func lines(_ text: some StringProtocol) -> String {
        escape(text, keepingNewlines: true)
    }

    /// A guest's console or a program's output, shown as it scrolled: tab and newline kept,
    /// a carriage return just before a newline (a serial console ends lines with CR LF)
    /// dropped, every other control character a visible `\xHH`. Scalar by scalar, not by
    /// `Character`: Swift reads CR LF as one character.
    public static func printable(_ text: String) -> String {
        var output = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            switch scalar.value {
            case 0x0d where index + 1 < scalars.count && scalars[index + 1] == "\n":
                continue
            case 0x09, 0x0a, 0x20..<0x7f, 0xa0...:
                output.append(scalar)
            default:
                output.append(contentsOf: ("\\x" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)).unicodeScalars)
            }
        }
        return String(output)
    }

    /// Whether `text` would print unchanged as one line.
    public static func isClean(_ text: some StringProtocol) -> Bool {
        !text.unicodeScalars.contains(where: needsEscape)
    }

    /// The scalars that must not reach a terminal as they are.
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x061C, 0x200B...0x200F, 0x2028...0x202E, 0x2066...0x2069, 0xFEFF: true
        default: false
        }
    }

    private static func escape(_ text: some StringProtocol, keepingNewlines: Bool) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return String(text) }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar), !(keepingNewlines && scalar == "\n") else {
                out.append(scalar)
                continue
            }
            let escaped: String
            switch scalar {
            case "\n": escaped = "\\n"
            case "\r": escaped = "\\r"
            case "\t": escaped = "\\t"
            default:
                let hex = String(scalar.value, radix: 16)
                escaped = scalar.value < 0x80 ? "\\x" + (hex.count < 2 ? "0" : "") + hex : "\\u{\(hex)}"
            }
            out.append(contentsOf: escaped.unicodeScalars)
        }
        return String(out)
    }
}
