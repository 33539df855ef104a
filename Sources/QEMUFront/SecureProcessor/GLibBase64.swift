/// Base64 as GLib decodes it (`g_base64_decode`), which is how QEMU reads every base64 string it
/// is given (`dh-cert-file`, `session-file`, the `packet-header` and `secret` of
/// `sev-inject-launch-secret`, the `mnonce` of `query-sev-attestation-report`).
///
/// GLib never fails: characters outside the alphabet are skipped, `=` counts as a zero digit
/// whose byte is then dropped, and a last group of fewer than four digits is ignored. So QEMU
/// never says "failed to decode" for bad text; it says the result is empty, or the wrong
/// length. Decoding the GLib way gives the simulated AMD-SP the same bytes QEMU would hand the
/// real one.
enum GLibBase64 {
    private static let rank: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(character)] = UInt8(index)
        }
        table[Int(UInt8(ascii: "="))] = 0
        return table
    }()

    static func decode(_ text: String) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count / 4 * 3)
        var value: UInt32 = 0
        var count = 0
        var last: (UInt8, UInt8) = (0, 0)
        for character in text.utf8 {
            let digit = rank[Int(character)]
            guard digit != 0xFF else { continue }
            last = (character, last.0)
            value = value << 6 | UInt32(digit)
            count += 1
            if count == 4 {
                output.append(UInt8(truncatingIfNeeded: value >> 16))
                if last.1 != UInt8(ascii: "=") { output.append(UInt8(truncatingIfNeeded: value >> 8)) }
                if last.0 != UInt8(ascii: "=") { output.append(UInt8(truncatingIfNeeded: value)) }
                count = 0
            }
        }
        return output
    }
}
