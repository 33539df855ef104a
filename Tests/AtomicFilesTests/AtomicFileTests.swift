import AtomicFiles
import Foundation
import XCTest

/// The one file writer: the final mode from the moment a file exists, all or nothing, and a set
/// of files that never costs what was there before.
final class AtomicFileTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        var template = Array("/tmp/atomic-file-XXXXXX".utf8CString)
        directory = String(cString: try XCTUnwrap(mkdtemp(&template)))
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(atPath: directory)
    }

    private func mode(_ path: String) -> mode_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
    }

    private func contents(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Under umask 000 a secret file is 0600 as first created, before a byte is in it, not only
    /// once written: the observer sees the temporary file's mode straight after open(2).
    func testASecretFileIs0600FromTheMomentItExistsUnderUmask000() throws {
        let created = Locked<[(path: String, mode: mode_t, size: Int)]>([])
        let previous = umask(0)
        defer { umask(previous) }
        let path = directory + "/vm_tek.bin"
        try AtomicFile.$creationObserver.withValue({ temporary, mode in
            var info = stat()
            _ = stat(temporary, &info)
            created.mutate { $0.append((temporary, mode, Int(info.st_size))) }
        }) {
            try AtomicFile.write(Array(repeating: 0x5a, count: 16), to: path, mode: AtomicFile.secretMode)
        }
        let seen = created.value
        XCTAssertEqual(seen.count, 1)
        XCTAssertEqual(seen.first?.mode, 0o600, "the file as first created")
        XCTAssertEqual(seen.first?.size, 0, "observed before anything was written")
        XCTAssertTrue(seen.first?.path.hasPrefix(directory + "/.vm_tek.bin.") == true, seen.first?.path ?? "")
        XCTAssertEqual(mode(path), 0o600)
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data(repeating: 0x5a, count: 16))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["vm_tek.bin"], "no temporary left")
    }

    /// A public file gets exactly its mode whatever the umask takes away.
    func testTheModeIsTheOneAskedForWhateverTheUmask() throws {
        let previous = umask(0o077)
        defer { umask(previous) }
        try AtomicFile.write(Array("cert".utf8), to: directory + "/chain.cert")
        XCTAssertEqual(mode(directory + "/chain.cert"), 0o644)
    }

    /// Replacing a file: the new bytes and mode, no temporary left.
    func testAWriteReplacesAFileWhole() throws {
        let path = directory + "/state.json"
        try AtomicFile.write(Array("old".utf8), to: path, mode: AtomicFile.secretMode)
        try AtomicFile.write(Array("new".utf8), to: path, mode: AtomicFile.secretMode)
        XCTAssertEqual(contents(path), "new")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["state.json"])
    }

    /// A directory that is not there: an error naming the file and the step, nothing created.
    func testAFailedCreateNamesTheFileAndTheStep() {
        XCTAssertThrowsError(try AtomicFile.write([1], to: directory + "/missing/key.bin")) { error in
            XCTAssertEqual((error as? AtomicFileError)?.step, .create)
            XCTAssertEqual("\(error)", "\(directory)/missing/key.bin: cannot create: No such file or directory")
        }
    }

    /// A set whose last rename fails puts back every file it had replaced, removes those that
    /// were new, and leaves no temporary or link behind. (The observer makes the rename fail:
    /// it removes the last temporary as soon as it exists, so there is nothing to rename.)
    func testAFailedSetKeepsWhatWasThereBefore() throws {
        let godh = directory + "/vm_godh.b64", tek = directory + "/vm_tek.bin", tik = directory + "/vm_tik.bin"
        try Data("old godh".utf8).write(to: URL(fileURLWithPath: godh))
        try Data("old tik".utf8).write(to: URL(fileURLWithPath: tik))
        var set = AtomicFileSet()
        set.add(godh, Array("new godh".utf8))
        set.add(tek, Array("new tek".utf8), mode: AtomicFile.secretMode)
        set.add(tik, Array("new tik".utf8), mode: AtomicFile.secretMode)
        XCTAssertThrowsError(try AtomicFile.$creationObserver.withValue({ temporary, _ in
            if temporary.contains("/.vm_tik.bin.") { unlink(temporary) }
        }) {
            try set.commit()
        }) { error in
            XCTAssertEqual((error as? AtomicFileError)?.step, .rename)
            XCTAssertEqual("\(error)", "\(tik): cannot put in place: No such file or directory")
        }
        XCTAssertEqual(contents(godh), "old godh", "a replaced file is back")
        XCTAssertEqual(contents(tik), "old tik", "the file whose replacement failed is untouched")
        XCTAssertFalse(FileManager.default.fileExists(atPath: tek), "a file that was new is gone again")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).sorted(), ["vm_godh.b64", "vm_tik.bin"])
    }

    /// A destination that cannot be kept (a directory cannot be hard-linked) stops the set
    /// before anything is replaced.
    func testASetThatCannotKeepAFileReplacesNothing() throws {
        let a = directory + "/a", b = directory + "/b"
        try Data("old a".utf8).write(to: URL(fileURLWithPath: a))
        try FileManager.default.createDirectory(atPath: b, withIntermediateDirectories: false)
        var set = AtomicFileSet()
        set.add(a, Array("new a".utf8))
        set.add(b, Array("new b".utf8))
        XCTAssertThrowsError(try set.commit()) { error in
            XCTAssertEqual((error as? AtomicFileError)?.step, .keepPrevious)
            XCTAssertEqual((error as? AtomicFileError)?.path, b)
        }
        XCTAssertEqual(contents(a), "old a")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).sorted(), ["a", "b"])
    }

    /// A set that creates the directories its files go in removes them again when it fails: no
    /// empty output directory is left behind (finding 11 of issue 17). Made under umask 000,
    /// they have exactly the mode asked for.
    func testAFailedSetRemovesTheDirectoriesItMade() throws {
        let previous = umask(0)
        defer { umask(previous) }
        var set = AtomicFileSet()
        set.add(directory + "/new/deeper/a", Array("a".utf8))
        set.add(directory + "/new/deeper/b", Array("b".utf8))
        XCTAssertThrowsError(try AtomicFile.$creationObserver.withValue({ temporary, _ in
            if temporary.contains("/.b.") { unlink(temporary) }
        }) {
            try set.commit(creatingDirectoriesWithMode: 0o700)
        })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [])
        try set.commit(creatingDirectoriesWithMode: 0o750)
        XCTAssertEqual(mode(directory + "/new"), 0o750)
        XCTAssertEqual(mode(directory + "/new/deeper"), 0o750)
        XCTAssertEqual(contents(directory + "/new/deeper/b"), "b")
    }

    /// A set that succeeds replaces every file and leaves no link to the previous ones.
    func testASetReplacesEveryFile() throws {
        let a = directory + "/a", b = directory + "/b"
        try Data("old a".utf8).write(to: URL(fileURLWithPath: a))
        var set = AtomicFileSet()
        set.add(a, Array("new a".utf8))
        set.add(b, Array("new b".utf8), mode: AtomicFile.secretMode)
        try set.commit()
        XCTAssertEqual(contents(a), "new a")
        XCTAssertEqual(contents(b), "new b")
        XCTAssertEqual(mode(b), 0o600)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).sorted(), ["a", "b"])
    }
}

/// A value shared with a `@Sendable` closure.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func mutate(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}
