import CSEVFirmware
import Foundation
import SEVKit

/// The firmware behind the Linux `ccp` driver's `/dev/sev`: each command is one SEV_ISSUE_CMD
/// ioctl whose parameter block is the structure `<linux/psp-sev.h>` declares (Swift imports the
/// header itself through CSEVFirmware; no layout is restated here).
///
/// The device is opened for each command, as sevctl does: the kernel serializes commands, and
/// holding no descriptor means no state to get wrong between them. Queries open it read-only
/// (the kernel lets any reader ask for status, the ID and the chain); commands that change the
/// platform open it for writing, which the kernel requires of them.
public struct LinuxSEVFirmware: SEVFirmware {
    public let path: String
    public var location: String { path }

    public init(path: String = "/dev/sev") { self.path = path }

    // MARK: SEV

    public func platformStatus() async throws(SEVFirmwareError) -> SEVPlatformStatus { try platformStatusNow() }

    /// PLATFORM_STATUS, synchronously (the host probe of `sevhost ok` is synchronous).
    public func platformStatusNow() throws(SEVFirmwareError) -> SEVPlatformStatus {
        var data = sev_user_data_status()
        try issue(CSEV_CMD_PLATFORM_STATUS, "PLATFORM_STATUS", &data)
        let state: SEVPlatformStatus.State
        switch data.state {
        case 0: state = .uninitialized
        case 1: state = .initialized
        case 2: state = .working
        default:
            throw SEVFirmwareError(command: "PLATFORM_STATUS", .invalidResponse(reason: "platform state \(data.state) is not one the SEV API defines"))
        }
        return SEVPlatformStatus(
            apiMajor: data.api_major, apiMinor: data.api_minor, build: data.build, state: state,
            flags: data.flags, guestCount: data.guest_count)
    }

    public func identifier() async throws(SEVFirmwareError) -> [UInt8] {
        // 64 bytes per socket; two sockets is the most an EPYC system has.
        let buffer = Self.zeroedBuffer(128)
        defer { buffer.deallocate() }
        var data = sev_user_data_get_id2()
        data.address = Self.address(buffer)
        data.length = UInt32(buffer.count)
        try issue(CSEV_CMD_GET_ID2, "GET_ID", &data)
        guard data.length > 0, data.length <= buffer.count else {
            throw SEVFirmwareError(command: "GET_ID", .invalidResponse(reason: "identifier length \(data.length)"))
        }
        return Array(buffer[0..<Int(data.length)])
    }

    public func pekCSR() async throws(SEVFirmwareError) -> SEVPlatformCertificate {
        let buffer = Self.zeroedBuffer(SEVPlatformCertificate.size)
        defer { buffer.deallocate() }
        var data = sev_user_data_pek_csr()
        data.address = Self.address(buffer)
        data.length = UInt32(buffer.count)
        try issue(CSEV_CMD_PEK_CSR, "PEK_CSR", &data)
        return try Self.certificate(Array(buffer), command: "PEK_CSR", name: "PEK CSR")
    }

    public func importPEK(_ pek: SEVPlatformCertificate, oca: SEVPlatformCertificate) async throws(SEVFirmwareError) {
        let pekBuffer = Self.buffer(holding: pek.encoded)
        let ocaBuffer = Self.buffer(holding: oca.encoded)
        defer {
            pekBuffer.deallocate()
            ocaBuffer.deallocate()
        }
        var data = sev_user_data_pek_cert_import()
        data.pek_cert_address = Self.address(pekBuffer)
        data.pek_cert_len = UInt32(pekBuffer.count)
        data.oca_cert_address = Self.address(ocaBuffer)
        data.oca_cert_len = UInt32(ocaBuffer.count)
        try issue(CSEV_CMD_PEK_CERT_IMPORT, "PEK_CERT_IMPORT", &data)
    }

    public func exportPDH() async throws(SEVFirmwareError) -> SEVPlatformChain {
        let pdh = Self.zeroedBuffer(SEVPlatformCertificate.size)
        let chain = Self.zeroedBuffer(3 * SEVPlatformCertificate.size)
        defer {
            pdh.deallocate()
            chain.deallocate()
        }
        var data = sev_user_data_pdh_cert_export()
        data.pdh_cert_address = Self.address(pdh)
        data.pdh_cert_len = UInt32(pdh.count)
        data.cert_chain_address = Self.address(chain)
        data.cert_chain_len = UInt32(chain.count)
        try issue(CSEV_CMD_PDH_CERT_EXPORT, "PDH_CERT_EXPORT", &data)
        // The firmware's chain is PEK, OCA, CEK; with the PDH first it is sevctl's export order.
        var reader = ByteReader(Array(pdh) + Array(chain), context: "PDH_CERT_EXPORT answer")
        do {
            return try SEVPlatformChain(reader: &reader)
        } catch {
            throw SEVFirmwareError(command: "PDH_CERT_EXPORT", .invalidResponse(reason: error.description))
        }
    }

    public func generatePEK() async throws(SEVFirmwareError) { try issueEmpty(CSEV_CMD_PEK_GEN, "PEK_GEN") }
    public func generatePDH() async throws(SEVFirmwareError) { try issueEmpty(CSEV_CMD_PDH_GEN, "PDH_GEN") }
    public func resetPlatform() async throws(SEVFirmwareError) { try issueEmpty(CSEV_CMD_FACTORY_RESET, "PLATFORM_RESET") }

    // MARK: SNP

    public func snpPlatformStatus() async throws(SEVFirmwareError) -> SNPFirmwareStatus { try snpPlatformStatusNow() }

    /// SNP_PLATFORM_STATUS, synchronously. The flags byte is read raw: the header names only
    /// bit 0 (RMP initialized); bit 1 (alias check complete) is in its reserved bits.
    public func snpPlatformStatusNow() throws(SEVFirmwareError) -> SNPFirmwareStatus {
        var data = sev_user_data_snp_status()
        try issue(CSEV_CMD_SNP_PLATFORM_STATUS, "SNP_PLATFORM_STATUS", &data)
        let flags = withUnsafeBytes(of: &data) { $0[Int(csev_snp_status_flags_byte())] }
        let state: SNPPlatformStatus.State
        switch data.state {
        case 0: state = .uninitialized
        case 1: state = .initialized
        default:
            throw SEVFirmwareError(command: "SNP_PLATFORM_STATUS", .invalidResponse(reason: "SNP state \(data.state) is not one the ABI defines"))
        }
        return SNPFirmwareStatus(
            apiMajor: data.api_major, apiMinor: data.api_minor, state: state,
            rmpInitialized: flags & 1 != 0, aliasCheckComplete: flags & 2 != 0, buildID: data.build_id,
            maskChipID: data.mask_chip_id != 0, maskChipKey: data.mask_chip_key != 0, vlekEnabled: data.vlek_en != 0,
            guestCount: data.guest_count, currentTCB: data.current_tcb_version, reportedTCB: data.reported_tcb_version)
    }

    public func snpCommit() async throws(SEVFirmwareError) { try issueEmpty(CSEV_CMD_SNP_COMMIT, "SNP_COMMIT") }

    public func snpSetConfig(_ config: SNPConfig) async throws(SEVFirmwareError) {
        var data = sev_user_data_snp_config()
        data.reported_tcb = config.reportedTCB
        data.mask_chip_id = config.maskChipID ? 1 : 0
        data.mask_chip_key = config.maskChipKey ? 1 : 0
        try issue(CSEV_CMD_SNP_SET_CONFIG, "SNP_SET_CONFIG", &data)
    }

    /// SNP_VLEK_LOAD: the 432-byte hashstick in a buffer of its own, its address and the
    /// structure's length in `struct sev_user_data_snp_vlek_load` (version 0, the only one).
    public func snpVLEKLoad(_ hashstick: VLEKHashstick) async throws(SEVFirmwareError) {
        let buffer = Self.buffer(holding: hashstick.encoded)
        defer { buffer.deallocate() }
        var data = sev_user_data_snp_vlek_load()
        data.len = UInt32(MemoryLayout<sev_user_data_snp_vlek_load>.size)
        data.vlek_wrapped_version = 0
        data.vlek_wrapped_address = Self.address(buffer)
        try issue(CSEV_CMD_SNP_VLEK_LOAD, "SNP_VLEK_LOAD", &data)
    }

    /// Linux 6.9 removed SNP_GET_EXT_CONFIG/SNP_SET_EXT_CONFIG: since then the VMM hands the table to
    /// guests, and there is nothing to ask /dev/sev. The device is still opened first, so a
    /// host without it hears that, as for every other command.
    public func snpCertificates() async throws(SEVFirmwareError) -> SNPCertificateTable {
        try withDevice(writable: false) { (_: Int32) throws(SEVFirmwareError) in }
        throw Self.noExtendedConfig("SNP_GET_EXT_CONFIG")
    }

    public func setSNPCertificates(_ table: SNPCertificateTable) async throws(SEVFirmwareError) {
        try withDevice { (_: Int32) throws(SEVFirmwareError) in }
        throw Self.noExtendedConfig("SNP_SET_EXT_CONFIG")
    }

    static func noExtendedConfig(_ command: String) -> SEVFirmwareError {
        SEVFirmwareError(
            command: command,
            .unsupported(reason: "the kernel's <linux/psp-sev.h> (Linux 6.9 and later) has no extended-config command; write the table to a file for the VMM instead (--table FILE)"))
    }

    // MARK: ioctl

    private func withDevice<T>(writable: Bool = true, _ body: (Int32) throws(SEVFirmwareError) -> T) throws(SEVFirmwareError) -> T {
        let fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC)
        guard fd >= 0 else {
            throw SEVFirmwareError(command: nil, .deviceUnavailable(path: path, reason: HostReadFailure(errno: errno).description))
        }
        defer { close(fd) }
        return try body(fd)
    }

    /// The commands that only read: the kernel does not ask for a writable descriptor.
    private static let queries: Set<String> = ["PLATFORM_STATUS", "GET_ID", "PDH_CERT_EXPORT", "SNP_PLATFORM_STATUS"]

    private func issue<Parameters>(_ command: csev_command, _ name: String, _ data: inout Parameters) throws(SEVFirmwareError) {
        try withDevice(writable: !Self.queries.contains(name)) { (fd: Int32) throws(SEVFirmwareError) in
            var status: UInt32 = 0
            let result = withUnsafeMutableBytes(of: &data) { raw in
                csev_sev_issue_cmd(fd, UInt32(csev_command_number(command)), raw.baseAddress, &status)
            }
            let failure = errno
            if status != 0 { throw SEVFirmwareError(command: name, .firmware(FirmwareStatusCode(rawValue: status))) }
            if result != 0 { throw SEVFirmwareError(command: name, .system(reason: HostReadFailure(errno: failure).description)) }
        }
    }

    /// Commands without a parameter block (the kernel ignores `data`).
    private func issueEmpty(_ command: csev_command, _ name: String) throws(SEVFirmwareError) {
        var none: UInt64 = 0
        try issue(command, name, &none)
    }

    /// Buffers the firmware writes into (by physical copy through the kernel), zeroed first.
    private static func zeroedBuffer(_ count: Int) -> UnsafeMutableRawBufferPointer {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 8)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        return buffer
    }

    private static func buffer(holding bytes: [UInt8]) -> UnsafeMutableRawBufferPointer {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
        buffer.copyBytes(from: bytes)
        return buffer
    }

    private static func address(_ buffer: UnsafeMutableRawBufferPointer) -> UInt64 {
        UInt64(UInt(bitPattern: buffer.baseAddress))
    }

    private static func certificate(_ bytes: [UInt8], command: String, name: String) throws(SEVFirmwareError) -> SEVPlatformCertificate {
        do {
            return try SEVPlatformCertificate(bytes: bytes, name: name)
        } catch {
            throw SEVFirmwareError(command: command, .invalidResponse(reason: error.description))
        }
    }
}
