/// The release every sevhost program reports, written here and nowhere else.
///
/// `sevhost --version`, `sevhostd --version`, the daemon's `/v1/health` and the Debian
/// package (`scripts/package` asks the built `sevhost --version`) all read it, and
/// `ReleaseTests` holds CHANGELOG.md's newest entry to it, so a release is one edit here and one
/// entry there.
public enum SEVHostRelease {
    /// The version, as `MAJOR.MINOR.PATCH` (semantic versioning).
    public static let version = "0.1.0"
}
