/// The QEMU command line `sevhost launch --print qemu` writes (one option per line, continued
/// with backslashes, words single-quoted where the shell needs it), read back as the argument
/// vector QEMU would get.
public struct PrintedQEMUCommand: Sendable {
    /// argv without the program.
    public let arguments: [String]

    public init(_ printed: String) {
        var words: [String] = []
        var word = "", quoted = false, inWord = false
        for c in printed.replacingOccurrences(of: "\\\n", with: " ") {
            if quoted {
                if c == "'" { quoted = false } else { word.append(c) }
            } else if c == "'" {
                quoted = true
                inWord = true
            } else if c == "\\" {
                continue
            } else if c.isWhitespace {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(c)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        arguments = Array(words.dropFirst())
    }

    /// An argument vector already split.
    public init(arguments: [String]) {
        self.arguments = arguments
    }

    /// The value after the first `option` (`-bios`, `-smp`), nil when absent.
    public func value(_ option: String) -> String? {
        guard let index = arguments.firstIndex(of: option), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }

    /// The properties of the first `-object TYPE,…` (`sev-snp-guest`), nil when there is none.
    /// Values hold no commas here (base64, numbers, on/off), so a plain split is exact.
    public func objectProperties(_ type: String) -> [String: String]? {
        guard let object = arguments.first(where: { $0.hasPrefix(type + ",") }) else { return nil }
        var properties: [String: String] = [:]
        for part in object.split(separator: ",").dropFirst() {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            properties[kv[0]] = kv.count == 2 ? kv[1] : ""
        }
        return properties
    }
}
