import Crypto
import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// The SHA-384 of every 4 KiB page of a buffer, computed on several threads.
///
/// An SNP launch digest folds its pages strictly in order, but each fold takes the SHA-384 of
/// the page's contents, and those hashes do not depend on one another. For a firmware image they
/// are nearly all of the work (a 2 MiB OVMF is 512 of them), so they are computed first, spread
/// over the online CPUs in contiguous stripes, and the cheap ordered fold runs afterwards. The
/// result is the same bytes whatever the number of threads.
struct PageDigests {
    /// Below this many pages a thread hand-off costs more than it saves.
    static let parallelThreshold = 64

    /// 48 bytes per page, page `i` at `i * 48`.
    let bytes: [UInt8]

    var count: Int { bytes.count / SNPLaunchDigest.digestSize }

    /// The digest of page `index`.
    subscript(index: Int) -> ArraySlice<UInt8> {
        let size = SNPLaunchDigest.digestSize
        return bytes[(index * size)..<((index + 1) * size)]
    }

    /// Hashes each whole page of `data` (`data.count` must be a page multiple).
    init(of data: UnsafeRawBufferPointer, threads: Int = PageDigests.onlineCPUs) {
        let pageSize = SNPLaunchDigest.pageSize, digestSize = SNPLaunchDigest.digestSize
        precondition(data.count % pageSize == 0, "page digests are of whole pages")
        let pages = data.count / pageSize
        let stripes = pages < Self.parallelThreshold ? 1 : max(1, min(threads, pages / Self.parallelThreshold))
        bytes = [UInt8](unsafeUninitializedCapacity: pages * digestSize) { output, initialized in
            guard let out = output.baseAddress else { return }
            let buffers = StripeBuffers(input: data, output: out)
            let hashStripe = { @Sendable (stripe: Int) in
                let first = pages * stripe / stripes, end = pages * (stripe + 1) / stripes
                for page in first..<end { buffers.hashPage(page) }
            }
            if stripes == 1 {
                hashStripe(0)
            } else {
                DispatchQueue.concurrentPerform(iterations: stripes, execute: hashStripe)
            }
            initialized = pages * digestSize
        }
    }

    /// The input pages and the output digests, shared by the stripes.
    ///
    /// Unchecked because it holds raw pointers: both outlive `concurrentPerform`, which returns
    /// only when every stripe is done; stripes read the input only and write disjoint 48-byte
    /// slots of the output (page `i` to `i * 48`).
    private struct StripeBuffers: @unchecked Sendable {
        let input: UnsafeRawBufferPointer
        let output: UnsafeMutablePointer<UInt8>

        func hashPage(_ page: Int) {
            let pageSize = SNPLaunchDigest.pageSize, digestSize = SNPLaunchDigest.digestSize
            var hasher = SHA384()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: input[(page * pageSize)..<((page + 1) * pageSize)]))
            hasher.finalize().withUnsafeBytes { digest in
                UnsafeMutableRawPointer(output + page * digestSize).copyMemory(from: digest.baseAddress!, byteCount: digestSize)
            }
        }
    }

    /// The CPUs the scheduler may run this process on now (at least 1).
    static var onlineCPUs: Int {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }
}
