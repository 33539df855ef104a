import SEVKit

/// Standard output, made safe: every `print` of the sevhost module resolves to this one,
/// which passes the text through `TerminalText.lines` (newlines kept, every other control
/// character escaped), so nothing a host, a QEMU, a firmware or a file put in a value reaches
/// the terminal raw, however a command assembled its lines. `sevhost ok` writes its report
/// directly (it may colour it) from results whose messages were made safe when the checks ran.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    let text = items.map { "\($0)" }.joined(separator: separator)
    Swift.print(TerminalText.lines(text), terminator: terminator)
}
