import Crypto
import XCTest

@testable import SEVKit

/// The pages' hashes computed in parallel stripes are the same bytes as hashing page by page.
final class PageDigestsTests: XCTestCase {
    /// 449 pages: above the parallel threshold, and not a multiple of any stripe count, so the
    /// stripes have unequal lengths and every boundary is exercised.
    private let pages: [UInt8] = {
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        return (0..<(449 * SNPLaunchDigest.pageSize)).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }()

    private func pageByPage(_ data: [UInt8]) -> [UInt8] {
        stride(from: 0, to: data.count, by: SNPLaunchDigest.pageSize).flatMap {
            Array(SHA384.hash(data: data[$0..<($0 + SNPLaunchDigest.pageSize)]))
        }
    }

    func testEveryStripeCountGivesThePageByPageHashes() {
        let expected = pageByPage(pages)
        XCTAssertEqual(expected.count, 449 * 48)
        for threads in [1, 2, 3, 7, 64] {
            let digests = pages.withUnsafeBytes { PageDigests(of: $0, threads: threads) }
            XCTAssertEqual(digests.count, 449, "\(threads) threads")
            XCTAssertEqual(digests.bytes, expected, "\(threads) threads")
        }
    }

    func testFewPagesAndNoPages() {
        let few = Array(pages[0..<(3 * SNPLaunchDigest.pageSize)])
        let digests = few.withUnsafeBytes { PageDigests(of: $0, threads: 8) }
        XCTAssertEqual(digests.bytes, pageByPage(few))
        XCTAssertEqual(Array(digests[2]), Array(SHA384.hash(data: few[(2 * 4096)...])))
        XCTAssertEqual([UInt8]().withUnsafeBytes { PageDigests(of: $0, threads: 8) }.count, 0)
    }

    /// The fold over parallel hashes equals the fold with each page's hash handed in one by one.
    func testMeasuredPagesMatchOneUpdatePerPage() {
        var parallel = SNPLaunchDigest()
        parallel.measureNormalPages(pages, at: 0xffc0_0000)
        var sequential = SNPLaunchDigest()
        for (index, offset) in stride(from: 0, to: pages.count, by: SNPLaunchDigest.pageSize).enumerated() {
            let page = pages[offset..<(offset + SNPLaunchDigest.pageSize)]
            sequential.update(type: .normal, gpa: 0xffc0_0000 + UInt64(index * 4096), contents: Array(SHA384.hash(data: page)))
        }
        XCTAssertEqual(parallel.digest, sequential.digest)
        XCTAssertNotEqual(parallel.digest, SNPLaunchDigest().digest)
    }
}
