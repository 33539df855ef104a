import ArgumentParser
import AtomicFiles
import BoundedFiles
import Foundation
import SEVKit

/// `sevhost session PDH-OR-CHAIN POLICY`: the guest owner's LAUNCH_START inputs.
///
/// Writes `N_godh.b64` (QEMU `dh-cert-file`), `N_session.b64` (QEMU `session-file`), and the
/// keys the owner keeps, `N_tek.bin` and `N_tik.bin` (0600). All four or none.
struct SessionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session",
        abstract: "Build a SEV launch session (GODH certificate, session blob, TEK and TIK).",
        discussion: """
            PDH-OR-CHAIN is the platform's PDH certificate (2084 bytes), or a chain as `sevctl export` \
            writes it. A chain is verified up to a genuine AMD ARK before its PDH is used: the ASK and \
            ARK come from the chain file or --ca, or else AMD's ask_ark_<product>.cert is downloaded as \
            `sevhost verify --sev` does (--product, --ca-url, $SEVHOST_AMD_CA_URL). A bare PDH cannot be \
            verified, and a warning says so.
            """ + "\n\n" + CommandExamples.text("sevhost session chain.cert 0x1 --name vm --out owner")
    )
    @OptionGroup var messages: OutputOptions

    @Argument(help: "PDH certificate, or SEV chain (PDH, PEK, OCA, CEK [, ASK, ARK]).")
    var pdhOrChain: String

    @Argument(help: "Guest policy, decimal or 0x-prefixed hex.")
    var policy: String

    @Option(help: "File name prefix.")
    var name = "vm"

    @Option(help: "Output directory.")
    var out = "."

    @Option(help: "AMD CA chain (ASK then ARK) when the chain file holds only the platform chain; downloaded when absent.")
    var ca: String?

    @OptionGroup var download: AMDCAOptions

    func run() async throws {
        let policyValue = try GuestOwnerInput.uint32(policy, option: "POLICY")
        let input = try GuestOwnerInput.certificates(pdhOrChain, option: "PDH-OR-CHAIN")
        let session: GuestOwnerSession
        do {
            if input.count <= SEVPlatformCertificate.size {
                let pdh = try SEVPlatformCertificate(bytes: input, name: pdhOrChain)
                session = try GuestOwnerSession(pdh: pdh, policy: policyValue)
                CommandFailure.warn(
                    "\(pdhOrChain) is a bare PDH certificate: it is used without verifying that it belongs to a genuine AMD platform")
            } else {
                let chain = try SEVChainFile(bytes: input, name: pdhOrChain)
                let caChain = try await download.resolve(
                    ca: ca, embedded: chain.ca, chainPath: pdhOrChain, signing: chain.platform.cek)
                session = try GuestOwnerSession(chain: chain.platform, ca: caChain, policy: policyValue)
            }
        } catch let error as SEVCertificateError {
            throw CommandFailure(error.description)
        } catch let error as SEVSessionError {
            throw CommandFailure(error.description)
        }

        // A missing --out directory is made, 0700 (it receives the TEK and TIK), and removed
        // again when the files cannot all be written.
        var isDirectory: ObjCBool = false
        var made = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw CommandFailure("--out \(out): not a directory") }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw CommandFailure("--out \(out): cannot create the directory: \(Self.reason(error))")
            }
            made = true
        }
        let prefix = (out as NSString).appendingPathComponent(name)
        var files = AtomicFileSet()
        files.add(prefix + "_godh.b64", Array(Data(session.godhCertificate.encoded).base64EncodedString().utf8))
        files.add(prefix + "_session.b64", Array(Data(session.blob.encoded).base64EncodedString().utf8))
        files.add(prefix + "_tek.bin", session.tek, mode: AtomicFile.secretMode)
        files.add(prefix + "_tik.bin", session.tik, mode: AtomicFile.secretMode)
        do {
            try files.commit()
        } catch {
            if made { rmdir(out) }
            throw error
        }
        for file in files.files { CLIFiles.stderr("wrote \(file.path)") }
    }

    /// The POSIX reason of a file error, without Foundation's sentence around it.
    private static func reason(_ error: Error) -> String {
        if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return (error as NSError).localizedDescription
    }
}
