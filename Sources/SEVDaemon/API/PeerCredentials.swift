import CProcess
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Who is at the other end of an API connection, as the kernel says (SO_PEERCRED): the
/// process, user and primary group that connected, which a client cannot forge.
struct PeerCredentials: Sendable, Equatable {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32

    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    static func of(_ channel: any Channel) async throws -> PeerCredentials {
        guard let provider = channel as? any SocketOptionProvider else {
            throw Unavailable(description: "the connection is not a socket")
        }
        let credentials: csev_ucred = try await provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
        ).get()
        return PeerCredentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid)
    }

    /// The peer's supplementary groups, read from /proc while it is connected.
    var supplementaryGroups: [UInt32] {
        var groups = [UInt32](repeating: 0, count: 256)
        let count = csev_process_groups(pid, &groups, Int32(groups.count))
        return count > 0 ? Array(groups.prefix(Int(count))) : []
    }
}

/// Who may use the API: root, the daemon's own user, the socket's owner, and members of the
/// socket's group (primary or supplementary). The socket's mode already keeps others from
/// connecting; this holds even when the mode is opened up, or the file is reached through
/// a descriptor passed along.
struct AccessPolicy: Sendable {
    var users: Set<UInt32>
    var group: UInt32

    func allows(_ peer: PeerCredentials) -> Bool {
        users.contains(peer.uid) || peer.gid == group || peer.supplementaryGroups.contains(group)
    }

    var description: String {
        "allowed are uid \(users.sorted().map(String.init).joined(separator: ", ")) and members of gid \(group)"
    }
}
