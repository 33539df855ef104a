import Orchestration

/// The launch digest a VM spec predicts, computed with a progress line on a terminal: it hashes
/// the spec's firmware, kernel and initrd, which takes seconds when they are large.
extension ExpectedLaunch {
    static func fromSpecShowingProgress(path: String) async throws(AttestationError) -> ExpectedLaunch {
        try await TerminalProgress.around("computing the launch digest of \(path)") { () async throws(AttestationError) in
            try await fromSpec(path: path)
        }
    }
}
