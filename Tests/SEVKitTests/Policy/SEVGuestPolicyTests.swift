import SEVKit
import XCTest

final class SEVGuestPolicyTests: XCTestCase {
    /// Bit positions from the SEV API (55766) guest policy table.
    func testFlagBitPositions() {
        let expected: [(String, UInt32)] = [
            ("nodbg", 0x01), ("noks", 0x02), ("es", 0x04), ("nosend", 0x08), ("domain", 0x10), ("sev", 0x20),
        ]
        XCTAssertEqual(SEVGuestPolicy.flags.map(\.name), expected.map(\.0))
        for (name, mask) in expected {
            XCTAssertEqual(try SEVGuestPolicy(parsing: name).rawValue, mask, name)
        }
    }

    func testParsesNamesInAnyOrderAndCase() throws {
        XCTAssertEqual(try SEVGuestPolicy(parsing: "nodbg,nosend,es").rawValue, 0x0d)
        XCTAssertEqual(try SEVGuestPolicy(parsing: " ES , NODBG ").rawValue, 0x05)
    }

    func testParsesHexAndDecimal() throws {
        XCTAssertEqual(try SEVGuestPolicy(parsing: "0x5").rawValue, 5)
        XCTAssertEqual(try SEVGuestPolicy(parsing: "0X0007").rawValue, 7)
        XCTAssertEqual(try SEVGuestPolicy(parsing: "13").rawValue, 13)
    }

    func testAPIVersionFields() throws {
        var policy = try SEVGuestPolicy(parsing: "nodbg,api=1.2")
        XCTAssertEqual(policy.rawValue, 0x0201_0001)
        XCTAssertEqual(policy.apiMajor, 1)
        XCTAssertEqual(policy.apiMinor, 2)
        XCTAssertEqual(policy.names, "nodbg,api=1.2")
        policy.apiMajor = 0
        XCTAssertEqual(policy.rawValue, 0x0200_0001)
    }

    func testNamesRoundTripForEveryFlagCombination() throws {
        for bits in UInt32(0)..<64 {
            let policy = SEVGuestPolicy(rawValue: bits | 0x0304_0000)
            XCTAssertEqual(try SEVGuestPolicy(parsing: policy.names), policy, policy.names)
            XCTAssertEqual(try SEVGuestPolicy(parsing: policy.hex), policy)
        }
    }

    func testPrintsBothWays() {
        let policy = SEVGuestPolicy(rawValue: 0x5)
        XCTAssertEqual(policy.hex, "0x5")
        XCTAssertEqual(policy.names, "nodbg,es")
        XCTAssertEqual(policy.description, "0x5 (nodbg,es)")
        XCTAssertEqual(SEVGuestPolicy(rawValue: 0).names, "none")
        XCTAssertEqual(SEVGuestPolicy(rawValue: 0x41).names, "nodbg,reserved=0x40")
    }

    func testExplanation() {
        XCTAssertEqual(SEVGuestPolicy(rawValue: 0x0100_0005).explanation, [
            "SEV guest policy 0x1000005",
            "  bit 0 NODBG = 1: debugging of the guest is disallowed",
            "  bit 1 NOKS = 0",
            "  bit 2 ES = 1: SEV-ES is required (register state is encrypted)",
            "  bit 3 NOSEND = 0",
            "  bit 4 DOMAIN = 0",
            "  bit 5 SEV = 0",
            "  bits 23:16 API_MAJOR = 0",
            "  bits 31:24 API_MINOR = 1",
            "  names: nodbg,es,api=0.1",
        ])
        XCTAssertEqual(SEVGuestPolicy(rawValue: 0x81).explanation.suffix(2), [
            "  bits 15:6 reserved = 0x80: must be zero",
            "  names: nodbg,reserved=0x80",
        ])
    }

    func testErrors() {
        XCTAssertThrowsError(try SEVGuestPolicy(parsing: "nodbg,nosnd")) { error in
            XCTAssertEqual(
                "\(error)",
                "unknown policy flag 'nosnd' (expected a hex value or names from: nodbg, noks, es, nosend, domain, sev, api=MAJOR.MINOR)")
        }
        XCTAssertThrowsError(try SEVGuestPolicy(parsing: "0x100000000")) { error in
            XCTAssertEqual("\(error)", "policy '0x100000000' is not a 32-bit number")
        }
        XCTAssertThrowsError(try SEVGuestPolicy(parsing: "api=1")) { error in
            XCTAssertEqual("\(error)", "policy version '1' is not MAJOR.MINOR with each part 0...255")
        }
        XCTAssertThrowsError(try SEVGuestPolicy(parsing: "  ")) { error in
            XCTAssertEqual(error as? PolicyParseError, .empty)
        }
    }
}
