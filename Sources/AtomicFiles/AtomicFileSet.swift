#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Several files written as one: all of them, or none, and never at the cost of what was there.
///
/// `sevhost session` writes four files that only make sense together (the GODH and session
/// QEMU takes, the TEK and TIK the owner keeps); a failure half way must not leave a new TEK
/// beside an old session, and must not delete the files a previous run wrote. So:
/// 1. every file is written to its temporary file first (`AtomicFile`'s rules); a failure
///    there removes the temporaries and touches nothing else;
/// 2. each destination that exists gets a hard link beside it, which keeps the previous file;
/// 3. the temporaries are renamed into place one by one, and their directories flushed;
/// 4. on a failure in 2 or 3 every destination already replaced gets its previous file back
///    (renamed from its link) or, if it had none, is removed; then the links are removed.
public struct AtomicFileSet: Sendable {
    public struct File: Sendable, Hashable {
        public var path: String
        public var bytes: [UInt8]
        public var mode: mode_t
    }

    public private(set) var files: [File] = []

    public init() {}

    public mutating func add(_ path: String, _ bytes: [UInt8], mode: mode_t = AtomicFile.publicMode) {
        files.append(File(path: path, bytes: bytes, mode: mode))
    }

    /// Writes the set. With `directoryMode`, directories the files go in that do not exist yet
    /// are created first with that mode, and removed again if the set fails, so a failed set
    /// leaves no empty directory behind either.
    public func commit(creatingDirectoriesWithMode directoryMode: mode_t? = nil) throws(AtomicFileError) {
        var created: [String] = []
        do {
            try write(creating: directoryMode, &created)
        } catch {
            for directory in created.reversed() { rmdir(directory) }
            throw error
        }
    }

    private func write(creating directoryMode: mode_t?, _ created: inout [String]) throws(AtomicFileError) {
        if let directoryMode {
            for file in files {
                created += try AtomicFile.createDirectories(AtomicFile.split(file.path).directory, mode: directoryMode)
            }
        }
        var temporaries: [String] = []
        do {
            for file in files {
                temporaries.append(try AtomicFile.writeTemporary(for: file.path, file.bytes, mode: file.mode))
            }
        } catch {
            for temporary in temporaries { unlink(temporary) }
            throw error
        }
        // One file needs no link: its rename either happens or not.
        var previous: [String?] = Array(repeating: nil, count: files.count)
        var replaced = 0
        do throws(AtomicFileError) {
            if files.count > 1 {
                for (index, file) in files.enumerated() {
                    previous[index] = try Self.keepPrevious(file.path)
                }
            }
            for (index, file) in files.enumerated() {
                guard rename(temporaries[index], file.path) == 0 else { throw AtomicFileError.current(file.path, .rename) }
                replaced += 1
            }
            var directories: [String] = []
            for file in files {
                let directory = AtomicFile.split(file.path).directory
                if !directories.contains(directory) {
                    directories.append(directory)
                    try AtomicFile.syncDirectory(directory, for: file.path)
                }
            }
        } catch {
            for index in 0..<replaced {
                if let link = previous[index] {
                    rename(link, files[index].path)
                } else {
                    unlink(files[index].path)
                }
            }
            for index in replaced..<files.count {
                unlink(temporaries[index])
                if let link = previous[index] { unlink(link) }
            }
            throw error
        }
        for link in previous.compactMap({ $0 }) { unlink(link) }
    }

    /// A hard link to the file at `path`, if there is one, so it survives being replaced.
    private static func keepPrevious(_ path: String) throws(AtomicFileError) -> String? {
        let keeper = AtomicFile.sibling(of: path, suffix: "previous")
        if link(path, keeper) == 0 { return keeper }
        if errno == ENOENT { return nil }
        throw .current(path, .keepPrevious)
    }
}
