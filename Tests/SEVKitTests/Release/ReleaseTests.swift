import Foundation
import SEVKit
import XCTest

/// The version is written once (`SEVHostRelease.version`); what names a release elsewhere is
/// held to it here.
final class ReleaseTests: XCTestCase {
    private static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testTheVersionIsSemantic() {
        let parts = SEVHostRelease.version.split(separator: ".", omittingEmptySubsequences: false)
        XCTAssertEqual(parts.count, 3, SEVHostRelease.version)
        XCTAssertTrue(parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }, SEVHostRelease.version)
    }

    /// CHANGELOG.md's newest entry is this version.
    func testTheChangelogsNewestEntryIsThisVersion() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
        let newest = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("## ") })
        XCTAssertTrue(newest.hasPrefix("## \(SEVHostRelease.version) ") || newest == "## \(SEVHostRelease.version)", String(newest))
    }

    /// The hand-written man pages name no version: the package stamps it in (`scripts/package`),
    /// so no page can name a stale one.
    func testNoManPageWritesAVersion() throws {
        let man = Self.root.appendingPathComponent("man")
        for name in try FileManager.default.contentsOfDirectory(atPath: man.path).sorted() where !name.hasPrefix(".") {
            let first = try String(contentsOf: man.appendingPathComponent(name), encoding: .utf8).split(separator: "\n").first ?? ""
            XCTAssertTrue(first.hasPrefix(".TH "), "\(name): \(first)")
            XCTAssertTrue(first.contains(#" "sevhost" "#), "\(name): the footer is \"sevhost\", without a version: \(first)")
        }
    }

    func testTheLicenseIsApache2() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("LICENSE"), encoding: .utf8)
        XCTAssertTrue(text.contains("Apache License\n                           Version 2.0, January 2004"))
        let notice = try String(contentsOf: Self.root.appendingPathComponent("NOTICE"), encoding: .utf8)
        XCTAssertTrue(notice.contains("Licensed under the Apache License, Version 2.0"))
    }
}
