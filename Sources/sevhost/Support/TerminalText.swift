/// Text from outside (a guest's console, a program's output) made safe to print: control
/// characters other than tab become visible `\xHH` escapes, so that no escape sequence in a
/// guest's serial output reaches the user's terminal. A line's trailing carriage return (a
/// serial console ends lines with CR LF) is dropped.
enum TerminalText {
    static func printable(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if index > 0 { output += "\n" }
            let content = line.last == "\r" ? line.dropLast() : line
            for scalar in content.unicodeScalars {
                switch scalar.value {
                case 0x09, 0x20..<0x7f, 0xa0...:
                    output.unicodeScalars.append(scalar)
                default:
                    output += "\\x" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
                }
            }
        }
        return output
    }
}
