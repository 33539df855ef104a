import Crypto

/// SHA-256 over data that arrives in pieces (a kernel or initrd read from disk in large blocks).
///
/// Lets the I/O layers hash multi-GiB files without holding them, and without each layer
/// depending on the crypto library directly.
public struct StreamingSHA256 {
    private var hasher = SHA256()

    public init() {}

    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: buffer)
    }

    /// The 32-byte digest of everything given so far.
    public func finalize() -> [UInt8] {
        Array(hasher.finalize())
    }
}
