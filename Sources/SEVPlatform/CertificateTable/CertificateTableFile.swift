import AtomicFiles
import BoundedFiles
import CFileLock
import Foundation
import SEVKit

/// The host's SNP certificate table (GHCB format, `SNPCertificateTable`), the file a VMM hands
/// guests with their attestation reports, changed under the locking rule Linux documents.
///
/// The rule (Documentation/virt/kvm/x86/amd-memory-encryption.rst, section 21,
/// KVM_SEV_SNP_ENABLE_REQ_CERTS, Linux 7.0 / kvm-x86 "svm" 6.20): a VMM serving a
/// `KVM_EXIT_SNP_REQ_CERTS` exit takes a shared (or exclusive) OFD lock (`F_OFD_SETLK`) on the
/// certificate blob file before reading it and holds it until the attestation request has
/// reached the firmware; a tool that changes the TCB or the endorsement key (SNP_COMMIT,
/// SNP_SET_CONFIG, SNP_VLEK_LOAD) in a way that needs the blob updated takes an exclusive lock
/// on the blob for the whole of the key change and the blob update. So a guest never gets
/// certificates for a key other than the one that signs its report.
///
/// An OFD lock belongs to an inode, and a VMM locks the file it has open. Replacing the file by
/// rename alone would give the path a new, unlocked inode while a VMM that opened the old one
/// (and is waiting for the lock, or keeps it open between requests) went on reading the old,
/// now stale certificates. So `update`:
///
/// 1. opens the file at the path and takes the exclusive lock on it (`F_OFD_SETLKW`), waiting
///    for every VMM that holds a shared one;
/// 2. runs the caller's change (the firmware command) while holding it;
/// 3. writes the new table to a temporary file, fsyncs it and renames it over the path
///    (`AtomicFile`): a reader opening the path sees the old table or the new, never part;
/// 4. rewrites the old, still locked inode in place with the same bytes (one `pwrite`, then
///    `ftruncate`; the table is self-delimiting, so even an interrupted shrink leaves a whole
///    table): a VMM that had it open finds the new table once it gets the lock;
/// 5. closes the descriptor, releasing the lock.
///
/// A path with no file yet needs no lock: nobody can have it open.
public struct CertificateTableFile: Sendable {
    public let path: String

    /// The largest table read (`InputLimit.certificateTable`): four certificates of a few KiB
    /// each fit many times over.
    public static let sizeLimit = InputLimit.certificateTable.bytes

    public init(path: String) {
        self.path = path
    }

    /// The table now, read under a shared lock as a VMM reads it; nil when there is no file.
    public func read() throws(CertificateTableFileError) -> SNPCertificateTable? {
        let fd: Int32
        do {
            fd = try BoundedFile.openRegular(path, flags: O_RDONLY)
        } catch where error.reason == .missing {
            return nil
        } catch {
            throw CertificateTableFileError(path: path, "cannot open: \(HostReadFailure(error))")
        }
        defer { close(fd) }
        guard cfilelock_lock(fd, 0, 1) == 0 else {
            throw CertificateTableFileError(path: path, "cannot take a shared lock: \(HostReadFailure(errno: errno))")
        }
        return try decode(try Self.readAll(fd, path: path))
    }

    /// Runs `change` while holding the exclusive lock, then installs the table it returns (nil:
    /// leave the file as it is). `change` receives the table now (nil when there is none or it
    /// does not decode) and does the firmware command whose effect the table must follow.
    public func update<T: Sendable>(
        _ change: @Sendable (SNPCertificateTable?) async throws -> (result: T, table: SNPCertificateTable?)
    ) async throws -> T {
        let fd: Int32
        do {
            fd = try BoundedFile.openRegular(path, flags: O_RDWR)
        } catch where error.reason == .missing {
            let (result, table) = try await change(nil)
            if let table { try install(table.encoded, lockedDescriptor: nil) }
            return result
        } catch {
            throw CertificateTableFileError(path: path, "cannot open: \(HostReadFailure(error))")
        }
        defer { close(fd) }
        try await Self.lockExclusive(fd, path: path)
        let current = try? decode(try Self.readAll(fd, path: path))
        let (result, table) = try await change(current)
        if let table, table != current {
            try install(table.encoded, lockedDescriptor: fd)
        }
        return result
    }

    /// Steps 3 and 4 of the protocol (see the type's comment).
    private func install(_ bytes: [UInt8], lockedDescriptor fd: Int32?) throws(CertificateTableFileError) {
        do {
            try AtomicFile.write(bytes, to: path)
        } catch {
            throw CertificateTableFileError(path: path, "cannot replace: \(error.reason)")
        }
        guard let fd else { return }
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == bytes.count, ftruncate(fd, off_t(bytes.count)) == 0, fsync(fd) == 0 else {
            throw CertificateTableFileError(path: path, "replaced, but the copy VMMs have open could not be rewritten: \(HostReadFailure(errno: errno))")
        }
    }

    /// F_OFD_SETLKW on a thread of its own: the wait lasts as long as a VMM holds its lock.
    private static func lockExclusive(_ fd: Int32, path: String) async throws(CertificateTableFileError) {
        let failure: Int32? = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: cfilelock_lock(fd, 1, 1) == 0 ? nil : errno)
            }
        }
        if let failure {
            throw CertificateTableFileError(path: path, "cannot take the exclusive lock: \(HostReadFailure(errno: failure))")
        }
    }

    private func decode(_ bytes: [UInt8]) throws(CertificateTableFileError) -> SNPCertificateTable {
        do { return try SNPCertificateTable(bytes: bytes, name: path) } catch {
            throw CertificateTableFileError(path: path, "not a certificate table: \(error.description.replacingOccurrences(of: path + ": ", with: ""))")
        }
    }

    private static func readAll(_ fd: Int32, path: String) throws(CertificateTableFileError) -> [UInt8] {
        do {
            return try BoundedFile.read(descriptor: fd, path: path, .certificateTable)
        } catch {
            throw CertificateTableFileError(path: path, error.problem)
        }
    }
}

/// The certificate table file could not be read, locked or replaced.
public struct CertificateTableFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public init(path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): \(reason)" }
}
