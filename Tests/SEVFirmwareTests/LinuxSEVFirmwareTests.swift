import SEVKit
import SEVPlatform
import XCTest

/// The ioctl path where no SEV device answers: a missing node, and a node that is not /dev/sev
/// (the ioctl reaches the kernel and is refused with ENOTTY, no firmware status).
final class LinuxSEVFirmwareTests: XCTestCase {
    func testMissingDeviceIsOneSentence() async {
        do {
            _ = try await LinuxSEVFirmware(path: "/nonexistent/sev").platformStatus()
            XCTFail("a missing device answered")
        } catch {
            XCTAssertEqual(error.description, "unable to open /nonexistent/sev: No such file or directory (os error 2)")
            XCTAssertNil(error.status)
        }
    }

    func testANodeThatIsNotSEVRefusesTheIoctl() async throws {
        #if !os(Linux)
        throw XCTSkip("SEV_ISSUE_CMD is a Linux ioctl")
        #else
        do {
            _ = try await LinuxSEVFirmware(path: "/dev/null").snpPlatformStatus()
            XCTFail("/dev/null answered SNP_PLATFORM_STATUS")
        } catch {
            XCTAssertEqual(error.description, "SNP_PLATFORM_STATUS failed: Inappropriate ioctl for device (os error 25)")
        }
        do {
            // Writing commands open the node read-write; /dev/null allows that too.
            try await LinuxSEVFirmware(path: "/dev/null").snpCommit()
            XCTFail("/dev/null answered SNP_COMMIT")
        } catch {
            XCTAssertEqual(error.description, "SNP_COMMIT failed: Inappropriate ioctl for device (os error 25)")
        }
        #endif
    }
}
