import SEVKit
import XCTest

final class SNPGuestPolicyTests: XCTestCase {
    /// Bit positions from the SNP firmware ABI (56860) guest policy table.
    func testFlagBitPositions() throws {
        let expected: [(String, UInt64)] = [
            ("smt", 1 << 16), ("migrate-ma", 1 << 18), ("debug", 1 << 19), ("single-socket", 1 << 20),
            ("cxl-allow", 1 << 21), ("mem-aes-256-xts", 1 << 22), ("rapl-dis", 1 << 23),
            ("ciphertext-hiding", 1 << 24), ("page-swap-disable", 1 << 25),
        ]
        XCTAssertEqual(SNPGuestPolicy.flags.map(\.name), expected.map(\.0))
        for (name, mask) in expected {
            // Names always carry the must-be-one bit 17.
            XCTAssertEqual(try SNPGuestPolicy(parsing: name).rawValue, mask | 0x20000, name)
        }
        XCTAssertEqual(SNPGuestPolicy.reservedOneMask, 0x20000)
        XCTAssertEqual(SNPGuestPolicy.reservedZeroMask, 0xffff_ffff_fc00_0000)
    }

    func testParsesNames() throws {
        XCTAssertEqual(try SNPGuestPolicy(parsing: "smt,single-socket").rawValue, 0x130000)
        XCTAssertEqual(try SNPGuestPolicy(parsing: "smt").rawValue, 0x30000)
        XCTAssertEqual(try SNPGuestPolicy(parsing: "smt,abi=1.55").rawValue, 0x30137)
        XCTAssertEqual(try SNPGuestPolicy(parsing: "0x30000").rawValue, 0x30000)
        XCTAssertEqual(try SNPGuestPolicy(parsing: "196608").rawValue, 0x30000)
    }

    func testABIFields() {
        var policy = SNPGuestPolicy(rawValue: 0x30137)
        XCTAssertEqual(policy.abiMajor, 1)
        XCTAssertEqual(policy.abiMinor, 0x37)
        policy.abiMinor = 0
        XCTAssertEqual(policy.rawValue, 0x30100)
    }

    func testNamesRoundTripForEveryFlagCombination() throws {
        for combination in 0..<(1 << SNPGuestPolicy.flags.count) {
            var policy = SNPGuestPolicy.minimal
            for (index, flag) in SNPGuestPolicy.flags.enumerated() where combination & (1 << index) != 0 {
                policy.set(flag)
            }
            policy.abiMajor = 1
            policy.abiMinor = 51
            XCTAssertEqual(try SNPGuestPolicy(parsing: policy.names), policy, policy.names)
            XCTAssertEqual(try SNPGuestPolicy(parsing: policy.hex), policy)
        }
    }

    func testPrintsBothWays() {
        XCTAssertEqual(SNPGuestPolicy(rawValue: 0x30000).description, "0x30000 (smt)")
        XCTAssertEqual(SNPGuestPolicy(rawValue: 0x20000).names, "none")
        XCTAssertEqual(SNPGuestPolicy(rawValue: 0x10000).names, "smt,no-reserved-17")
        XCTAssertEqual(SNPGuestPolicy(rawValue: 0x4_0002_0000).names, "reserved=0x400000000")
        XCTAssertFalse(SNPGuestPolicy(rawValue: 0x10000).hasReservedOne)
        XCTAssertTrue(SNPGuestPolicy(rawValue: 0xb0000).allowsDebug)
    }

    func testExplanation() {
        XCTAssertEqual(SNPGuestPolicy(rawValue: 0x130000).explanation, [
            "SNP guest policy 0x130000",
            "  bits 7:0 ABI_MINOR = 0",
            "  bits 15:8 ABI_MAJOR = 0",
            "  bit 16 SMT = 1: SMT is allowed on the host",
            "  bit 17 reserved = 1",
            "  bit 18 MIGRATE_MA = 0",
            "  bit 19 DEBUG = 0",
            "  bit 20 SINGLE_SOCKET = 1: the guest may be activated on one socket only",
            "  bit 21 CXL_ALLOW = 0",
            "  bit 22 MEM_AES_256_XTS = 0",
            "  bit 23 RAPL_DIS = 0",
            "  bit 24 CIPHERTEXT_HIDING = 0",
            "  bit 25 PAGE_SWAP_DISABLE = 0",
            "  names: smt,single-socket",
        ])
        XCTAssertEqual(
            SNPGuestPolicy(rawValue: 0x10000).explanation[4],
            "  bit 17 reserved = 0: must be 1, the firmware rejects this policy")
    }

    func testErrors() {
        XCTAssertThrowsError(try SNPGuestPolicy(parsing: "smt,single_socket")) { error in
            XCTAssertEqual(
                "\(error)",
                "unknown policy flag 'single_socket' (expected a hex value or names from: smt, migrate-ma, debug, single-socket, cxl-allow, mem-aes-256-xts, rapl-dis, ciphertext-hiding, page-swap-disable, abi=MAJOR.MINOR)")
        }
        XCTAssertThrowsError(try SNPGuestPolicy(parsing: "0x10000000000000000")) { error in
            XCTAssertEqual("\(error)", "policy '0x10000000000000000' is not a 64-bit number")
        }
        XCTAssertThrowsError(try SNPGuestPolicy(parsing: "abi=1.256")) { error in
            XCTAssertEqual(error as? PolicyParseError, .badVersion("1.256"))
        }
    }
}
