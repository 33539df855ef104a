import QMP
import XCTest

/// Typed replies decoded from the JSON QEMU sends, including shapes no QEMU here can produce
/// without SEV hardware (an SNP guest, real capability blobs).
final class ReplyDecodingTests: XCTestCase {
    private func value(_ json: String) throws -> QMPValue {
        try QMPValue(json: Array(json.utf8))
    }

    /// QEMU before 9.1: one flat object with policy and handle.
    func testQuerySEVFlatShape() throws {
        let reply = try QuerySEV.decodeReply(
            value(#"{"enabled": true, "api-minor": 52, "handle": 3, "state": "launch-secret", "api-major": 0, "build-id": 4, "policy": 5}"#))
        XCTAssertEqual(
            reply, SEVInfo(enabled: true, apiMajor: 0, apiMinor: 52, buildID: 4, state: .launchSecret, guestType: nil, guest: .sev(policy: 5, handle: 3)))
        XCTAssertEqual(reply.policy, 5)
    }

    /// QEMU 9.1 and later, SEV or SEV-ES guest: `sev-type` "sev" with policy and handle.
    func testQuerySEVUnionSEVVariant() throws {
        let reply = try QuerySEV.decodeReply(
            value(#"{"enabled": true, "api-minor": 55, "handle": 1, "state": "running", "api-major": 1, "sev-type": "sev", "build-id": 21, "policy": 4294967295}"#))
        XCTAssertEqual(
            reply,
            SEVInfo(enabled: true, apiMajor: 1, apiMinor: 55, buildID: 21, state: .running, guestType: .sev, guest: .sev(policy: 0xFFFF_FFFF, handle: 1)))
    }

    /// QEMU 9.1 and later, SEV-SNP guest: `snp-policy` is 64 bits wide and there is no handle.
    func testQuerySEVUnionSNPVariant() throws {
        let reply = try QuerySEV.decodeReply(
            value(#"{"enabled": true, "api-minor": 55, "state": "launch-update", "api-major": 1, "sev-type": "sev-snp", "build-id": 21, "snp-policy": 18446744073709551615}"#))
        XCTAssertEqual(reply.guest, .sevSNP(policy: .max))
        XCTAssertEqual(reply.guestType, .sevSNP)
        XCTAssertEqual(reply.state, .launchUpdate)
        XCTAssertEqual(reply.policy, .max)
    }

    func testQuerySEVErrorsNameTheField() throws {
        XCTAssertThrowsError(try QuerySEV.decodeReply(value(#"{"enabled": true, "api-minor": 0, "state": "running", "api-major": 1, "sev-type": "sev-snp", "build-id": 0}"#))) {
            XCTAssertEqual($0 as? QMPError, .malformedReply(command: "query-sev", field: "snp-policy", expected: "a value, found none"))
        }
        XCTAssertThrowsError(try QuerySEV.decodeReply(value(#"{"enabled": true, "api-minor": 0, "state": "running", "api-major": 1, "sev-type": "tdx", "build-id": 0}"#))) {
            XCTAssertEqual($0 as? QMPError, .malformedReply(command: "query-sev", field: "sev-type", expected: #""sev" or "sev-snp", found "tdx""#))
        }
        XCTAssertThrowsError(try QuerySEV.decodeReply(value(#"{"enabled": true, "api-minor": 300, "state": "running", "api-major": 1, "build-id": 0, "policy": 1, "handle": 1}"#))) {
            XCTAssertEqual($0 as? QMPError, .malformedReply(command: "query-sev", field: "api-minor", expected: "an integer in 0...255, found 300"))
        }
        XCTAssertThrowsError(try QuerySEV.decodeReply(value(#"[1]"#))) {
            XCTAssertEqual($0 as? QMPError, .malformedReply(command: "query-sev", field: "return", expected: "an object, found array"))
        }
    }

    func testLaunchMeasureDecodesBase64() throws {
        let bytes = [UInt8](0..<48)
        let reply = try QuerySEVLaunchMeasure.decodeReply(value(#"{"data": "\#(Data(bytes).base64EncodedString())"}"#))
        XCTAssertEqual(reply.bytes, bytes)
        XCTAssertThrowsError(try QuerySEVLaunchMeasure.decodeReply(value(#"{"data": "not base64!"}"#))) {
            XCTAssertEqual($0 as? QMPError, .malformedReply(command: "query-sev-launch-measure", field: "data", expected: "base64 text"))
        }
    }

    func testCapabilitiesWithAndWithoutCPU0ID() throws {
        let full = try QuerySEVCapabilities.decodeReply(
            value(#"{"pdh": "AQID", "cert-chain": "BAUG", "cpu0-id": "/w==", "cbitpos": 51, "reduced-phys-bits": 1}"#))
        XCTAssertEqual(full, SEVCapabilities(pdh: [1, 2, 3], certificateChain: [4, 5, 6], cpu0ID: [0xFF], cBitPosition: 51, reducedPhysicalBits: 1))
        let old = try QuerySEVCapabilities.decodeReply(value(#"{"pdh": "", "cert-chain": "", "cbitpos": 47, "reduced-phys-bits": 5}"#))
        XCTAssertEqual(old, SEVCapabilities(pdh: [], certificateChain: [], cpu0ID: nil, cBitPosition: 47, reducedPhysicalBits: 5))
    }

    func testCommandArguments() {
        XCTAssertEqual(QuerySEVAttestationReport(mnonce: [0xFB, 0xFF]).arguments, ["mnonce": "+/8="])
        XCTAssertEqual(
            SEVInjectLaunchSecret(packetHeader: [1], secret: [2, 3]).arguments,
            ["packet-header": "AQ==", "secret": "AgM="])
        XCTAssertEqual(
            SEVInjectLaunchSecret(packetHeader: [1], secret: [2, 3], guestPhysicalAddress: 0xFFFF_FFFF_FFFF_F000).arguments,
            ["packet-header": "AQ==", "secret": "AgM=", "gpa": .uint(0xFFFF_FFFF_FFFF_F000)])
        XCTAssertNil(QueryStatus().arguments)
    }

    func testValueKeepsIntegersExact() throws {
        XCTAssertEqual(try value("18446744073709551615"), .uint(.max))
        XCTAssertEqual(try value("-9223372036854775808"), .int(.min))
        XCTAssertEqual(try value("1"), .int(1))
        XCTAssertEqual(try value("1.5"), .double(1.5))
        XCTAssertEqual(try value("true"), .bool(true))
        XCTAssertEqual(try value(#"{"a": [null, "x"]}"#), ["a": [.null, "x"]])
        XCTAssertEqual(QMPValue.object(["gpa": .uint(.max), "b": "/"]).jsonText(), #"{"b":"/","gpa":18446744073709551615}"#)
    }
}
