import CSEVFirmware
import SEVKit
import XCTest

/// Every structure the /dev/sev commands pass, as the C compiler lays it out from the
/// kernel's <linux/psp-sev.h>, against (1) the layout Swift imported from the same header and
/// (2) the offsets the SEV API (55766) and SNP ABI (56860) give for the firmware's buffers.
/// A header that changed a field's place, or a Swift import that packed differently, fails here.
final class IoctlLayoutTests: XCTestCase {
    struct Field: Equatable, CustomStringConvertible {
        var offset: Int
        var size: Int
        var description: String { "offset \(offset) size \(size)" }
    }

    /// The spec's layout of each structure ("sizeof": total size).
    static let expected: [String: [String: Field]] = [
        "sev_issue_cmd": [
            "sizeof": .init(offset: 0, size: 16), "cmd": .init(offset: 0, size: 4), "data": .init(offset: 4, size: 8),
            "error": .init(offset: 12, size: 4),
        ],
        "sev_user_data_status": [
            "sizeof": .init(offset: 0, size: 12), "api_major": .init(offset: 0, size: 1), "api_minor": .init(offset: 1, size: 1),
            "state": .init(offset: 2, size: 1), "flags": .init(offset: 3, size: 4), "build": .init(offset: 7, size: 1),
            "guest_count": .init(offset: 8, size: 4),
        ],
        "sev_user_data_pek_csr": [
            "sizeof": .init(offset: 0, size: 12), "address": .init(offset: 0, size: 8), "length": .init(offset: 8, size: 4),
        ],
        "sev_user_data_pek_cert_import": [
            "sizeof": .init(offset: 0, size: 24), "pek_cert_address": .init(offset: 0, size: 8),
            "pek_cert_len": .init(offset: 8, size: 4), "oca_cert_address": .init(offset: 12, size: 8),
            "oca_cert_len": .init(offset: 20, size: 4),
        ],
        "sev_user_data_pdh_cert_export": [
            "sizeof": .init(offset: 0, size: 24), "pdh_cert_address": .init(offset: 0, size: 8),
            "pdh_cert_len": .init(offset: 8, size: 4), "cert_chain_address": .init(offset: 12, size: 8),
            "cert_chain_len": .init(offset: 20, size: 4),
        ],
        "sev_user_data_get_id2": [
            "sizeof": .init(offset: 0, size: 12), "address": .init(offset: 0, size: 8), "length": .init(offset: 8, size: 4),
        ],
        "sev_user_data_snp_status": [
            "sizeof": .init(offset: 0, size: 32), "api_major": .init(offset: 0, size: 1), "api_minor": .init(offset: 1, size: 1),
            "state": .init(offset: 2, size: 1), "build_id": .init(offset: 4, size: 4), "guest_count": .init(offset: 12, size: 4),
            "current_tcb_version": .init(offset: 16, size: 8), "reported_tcb_version": .init(offset: 24, size: 8),
        ],
        "sev_user_data_snp_config": [
            "sizeof": .init(offset: 0, size: 64), "reported_tcb": .init(offset: 0, size: 8), "rsvd1": .init(offset: 12, size: 52),
        ],
        // SNP_VLEK_LOAD (SNP ABI 56860, "SNP_VLEK_LOAD"): LEN, VLEK_WRAPPED_VERSION, reserved,
        // the hashstick's address; the wrapped hashstick itself is 432 bytes.
        "sev_user_data_snp_vlek_load": [
            "sizeof": .init(offset: 0, size: 16), "len": .init(offset: 0, size: 4), "vlek_wrapped_version": .init(offset: 4, size: 1),
            "rsvd": .init(offset: 5, size: 3), "vlek_wrapped_address": .init(offset: 8, size: 8),
        ],
        "sev_user_data_snp_wrapped_vlek_hashstick": [
            "sizeof": .init(offset: 0, size: 432), "data": .init(offset: 0, size: 432),
        ],
    ]

    /// The C side: the table the shim builds with offsetof/sizeof.
    static func cLayouts() -> [String: [String: Field]] {
        var count = 0
        guard let table = csev_field_layouts(&count) else { return [:] }
        var result: [String: [String: Field]] = [:]
        for entry in UnsafeBufferPointer(start: table, count: count) {
            result[String(cString: entry.structure), default: [:]][String(cString: entry.field)] =
                Field(offset: entry.offset, size: entry.size)
        }
        return result
    }

    func testCHeaderMatchesTheSpecifications() throws {
        #if !os(Linux)
        throw XCTSkip("<linux/psp-sev.h> exists on Linux only")
        #else
        let c = Self.cLayouts()
        XCTAssertEqual(Set(c.keys), Set(Self.expected.keys))
        for (structure, fields) in Self.expected {
            for (field, layout) in fields {
                XCTAssertEqual(c[structure]?[field], layout, "\(structure).\(field)")
            }
        }
        XCTAssertEqual(c.values.reduce(0) { $0 + $1.count }, Self.expected.values.reduce(0) { $0 + $1.count })
        #endif
    }

    #if os(Linux)
    /// Swift's import of the header: same sizes and offsets as the C compiler's.
    func testSwiftImportMatchesTheCHeader() {
        let c = Self.cLayouts()
        func check<T>(_ type: T.Type, _ name: String, _ fields: [(String, PartialKeyPath<T>)], file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertEqual(MemoryLayout<T>.size, c[name]?["sizeof"]?.size, "sizeof(\(name))", file: file, line: line)
            for (field, path) in fields {
                XCTAssertEqual(MemoryLayout<T>.offset(of: path), c[name]?[field]?.offset, "\(name).\(field)", file: file, line: line)
            }
        }
        check(sev_issue_cmd.self, "sev_issue_cmd", [("cmd", \.cmd), ("data", \.data), ("error", \.error)])
        check(sev_user_data_status.self, "sev_user_data_status", [
            ("api_major", \.api_major), ("api_minor", \.api_minor), ("state", \.state), ("flags", \.flags),
            ("build", \.build), ("guest_count", \.guest_count),
        ])
        check(sev_user_data_pek_csr.self, "sev_user_data_pek_csr", [("address", \.address), ("length", \.length)])
        check(sev_user_data_pek_cert_import.self, "sev_user_data_pek_cert_import", [
            ("pek_cert_address", \.pek_cert_address), ("pek_cert_len", \.pek_cert_len),
            ("oca_cert_address", \.oca_cert_address), ("oca_cert_len", \.oca_cert_len),
        ])
        check(sev_user_data_pdh_cert_export.self, "sev_user_data_pdh_cert_export", [
            ("pdh_cert_address", \.pdh_cert_address), ("pdh_cert_len", \.pdh_cert_len),
            ("cert_chain_address", \.cert_chain_address), ("cert_chain_len", \.cert_chain_len),
        ])
        check(sev_user_data_get_id2.self, "sev_user_data_get_id2", [("address", \.address), ("length", \.length)])
        check(sev_user_data_snp_status.self, "sev_user_data_snp_status", [
            ("api_major", \.api_major), ("api_minor", \.api_minor), ("state", \.state), ("build_id", \.build_id),
            ("guest_count", \.guest_count), ("current_tcb_version", \.current_tcb_version),
            ("reported_tcb_version", \.reported_tcb_version),
        ])
        check(sev_user_data_snp_config.self, "sev_user_data_snp_config", [("reported_tcb", \.reported_tcb), ("rsvd1", \.rsvd1)])
        check(sev_user_data_snp_vlek_load.self, "sev_user_data_snp_vlek_load", [
            ("len", \.len), ("vlek_wrapped_version", \.vlek_wrapped_version), ("rsvd", \.rsvd),
            ("vlek_wrapped_address", \.vlek_wrapped_address),
        ])
        check(sev_user_data_snp_wrapped_vlek_hashstick.self, "sev_user_data_snp_wrapped_vlek_hashstick", [("data", \.data)])
        XCTAssertEqual(MemoryLayout<sev_user_data_snp_wrapped_vlek_hashstick>.size, VLEKHashstick.size)
    }

    /// The bit-fields (which offsetof cannot name): the SNP status flags byte is at 0x03 and the
    /// chip masks at 0x08 of both structures, and Swift's bit-field setters write those bits.
    func testBitFieldsSitWhereTheABIPutsThem() {
        XCTAssertEqual(csev_snp_status_flags_byte(), 3)
        XCTAssertEqual(csev_snp_config_flags_byte(), 8)

        var status = sev_user_data_snp_status()
        status.is_rmp_initialized = 1
        status.mask_chip_key = 1
        status.vlek_en = 1
        let statusBytes = withUnsafeBytes(of: &status) { Array($0) }
        var expected = [UInt8](repeating: 0, count: 32)
        expected[3] = 0b1
        expected[8] = 0b110
        XCTAssertEqual(statusBytes, expected)

        var config = sev_user_data_snp_config()
        config.reported_tcb = 0x0102_0304_0506_0708
        config.mask_chip_id = 1
        config.mask_chip_key = 1
        let configBytes = withUnsafeBytes(of: &config) { Array($0) }
        XCTAssertEqual(Array(configBytes[0..<12]), [8, 7, 6, 5, 4, 3, 2, 1, 0b11, 0, 0, 0])
        XCTAssertTrue(configBytes[12...].allSatisfy { $0 == 0 })
    }

    /// The command numbers come from the header's enum (PLATFORM_STATUS is 1 … SNP_VLEK_LOAD 12).
    func testCommandNumbers() {
        let commands: [(csev_command, Int32)] = [
            (CSEV_CMD_FACTORY_RESET, 0), (CSEV_CMD_PLATFORM_STATUS, 1), (CSEV_CMD_PEK_GEN, 2), (CSEV_CMD_PEK_CSR, 3),
            (CSEV_CMD_PDH_GEN, 4), (CSEV_CMD_PDH_CERT_EXPORT, 5), (CSEV_CMD_PEK_CERT_IMPORT, 6), (CSEV_CMD_GET_ID2, 8),
            (CSEV_CMD_SNP_PLATFORM_STATUS, 9), (CSEV_CMD_SNP_COMMIT, 10), (CSEV_CMD_SNP_SET_CONFIG, 11),
            (CSEV_CMD_SNP_VLEK_LOAD, 12),
        ]
        for (command, number) in commands {
            XCTAssertEqual(csev_command_number(command), number, "\(command)")
        }
    }
    #endif
}

#if os(Linux)
import SEVPlatform

/// The status code names and numbers against the header's `sev_ret_code` enum.
final class StatusCodeHeaderTests: XCTestCase {
    func testNamesAndNumbersMatchTheHeader() {
        let header: [(sev_ret_code, String)] = [
            (SEV_RET_SUCCESS, "SUCCESS"), (SEV_RET_INVALID_PLATFORM_STATE, "INVALID_PLATFORM_STATE"),
            (SEV_RET_INVALID_GUEST_STATE, "INVALID_GUEST_STATE"), (SEV_RET_INVALID_CONFIG, "INVALID_CONFIG"),
            (SEV_RET_INVALID_LEN, "INVALID_LEN"), (SEV_RET_ALREADY_OWNED, "ALREADY_OWNED"),
            (SEV_RET_INVALID_CERTIFICATE, "INVALID_CERTIFICATE"), (SEV_RET_POLICY_FAILURE, "POLICY_FAILURE"),
            (SEV_RET_INACTIVE, "INACTIVE"), (SEV_RET_INVALID_ADDRESS, "INVALID_ADDRESS"),
            (SEV_RET_BAD_SIGNATURE, "BAD_SIGNATURE"), (SEV_RET_BAD_MEASUREMENT, "BAD_MEASUREMENT"),
            (SEV_RET_ASID_OWNED, "ASID_OWNED"), (SEV_RET_INVALID_ASID, "INVALID_ASID"),
            (SEV_RET_WBINVD_REQUIRED, "WBINVD_REQUIRED"), (SEV_RET_DFFLUSH_REQUIRED, "DF_FLUSH_REQUIRED"),
            (SEV_RET_INVALID_GUEST, "INVALID_GUEST"), (SEV_RET_INVALID_COMMAND, "INVALID_COMMAND"),
            (SEV_RET_ACTIVE, "ACTIVE"), (SEV_RET_HWSEV_RET_PLATFORM, "HWERROR_PLATFORM"),
            (SEV_RET_HWSEV_RET_UNSAFE, "HWERROR_UNSAFE"), (SEV_RET_UNSUPPORTED, "UNSUPPORTED"),
            (SEV_RET_INVALID_PARAM, "INVALID_PARAM"), (SEV_RET_RESOURCE_LIMIT, "RESOURCE_LIMIT"),
            (SEV_RET_SECURE_DATA_INVALID, "SECURE_DATA_INVALID"), (SEV_RET_INVALID_PAGE_SIZE, "INVALID_PAGE_SIZE"),
            (SEV_RET_INVALID_PAGE_STATE, "INVALID_PAGE_STATE"), (SEV_RET_INVALID_MDATA_ENTRY, "INVALID_MDATA_ENTRY"),
            (SEV_RET_INVALID_PAGE_OWNER, "INVALID_PAGE_OWNER"), (SEV_RET_AEAD_OFLOW, "AEAD_OFLOW"),
            (SEV_RET_EXIT_RING_BUFFER, "EXIT_RING_BUFFER"), (SEV_RET_RMP_INIT_REQUIRED, "RMP_INIT_REQUIRED"),
            (SEV_RET_BAD_SVN, "BAD_SVN"), (SEV_RET_BAD_VERSION, "BAD_VERSION"),
            (SEV_RET_SHUTDOWN_REQUIRED, "SHUTDOWN_REQUIRED"), (SEV_RET_UPDATE_FAILED, "UPDATE_FAILED"),
            (SEV_RET_RESTORE_REQUIRED, "RESTORE_REQUIRED"), (SEV_RET_RMP_INITIALIZATION_FAILED, "RMP_INITIALIZATION_FAILED"),
            (SEV_RET_INVALID_KEY, "INVALID_KEY"),
        ]
        for (code, name) in header {
            XCTAssertEqual(FirmwareStatusCode(rawValue: UInt32(code.rawValue)).name, name, "\(code.rawValue)")
        }
        // The named constants sevhost raises itself.
        XCTAssertEqual(FirmwareStatusCode.invalidPlatformState.rawValue, UInt32(SEV_RET_INVALID_PLATFORM_STATE.rawValue))
        XCTAssertEqual(FirmwareStatusCode.alreadyOwned.rawValue, UInt32(SEV_RET_ALREADY_OWNED.rawValue))
        XCTAssertEqual(FirmwareStatusCode.invalidCertificate.rawValue, UInt32(SEV_RET_INVALID_CERTIFICATE.rawValue))
        XCTAssertEqual(FirmwareStatusCode.policyFailure.rawValue, UInt32(SEV_RET_POLICY_FAILURE.rawValue))
        XCTAssertEqual(FirmwareStatusCode.badSignature.rawValue, UInt32(SEV_RET_BAD_SIGNATURE.rawValue))
        XCTAssertEqual(FirmwareStatusCode.invalidCommand.rawValue, UInt32(SEV_RET_INVALID_COMMAND.rawValue))
        XCTAssertEqual(FirmwareStatusCode.unsupported.rawValue, UInt32(SEV_RET_UNSUPPORTED.rawValue))
        XCTAssertEqual(FirmwareStatusCode.invalidParam.rawValue, UInt32(SEV_RET_INVALID_PARAM.rawValue))
    }
}
#endif
