/// Text from outside (a guest's console, a program's output) made safe to print: control
/// characters other than tab and newline become visible `\xHH` escapes, so that no escape
/// sequence in a guest's serial output reaches the user's terminal. A carriage return just
/// before a newline (a serial console ends lines with CR LF) is dropped.
///
/// Scalar by scalar, not by `Character`: Swift reads CR LF as one character.
enum TerminalText {
    static func printable(_ text: String) -> String {
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
}
