/// The SEV firmware image the kernel offers the AMD Secure Processor at boot (DOWNLOAD_FIRMWARE),
/// and what can be read from it without the firmware.
///
/// Linux's ccp driver (`sev_get_firmware`, drivers/crypto/ccp/sev-dev.c) asks for, in order,
/// `amd/amd_sev_fam<FF>h_model<MM>h.sbin` (this family and model), then
/// `amd/amd_sev_fam<FF>h_model<M>xh.sbin` (its group of 16 models), then `amd/sev.fw`, under
/// the firmware search path (/lib/firmware); the first that exists is sent, and the firmware
/// takes it only if it is newer than what is running (AMDSEV#271: a distribution's older file
/// is silently skipped, a newer one silently "auto-updates" at every boot, until committed).
public struct SEVFirmwareFile: Sendable, Hashable {
    /// Where the kernel looks, relative to the firmware directory (`amd/…`), in its order.
    public static func candidateNames(family: UInt32, model: UInt32) -> [String] {
        [
            "amd/amd_sev_fam\(hex2(family))h_model\(hex2(model))h.sbin",
            "amd/amd_sev_fam\(hex2(family))h_model\(String(model >> 4 & 0xf, radix: 16))xh.sbin",
            "amd/sev.fw",
        ]
    }

    private static func hex2(_ value: UInt32) -> String {
        let text = String(value & 0xff, radix: 16)
        return text.count == 1 ? "0" + text : text
    }

    /// The version in the image header (AMD's SEV firmware image header, `FWVersion` at 0x60),
    /// read as build in byte 0x60, API minor in 0x61 and API major in 0x62: the SEV API's
    /// `major.minor` and build that PLATFORM_STATUS reports once the image runs.
    public struct Version: Sendable, Hashable, Comparable, CustomStringConvertible {
        public var major: UInt8
        public var minor: UInt8
        public var build: UInt8

        public init(major: UInt8, minor: UInt8, build: UInt8) {
            self.major = major
            self.minor = minor
            self.build = build
        }

        public static func < (a: Version, b: Version) -> Bool {
            (a.major, a.minor, a.build) < (b.major, b.minor, b.build)
        }

        /// `1.55.21`, as AMD names its firmware releases.
        public var description: String { "\(major).\(minor).\(build)" }
    }

    /// The header's "$PS1" cookie at 0x10, which every signed PSP image carries.
    static let cookie: [UInt8] = Array("$PS1".utf8)
    static let cookieOffset = 0x10
    static let versionOffset = 0x60
    /// The header is 0x100 bytes; only its start is needed.
    public static let headerSize = 0x100

    /// The version of the image that starts with `header`; nil when it is not a signed PSP image.
    public static func version(header: [UInt8]) -> Version? {
        guard header.count >= versionOffset + 4,
              Array(header[cookieOffset..<(cookieOffset + 4)]) == cookie else { return nil }
        return Version(major: header[versionOffset + 2], minor: header[versionOffset + 1], build: header[versionOffset])
    }
}
