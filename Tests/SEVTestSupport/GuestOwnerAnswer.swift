import Foundation

/// The guest owner's side of a daemon's pre-attestation, as the `sevhost` CLI does it: the
/// measurement in an `AttestationBundle` checked against the launch digest of the firmware with
/// the TIK (`sevhost measurement verify`), then a secret wrapped for that launch (`sevhost secret
/// build`). Shared by the daemon's tests whichever driver runs the VM.
public enum GuestOwnerAnswer {
    /// Writes the answer into `directory` and returns its path; `secret` goes in as a
    /// `luks-key` (the disk GUID) read from a file there.
    public static func make(bundle: String, tek: String, tik: String, firmware: String, secret: String, directory: String) throws -> String {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: bundle))) as? [String: Any] ?? [:]
        guard let measurement = json["measurement"] as? String else { throw GuestOwnerAnswerError("\(bundle): no measurement") }
        let digest = try check(Subprocess.sevhost(["digest", "--mode", "sev", "--ovmf", firmware]), "sevhost digest")
        _ = try check(Subprocess.sevhost([
            "measurement", "verify", "--api-major", "\(json["api-major"] ?? "")", "--api-minor", "\(json["api-minor"] ?? "")",
            "--build-id", "\(json["build-id"] ?? "")", "--policy", "\(json["policy"] ?? "")", "--tik", tik,
            "--launch-digest", digest.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "--measurement", measurement,
        ]), "sevhost measurement verify")
        let secretFile = directory + "/secret.txt"
        try secret.write(toFile: secretFile, atomically: true, encoding: .utf8)
        let answer = try check(Subprocess.sevhost([
            "secret", "build", "--tek", tek, "--tik", tik, "--measurement", measurement, "--secret", "luks-key:" + secretFile,
        ]), "sevhost secret build")
        let file = directory + "/answer-\(UUID().uuidString.prefix(8)).txt"
        try answer.stdout.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    private static func check(_ result: ProcessResult, _ what: String) throws -> ProcessResult {
        guard result.status == 0 else { throw GuestOwnerAnswerError("\(what) exited \(result.status): \(result.stderr)") }
        return result
    }
}

public struct GuestOwnerAnswerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
