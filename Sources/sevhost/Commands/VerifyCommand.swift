import ArgumentParser
import BoundedFiles
import Foundation
import Orchestration
import SEVKit
import SEVPlatform

/// `sevhost verify`: certificate verification, one subcommand per certificate world.
///
/// The legacy SEV chain is the default subcommand so sevctl's spelling, `sevhost verify --sev
/// CHAIN`, works unchanged. Another world is added as a subcommand by adding its type to
/// `subcommands` below (one line), e.g. `sevhost verify certs DIR` for SNP.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify AMD certificate chains.",
        discussion: CommandExamples.text("sevhost verify --sev chain.cert --ca ask_ark_rome.cert", "sevhost verify certs certs"),
        subcommands: [
            VerifySEVChainCommand.self,
            VerifyCertsCommand.self,
            VerifyVLEKHashstickCommand.self,
        ],
        defaultSubcommand: VerifySEVChainCommand.self
    )
}

/// `sevhost verify [sev] --sev CHAIN [--oca F] [--ca F | --product P --ca-url U]`: the legacy SEV chain
/// PDH ← PEK ← OCA, PEK ← CEK ← ASK ← ARK, printed as sevctl prints it; exits 1 when any
/// link fails or the ARK is not one of AMD's.
struct VerifySEVChainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sev",
        abstract: "Verify a legacy SEV certificate chain (PDH, PEK, OCA, CEK, ASK, ARK).",
        discussion: """
            CHAIN is the platform chain as `sevctl export` writes it (PDH, PEK, OCA, CEK; 8336 bytes) \
            or the full chain of `sevctl export --full` (followed by ASK and ARK). Without the ASK and \
            ARK in CHAIN, --ca names AMD's ask_ark_<product>.cert (ASK then ARK); without --ca either, \
            that file is downloaded from AMD (--ca-url or $SEVHOST_AMD_CA_URL for a mirror) for \
            --product, or for naples, rome, milan and genoa in turn, keeping the first whose ASK signs \
            the CEK. A downloaded file is used only if its ARK is AMD's pinned root for that product; \
            it is cached and checked again on every use. --oca replaces the chain's OCA (for a \
            platform owned by an external OCA). The ARK must be one of AMD's published roots \
            (Naples, Rome, Milan, Genoa, Turin).

            Legend: • = self signed, ⬑ = signs, •̷ = invalid self sign, ⬑̸ = invalid signs
            """ + "\n\n" + CommandExamples.text(
                "sevhost verify sev --sev chain.cert --ca ask_ark_rome.cert", "sevhost verify sev --sev chain.cert --product rome",
                "sevhost verify sev --bundle bundle.json --ca ask_ark_milan.cert")
    )
    @OptionGroup var messages: OutputOptions

    @Option(name: .customLong("sev"), help: "SEV chain file (PDH, PEK, OCA, CEK [, ASK, ARK]), raw or base64.")
    var chainPath: String?

    @Option(help: ArgumentHelp("An attestation bundle (`attest export`, `vm measurement`): verify the platform chain it carries.", valueName: "FILE"))
    var bundle: String?

    func validate() throws {
        guard (chainPath == nil) != (bundle == nil) else {
            throw ValidationError(bundle == nil ? "missing --sev CHAIN (or --bundle FILE)" : "--sev and --bundle name two chains; give one")
        }
    }

    @Option(help: "OCA certificate file replacing the chain's OCA.")
    var oca: String?

    @Option(help: "AMD CA chain file (ASK then ARK); downloaded when neither this nor CHAIN has it.")
    var ca: String?

    @OptionGroup var download: AMDCAOptions

    @Flag(help: "Print the certificates and each signature's verdict as JSON (schema sevhost-verify-sev/1).")
    var json = false

    func run() async throws {
        let chainFile: SEVChainFile
        let chainPath = chainPath ?? bundle ?? ""
        do {
            if let bundle {
                chainFile = try SEVChainFile(bytes: try Self.bundleChain(bundle), name: bundle)
            } else {
                chainFile = try SEVChainFile(bytes: try GuestOwnerInput.certificates(chainPath, option: "--sev"), name: chainPath)
            }
        } catch let error as SEVCertificateError {
            throw CommandFailure(error.description)
        }
        var platform = chainFile.platform
        if let oca {
            do {
                let certificate = try SEVPlatformCertificate(bytes: try GuestOwnerInput.certificates(oca, option: "--oca"), name: oca)
                guard certificate.usage == .oca else {
                    throw SEVCertificateError.unexpectedUsage(position: oca, expected: .oca, found: certificate.usage)
                }
                platform.oca = certificate
            } catch let error as SEVCertificateError {
                throw CommandFailure(error.description)
            }
        }
        let caChain = try await download.resolve(
            ca: ca, embedded: chainFile.ca, chainPath: chainPath, signing: platform.cek)

        let result = SEVChainVerification(platform: platform, ca: caChain)
        if json {
            print(SEVChainTree.json(platform: platform, ca: caChain, verification: result), terminator: "")
        } else if !OutputPolicy.quiet {
            // The tree is for a person: with -q, as with sevctl's, only the exit status tells.
            // Written as it is, colour included: every line is sevhost's own (usages, sizes,
            // hex digests), so there is nothing from outside to make safe.
            Swift.print(SEVChainTree.render(platform: platform, ca: caChain, verification: result, color: Self.useColor))
        }
        guard result.isValid else {
            if let failed = result.links.first(where: { !$0.verdict.isValid }) {
                throw CommandFailure("SEV/CA certificate verification failed: \(failed.name): \(failed.verdict)")
            }
            throw CommandFailure(
                "SEV/CA certificate verification failed: the ARK is not a known AMD root key (SHA-256 of its encoding matches no published ARK)")
        }
    }

    private static var useColor: Bool { ReportStyle.forStandardOutput().color }

    /// The platform chain an attestation bundle carries: its PDH, then PEK, OCA and CEK as
    /// `query-sev-capabilities` returned them, the layout of `sevctl export`.
    private static func bundleChain(_ path: String) throws -> [UInt8] {
        let parsed = try GuestOwnerInput.bundle(path)
        guard let pdh = Data(base64Encoded: parsed.pdh), let rest = Data(base64Encoded: parsed.certChain) else {
            throw CommandFailure("--bundle \(path): pdh and cert-chain must be base64")
        }
        return [UInt8](pdh) + [UInt8](rest)
    }
}

/// The tree sevctl prints: the PDH, then each signer indented under what it signs, marked
/// `⬑` (signs) or `⬑̸` (does not), roots also `•` (valid self-signature) or `•̷`.
enum SEVChainTree {
    static let legend = " • = self signed, ⬑ = signs, •̷ = invalid self sign, ⬑̸ = invalid signs"

    /// The same as `render`, as a document: each certificate as `render` summarises it, each
    /// signature's verdict, and the root's product.
    static func json(platform: SEVPlatformChain, ca: AMDCAChain, verification: SEVChainVerification) -> String {
        let certificates: [(String, String)] = [
            ("pdh", SEVCertificateSummary.line(for: platform.pdh)), ("pek", SEVCertificateSummary.line(for: platform.pek)),
            ("oca", SEVCertificateSummary.line(for: platform.oca)), ("cek", SEVCertificateSummary.line(for: platform.cek)),
            ("ask", SEVCertificateSummary.line(for: ca.ask)), ("ark", SEVCertificateSummary.line(for: ca.ark)),
        ]
        return JSONOutput.render(JSONOutput.schema("verify-sev"), [
            ("valid", .bool(verification.isValid)),
            ("ark-product", verification.anchorProduct.map { .string($0) } ?? .null),
            ("certificates", .object(certificates.map { ($0.0, .string($0.1)) })),
            ("signatures", .array(verification.links.map {
                .object([("name", .string($0.name)), ("valid", .bool($0.verdict.isValid)), ("verdict", .string("\($0.verdict)"))])
            })),
        ])
    }

    static func render(platform: SEVPlatformChain, ca: AMDCAChain, verification: SEVChainVerification, color: Bool) -> String {
        func paint(_ glyph: String, _ ok: Bool) -> String {
            color ? (ok ? "\u{1B}[32m" : "\u{1B}[31m") + glyph + "\u{1B}[0m" : glyph
        }
        func link(_ verdict: SEVLinkVerdict) -> String { paint(verdict.isValid ? "⬑" : "⬑\u{0338}", verdict.isValid) }
        func root(_ verdict: SEVLinkVerdict) -> String { paint(verdict.isValid ? "•" : "•\u{0337}", verdict.isValid) }

        var lines: [String] = []
        lines.append(SEVCertificateSummary.line(for: platform.pdh))
        lines.append(" \(link(verification.pdhByPEK)) \(SEVCertificateSummary.line(for: platform.pek))")
        lines.append("   \(root(verification.ocaSelf))\(link(verification.pekByOCA)) \(SEVCertificateSummary.line(for: platform.oca))")
        lines.append("    \(link(verification.pekByCEK)) \(SEVCertificateSummary.line(for: platform.cek))")
        lines.append("       \(link(verification.cekByASK)) \(SEVCertificateSummary.line(for: ca.ask))")
        lines.append("         \(root(verification.arkSelf))\(link(verification.askByARK)) \(SEVCertificateSummary.line(for: ca.ark))")
        lines.append("")
        lines.append(legend)
        return lines.joined(separator: "\n")
    }
}
