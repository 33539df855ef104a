import SEVKit
import XCTest

/// The VM-type rule: what each type puts in an SEV-ES VMSA, and how QEMU's `legacy-vm-type`
/// selects it (sevhost-spec(5), "VM TYPE").
final class SEVVMTypeTests: XCTestCase {
    /// Bytes 0x408-0x413 of a QEMU SEV-ES VMSA: MXCSR (4), x87 FTW, FSW, FCW, FOP (2 each).
    func fpuBytes(_ type: SEVVMType) -> [UInt8] {
        let page = InitialVMSA.page(
            resetAddress: InitialVMSA.bspResetAddress, sevFeatures: type.sevESFeatures,
            vcpuSignature: VCPUType.named("EPYC-v4")!.signature, fpu: type.vmsaFPU).bytes
        return Array(page[0x408...0x413])
    }

    func testVMSAContentsPerType() {
        XCTAssertEqual(fpuBytes(.legacy), [UInt8](repeating: 0, count: 12))
        XCTAssertEqual(fpuBytes(.init2), [0x80, 0x1f, 0, 0, 0, 0, 0, 0, 0x7f, 0x03, 0, 0])
        XCTAssertEqual(SEVVMType.legacy.sevESFeatures, 0)
        XCTAssertEqual(SEVVMType.init2.sevESFeatures, 0)
        XCTAssertEqual(SEVVMType.qemuDefault, .legacy)
    }

    /// Only the FPU words differ between the two types' pages.
    func testTypesDifferOnlyInTheFPUWords() throws {
        let firmware = try OVMFImage(bytes: TestDataFirmware.minimalSEVES())
        let legacy = try LaunchDigest.sevESVMSAPages(firmware: firmware, vcpus: 2, vcpuSignature: 0x800f12, vmType: .legacy)
        let init2 = try LaunchDigest.sevESVMSAPages(firmware: firmware, vcpus: 2, vcpuSignature: 0x800f12, vmType: .init2)
        for (a, b) in zip(legacy, init2) {
            let differing = (0..<VMSA.pageSize).filter { a[$0] != b[$0] }
            XCTAssertEqual(differing, [0x408, 0x409, 0x410, 0x411])
        }
    }

    func testQEMUPropertyValues() throws {
        let v91 = QEMUVersion(major: 9, minor: 1), v10 = QEMUVersion("10.0.2 (Debian 1:10.0.2+ds-2)")
        XCTAssertEqual(v10, QEMUVersion(major: 10, minor: 0, micro: 2))
        for qemu in [nil, v91, v10] {
            XCTAssertEqual(try SEVVMType.legacy.qemuPropertyValue(for: qemu), "on")
            XCTAssertEqual(try SEVVMType.init2.qemuPropertyValue(for: qemu), "off")
        }
        let v90 = try XCTUnwrap(QEMUVersion("9.0.4"))
        XCTAssertNil(try SEVVMType.legacy.qemuPropertyValue(for: v90))
        XCTAssertThrowsError(try SEVVMType.init2.qemuPropertyValue(for: v90)) {
            XCTAssertEqual($0 as? SEVVMTypeError, .needsNewerQEMU(found: v90))
        }
    }

    /// What QEMU 9.1 to 10.1 with KVM creates from the property (unset is `auto`).
    func testQEMUDecision() throws {
        XCTAssertEqual(try SEVVMType(qemuPropertyValue: nil), .legacy)
        XCTAssertEqual(try SEVVMType(qemuPropertyValue: "auto"), .legacy)
        XCTAssertEqual(try SEVVMType(qemuPropertyValue: "on"), .legacy)
        XCTAssertEqual(try SEVVMType(qemuPropertyValue: "off"), .init2)
        // QEMU 10 refuses these with the same words (QEMUAcceptanceTests runs it).
        for value in ["true", "ON", "yes", ""] {
            XCTAssertThrowsError(try SEVVMType(qemuPropertyValue: value)) {
                XCTAssertEqual("\($0)", "Parameter 'legacy-vm-type' does not accept value '\(value)'")
            }
        }
    }

    func testVersionParsing() {
        XCTAssertEqual(QEMUVersion("9.1"), QEMUVersion(major: 9, minor: 1))
        XCTAssertNil(QEMUVersion("ten"))
        XCTAssertNil(QEMUVersion("10"))
        XCTAssertNil(QEMUVersion("1.2.3.4"))
        XCTAssertTrue(QEMUVersion(major: 9, minor: 0, micro: 9) < QEMUVersion(major: 9, minor: 1))
        XCTAssertEqual(QEMUVersion(major: 10, minor: 0, micro: 2).description, "10.0.2")
    }
}

/// The smallest firmware image with an SEV-ES reset block: a footer table holding only the
/// SEV info block (reset address 0xffffc000), so VMSA pages can be built without testdata.
enum TestDataFirmware {
    static func minimalSEVES() -> [UInt8] {
        func guid(_ text: String) -> [UInt8] { GUID(text)!.bytes }
        func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
        // Entry: data, then length (2), then GUID; the table ends 0x20 bytes before the image end.
        let resetEntry = [0x00, 0xc0, 0xff, 0xff] + u16(4 + 18) + guid("00f771de-1a7e-4fcb-890e-68c77e2fb44e")
        let footer = resetEntry + u16(resetEntry.count + 18) + guid("96b582de-1fb2-45f7-baea-a366c55a082d")
        var image = [UInt8](repeating: 0, count: 4096)
        image.replaceSubrange((4096 - 0x20 - footer.count)..<(4096 - 0x20), with: footer)
        return image
    }
}
