import Foundation
import Launch
import SEVKit
import SEVTestSupport
import XCTest

/// Runs real QEMU 10 on the generated argument vectors.
///
/// Without SEV hardware QEMU still parses and sets every property of `sev-guest` and
/// `sev-snp-guest` before it gives up, so each vector must get past option parsing, object
/// creation and firmware/kernel loading and fail only where KVM is needed. Files the spec names
/// are replaced by real temporary ones; `-accel kvm` becomes `-accel tcg` and `-nodefaults` is
/// added; bridge/tap NICs become user NICs (they need host privileges). The confidential-guest
/// parts of the vector are passed exactly as generated.
final class QEMUAcceptanceTests: XCTestCase {
    static let sevStage = "qemu-system-x86_64: accelerator does not support confidential guest sev-guest"
    static let snpStage = "qemu-system-x86_64: cannot set up private guest memory for sev-snp-guest: KVM required"

    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sevhost-qemu-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = scratch.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// The smallest image QEMU's x86 loader accepts as a bzImage: boot-sector signature, "HdrS",
    /// boot protocol 2.15, one setup sector, loaded high.
    func fakeKernel() throws -> String {
        var bytes = [UInt8](repeating: 0, count: 8192)
        bytes[0x1f1] = 1
        bytes[0x1fe] = 0x55
        bytes[0x1ff] = 0xaa
        bytes.replaceSubrange(0x202..<0x206, with: Array("HdrS".utf8))
        bytes[0x206] = 0x0f
        bytes[0x207] = 0x02
        bytes[0x211] = 0x01
        bytes.replaceSubrange(0x22c..<0x230, with: [0xff, 0xff, 0xff, 0x37])
        return try file("vmlinuz", bytes)
    }

    /// A 2 MiB flash image ending in the 4 KiB footer of an OvmfPkg/AmdSev build, so QEMU finds
    /// the SEV hash table and SNP metadata where the real image has them.
    func amdSevFirmware() throws -> String {
        let suffix = try TestData.bytes("virtee-sev-snp-measure/tests/fixtures/ovmf_AmdSev_suffix.bin")
        return try file("OVMF.amdsev.fd", [UInt8](repeating: 0, count: 2 * 1024 * 1024 - suffix.count) + suffix)
    }

    /// Points every file the sample names at a real temporary file.
    func runnable(_ sample: String, _ edit: (inout VMSpec) -> Void = { _ in }) throws -> LaunchPlan {
        var spec = try Samples.spec(sample)
        edit(&spec)
        if spec.kernel != nil || spec.confidential.kernelHashes == true {
            spec.firmware.path = try amdSevFirmware()
        } else {
            spec.firmware.path = spec.confidential.type == .sevSNP ? "/usr/share/ovmf/OVMF.fd" : "/usr/share/OVMF/OVMF_CODE.fd"
        }
        if spec.firmware.vars != nil {
            spec.firmware.vars = try file("VARS.fd", [UInt8](try Data(contentsOf: URL(fileURLWithPath: "/usr/share/OVMF/OVMF_VARS.fd"))))
        }
        if var kernel = spec.kernel {
            kernel.path = try fakeKernel()
            if kernel.initrd != nil { kernel.initrd = try file("initrd", Array("initrd\n".utf8)) }
            spec.kernel = kernel
        }
        spec.disks = try (spec.disks ?? []).enumerated().map { index, disk in
            var disk = disk
            disk.path = try file("disk\(index).img", [UInt8](repeating: 0, count: 1 << 20))
            disk.format = .raw
            return disk
        }
        spec.nics = spec.nics?.map { NICSpec(type: .user, mac: $0.mac) }
        if spec.qmp != nil { spec.qmp = scratch.appendingPathComponent("qmp.sock").path }
        if spec.serial != nil { spec.serial = "none" }
        if spec.confidential.dhCertFile != nil {
            spec.confidential.dhCertFile = try file("godh.b64", Array(Samples.dhCertText.utf8))
            spec.confidential.sessionFile = try file("session.b64", Array(Samples.sessionText.utf8))
        }
        // The firmware checks run on the real images QEMU is given.
        return try LaunchPlan.resolve(spec, host: Samples.host, firmware: FirmwareFacts(firmwareAt: spec.firmware.path))
    }

    func underTCG(_ arguments: [String]) throws -> [String] {
        let accel = try XCTUnwrap(arguments.firstIndex(of: "-accel"))
        XCTAssertEqual(arguments[accel + 1], "kvm")
        var out = arguments
        out[accel + 1] = "tcg"
        return ["-nodefaults"] + out
    }

    /// QEMU's complaints, minus TCG's warnings about CPU features it cannot emulate.
    func errors(_ result: ProcessResult) -> [String] {
        result.stderr.split(separator: "\n").map(String.init).filter { !$0.contains(": warning: ") }
    }

    func assertStopsAtKVM(_ sample: String, expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let qemu = try Peers.qemu10()
        let plan = try runnable(sample)
        let arguments = try QEMUCommandBuilder().arguments(for: plan)
        let result = try Subprocess.run(qemu, try underTCG(arguments))
        XCTAssertNotEqual(result.status, 0, file: file, line: line)
        XCTAssertEqual(errors(result), [expected], "argv: \(arguments)", file: file, line: line)
    }

    func testSEVStopsOnlyAtTheAccelerator() throws {
        try assertStopsAtKVM("sev.yaml", expected: Self.sevStage)
    }

    func testSEVESWithKernelHashesStopsOnlyAtTheAccelerator() throws {
        try assertStopsAtKVM("sev-es.yaml", expected: Self.sevStage)
    }

    func testSNPStopsOnlyAtKVM() throws {
        try assertStopsAtKVM("snp.yaml", expected: Self.snpStage)
    }

    func testSNPWithIDBlockStopsOnlyAtKVM() throws {
        try assertStopsAtKVM("snp-idblock.yaml", expected: Self.snpStage)
    }

    /// QEMU 10 takes `legacy-vm-type` as the builder writes it for each VM type (the stage
    /// check shows the object was created with every property), and refuses a spelling it
    /// does not know (sevhost-sim leaves the object to QEMU, so it refuses it in the same words).
    func testEachVMTypeIsTakenByQEMU10() throws {
        let qemu = try Peers.qemu10()
        for vmType in SEVVMType.allCases {
            let plan = try runnable("sev-es.yaml") { $0.confidential.vmType = vmType }
            let arguments = try QEMUCommandBuilder(qemu: QEMUVersion(major: 10, minor: 0, micro: 2)).arguments(for: plan)
            XCTAssertTrue(arguments.contains { $0.hasSuffix(",legacy-vm-type=\(vmType == .legacy ? "on" : "off")") }, "\(arguments)")
            let result = try Subprocess.run(qemu, try underTCG(arguments))
            XCTAssertEqual(errors(result), [Self.sevStage], "\(vmType): \(arguments)")
        }
        var arguments = try underTCG(QEMUCommandBuilder().arguments(for: runnable("sev-es.yaml")))
        let index = try XCTUnwrap(arguments.firstIndex { $0.hasPrefix("sev-guest,") })
        arguments[index] = arguments[index].replacingOccurrences(of: "legacy-vm-type=on", with: "legacy-vm-type=true")
        let result = try Subprocess.run(qemu, arguments)
        XCTAssertEqual(errors(result), ["qemu-system-x86_64: -object \(arguments[index]): Parameter 'legacy-vm-type' does not accept value 'true'"])
    }

    /// Why the builder leaves the property out for QEMU before 9.1: Debian 12's QEMU 7.2 has
    /// no such property and refuses an argv that names it.
    func testQEMU72HasNoVMTypeProperty() throws {
        let qemu = try Peers.qemu72()
        let plan = try runnable("sev-es.yaml")
        let stated = try underTCG(QEMUCommandBuilder().arguments(for: plan))
        let object = try XCTUnwrap(stated.first { $0.hasPrefix("sev-guest,") })
        let result = try Subprocess.run(qemu, stated)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(errors(result), ["qemu-system-x86_64: -object \(object): Invalid parameter 'legacy-vm-type'"])
        let forOld = try QEMUCommandBuilder(qemu: QEMUVersion(major: 7, minor: 2, micro: 22)).arguments(for: plan)
        XCTAssertEqual(forOld.filter { $0.contains("legacy-vm-type") }, [])
    }

    /// The check above can fail: QEMU does reject a property it does not know.
    func testMisspelledPropertyIsRejected() throws {
        let qemu = try Peers.qemu10()
        var arguments = try underTCG(QEMUCommandBuilder().arguments(for: runnable("snp.yaml")))
        let index = try XCTUnwrap(arguments.firstIndex { $0.hasPrefix("sev-snp-guest,") })
        arguments[index] = arguments[index].replacingOccurrences(of: "vcek-disabled=", with: "vcek-disable=")
        let result = try Subprocess.run(qemu, arguments)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(errors(result), [
            "qemu-system-x86_64: -object sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x30000,vcek-disable=off: Invalid parameter 'vcek-disable'",
        ])
    }

    /// QEMU itself refuses kernel hashes with a firmware that has no hash table: the check
    /// sevhost makes before emitting anything.
    func testQEMURefusesKernelHashesWithoutHashTable() throws {
        let qemu = try Peers.qemu10()
        var arguments = try underTCG(QEMUCommandBuilder().arguments(for: runnable("sev-es.yaml")))
        let index = try XCTUnwrap(arguments.firstIndex { $0.hasPrefix("if=pflash,format=raw,unit=0,") })
        arguments[index] = "if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE.fd,readonly=on"
        let result = try Subprocess.run(qemu, arguments)
        XCTAssertEqual(errors(result), ["qemu-system-x86_64: SEV: guest firmware hashes table area is invalid (base=0x0 size=0x0)"])
    }

    /// The stage checks above stop before QEMU realizes devices, so the disk and NIC options are
    /// also run on their own: the same vector without the confidential-guest object, paused,
    /// with QMP on stdin to quit. Every device must realize (this caught virtio
    /// `iommu_platform=on` without `disable-legacy=on`, which q35 refuses).
    func testDevicesRealizeWithoutTheConfidentialGuest() throws {
        let qemu = try Peers.qemu10()
        for sample in Samples.names {
            var arguments = try underTCG(QEMUCommandBuilder().arguments(for: runnable(sample)))
            let object = try XCTUnwrap(arguments.firstIndex { $0.hasPrefix("sev-guest,") || $0.hasPrefix("sev-snp-guest,") })
            arguments.removeSubrange(object - 1...object)
            let machine = try XCTUnwrap(arguments.firstIndex(of: "-machine")) + 1
            arguments[machine] = arguments[machine].replacingOccurrences(of: ",confidential-guest-support=sev0", with: "")
            if let qmp = arguments.firstIndex(of: "-qmp") { arguments.removeSubrange(qmp...qmp + 1) }
            arguments.removeAll { $0 == "-S" }
            arguments += ["-S", "-qmp", "stdio"]
            let quit = Data("{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"quit\"}\n".utf8)
            let result = try Subprocess.run(qemu, arguments, stdin: quit)
            XCTAssertEqual(result.status, 0, "\(sample): \(result.stderr)")
            XCTAssertEqual(errors(result), [], sample)
            XCTAssertTrue(result.stdout.contains("\"reason\": \"host-qmp-quit\""), "\(sample): \(result.stdout)")
        }
    }
}
