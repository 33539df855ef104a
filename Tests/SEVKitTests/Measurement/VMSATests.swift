import Foundation
import SEVKit
import SEVTestSupport
import XCTest

/// VMSA pages against sevctl's vectors and the layout sev-snp-measure measures.
final class VMSATests: XCTestCase {
    static let firmware = "virtee-sevctl/tests/data/OVMF.amdsev.fd_trimmed_edk2-ovmf-20220126gitbb1bba3d77-4.el9"

    func testBuildMatchesSevctlVectors() throws {
        let root = try XCTUnwrap(TestData.json("launch-vectors.json") as? [String: Any])
        let vectors = try XCTUnwrap((root["vmsa"] as? [String: Any])?["vectors"] as? [[String: Any]])
        var built = 0
        for vector in vectors {
            guard let params = vector["params"] as? [String: Any], let expectedFile = vector["expected_file"] as? String else { continue }
            let image = try OVMFImage(bytes: TestData.bytes(try XCTUnwrap(params["firmware"] as? String)))
            let cpu = try XCTUnwrap(params["cpu"] as? Int)
            let signature = VCPUType.signature(family: params["family"] as! Int, model: params["model"] as! Int,
                                               stepping: params["stepping"] as! Int)
            let reset = cpu == 0 ? InitialVMSA.bspResetAddress : try XCTUnwrap(image.sevESResetAddress)
            let page = InitialVMSA.page(resetAddress: reset, sevFeatures: 0, vcpuSignature: signature, fpu: .zero).bytes
            let expected = try TestData.bytes(expectedFile)
            XCTAssertEqual(page, expected, expectedFile)
            XCTAssertEqual(StreamingSHA256.hash(page), vector["expected_sha256"] as? String)
            built += 1
        }
        XCTAssertEqual(built, 2)
    }

    func testShowMatchesSevctlText() throws {
        for n in 0...1 {
            let page = try TestData.bytes("virtee-sevctl/tests/data/vmsa\(n).bin")
            let expected = String(decoding: try TestData.bytes("virtee-sevctl/tests/data/vmsa\(n)-show.txt"), as: UTF8.self)
            XCTAssertEqual(try VMSALayout.json(page: page), expected)
        }
    }

    func testLayoutCoversSevctlView() {
        let last = VMSALayout.sevctlFields.last!
        XCTAssertEqual(last.name, "x87_state_gpa")
        XCTAssertEqual(last.offset, 0x400)
        XCTAssertEqual(VMSALayout.sevctlFields.first { $0.name == "rdx" }?.offset, VMSA.Offset.rdx)
        XCTAssertEqual(VMSALayout.sevctlFields.first { $0.name == "g_pat" }?.offset, VMSA.Offset.gPAT)
        XCTAssertEqual(VMSALayout.sevctlFields.first { $0.name == "xcr0" }?.offset, VMSA.Offset.xcr0)
    }

    func testRoundTripAndExtendedShow() throws {
        var vmsa = InitialVMSA.page(resetAddress: 0x80_b004, sevFeatures: 0x21, vcpuSignature: 0xa10f10)
        XCTAssertEqual(vmsa.cs.base, 0x80_0000)
        XCTAssertEqual(vmsa.rip, 0xb004)
        XCTAssertEqual(vmsa.mxcsr, 0x1f80)
        XCTAssertEqual(vmsa.x87FCW, 0x37f)
        XCTAssertEqual(try VMSA(page: vmsa.bytes), vmsa)
        let json = try VMSALayout.json(page: vmsa.bytes, extended: true)
        XCTAssertTrue(json.contains("\n  \"sev_features\": 33,\n"), json)
        XCTAssertTrue(json.contains("\n  \"mxcsr\": 8064,\n"))
        XCTAssertTrue(json.contains("\n  \"x87_fcw\": 895,\n"))
        XCTAssertTrue(json.hasSuffix("\"nonzero_bytes_after_0x412\": {}\n}\n"))
        vmsa.rdx = 0
        XCTAssertThrowsError(try VMSA(page: [0, 1])) { error in
            XCTAssertEqual("\(error)", "VMSA, offset 2 (0x2): a VMSA page is 4096 bytes, got 2")
        }
    }
}

extension StreamingSHA256 {
    static func hash(_ bytes: [UInt8]) -> String {
        var hasher = StreamingSHA256()
        bytes.withUnsafeBytes { hasher.update($0) }
        return Hex.encode(hasher.finalize())
    }
}
