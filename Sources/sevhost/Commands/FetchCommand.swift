import ArgumentParser
import AtomicFiles
import Foundation
import Orchestration
import SEVKit

/// `sevhost fetch ca|vcek|vlek|crl`: certificates and CRLs from AMD KDS (or a mirror), cached,
/// written to a directory all-or-nothing (`AtomicFileSet`).
struct FetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Fetch SNP certificates and CRLs from AMD's Key Distribution Service.",
        discussion: CommandExamples.text("sevhost fetch ca Milan --out kds"),
        subcommands: [FetchCACommand.self, FetchVCEKCommand.self, FetchVLEKCommand.self, FetchCRLCommand.self, FetchHashsticksCommand.self])
}

/// Output options shared by the fetch subcommands.
struct FetchOutput: ParsableArguments {
    @Option(name: [.customShort("o"), .customLong("out")], help: ArgumentHelp("Directory to write into (created if missing).", valueName: "DIR"))
    var out: String = "."

    @Option(help: "Certificate encoding of the files written.")
    var encoding: CertEncoding = .pem

    enum CertEncoding: String, ExpressibleByArgument, CaseIterable { case pem, der }

    func write(_ certs: [(name: String, cert: SNPCertificate)]) throws {
        let dir = URL(fileURLWithPath: out)
        var files = AtomicFileSet()
        for (name, cert) in certs {
            files.add(dir.appendingPathComponent("\(name).\(encoding.rawValue)").path, encoding == .pem ? Array(cert.pem.utf8) : cert.der)
        }
        try files.commit(creatingDirectoriesWithMode: AtomicFile.publicDirectoryMode)
        for file in files.files { print(file.path) }
    }
}

/// `fetch ca PRODUCT`: the ARK and ASK (VCEK chain) of a product.
struct FetchCACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ca", abstract: "Fetch the ARK and ASK (or, with --vlek, ASVK) of a product.",
        discussion: CommandExamples.text("sevhost fetch ca Milan --out kds"))
    @OptionGroup var messages: OutputOptions
    @Argument(help: "Milan, Genoa (also Bergamo, Siena) or Turin.") var product: AMDProduct
    @Flag(help: "The VLEK chain (ARK and ASVK) instead of the VCEK chain.") var vlek = false
    @OptionGroup var kds: KDSOptions
    @OptionGroup var output: FetchOutput

    func run() async throws {
        try await FetchChain.run(product: product, signer: vlek ? .vlek : .vcek, kds: kds, output: output)
    }
}

/// `fetch vlek PRODUCT`: the VLEK chain (ARK and ASVK). VLEKs themselves are provisioned to
/// cloud providers and reach a guest through the extended report, not through public KDS.
struct FetchVLEKCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vlek", abstract: "Fetch the ARK and ASVK that issue VLEKs of a product.",
        discussion: CommandExamples.text("sevhost fetch vlek Genoa --out kds"))
    @OptionGroup var messages: OutputOptions
    @Argument(help: "Milan, Genoa (also Bergamo, Siena) or Turin.") var product: AMDProduct
    @OptionGroup var kds: KDSOptions
    @OptionGroup var output: FetchOutput

    func run() async throws {
        try await FetchChain.run(product: product, signer: .vlek, kds: kds, output: output)
    }
}

enum FetchChain {
    static func run(product: AMDProduct, signer: KDSURL.Signer, kds: KDSOptions, output: FetchOutput) async throws {
        guard AMDProduct.snpCapable.contains(product) else {
            throw CommandFailure("\(product.rawValue) has no SEV-SNP certificates at KDS")
        }
        let certs: [SNPCertificate]
        do {
            certs = try await TerminalProgress.around("fetching the \(product.rawValue) certificate chain from KDS") {
                try await kds.client().certChain(signer, product: product)
            }
        } catch let error as KDSError {
            throw error.failure
        }
        let chain = try SNPCertificateChain(sorting: certs)
        guard let anchored = chain.product, anchored == product else {
            throw CommandFailure("the ARK served for \(product.rawValue) is not AMD's pinned \(product.rawValue) root; refusing to save it", exitCode: 2)
        }
        try output.write([("ark", chain.ark), (signer == .vlek ? "asvk" : "ask", chain.intermediate)])
    }
}

/// `fetch vcek`: the VCEK of a chip at a TCB, from a report or given explicitly.
struct FetchVCEKCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vcek", abstract: "Fetch the VCEK for a report's chip and REPORTED_TCB.",
        discussion: CommandExamples.text("sevhost fetch vcek --report report.bin --certs certs --out kds"))
    @OptionGroup var messages: OutputOptions
    @OptionGroup var source: VCEKSource
    @OptionGroup var kds: KDSOptions
    @OptionGroup var output: FetchOutput

    func run() async throws {
        let (product, chipID, tcb) = try source.resolve()
        let cert: SNPCertificate
        do {
            cert = try await TerminalProgress.around("fetching the VCEK from KDS") {
                try await kds.client().vcek(product: product, chipID: chipID, tcb: tcb)
            }
        } catch let error as KDSError {
            throw error.failure
        }
        try output.write([("vcek", cert)])
    }
}

/// `fetch crl PRODUCT`: the CRL of a product's ARK, checked against the pinned ARK.
struct FetchCRLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "crl", abstract: "Fetch the CRL of a product's ARK (crl.pem, or crl.der with --encoding der).",
        discussion: CommandExamples.text("sevhost fetch crl Milan --out kds --timeout 10"))
    @OptionGroup var messages: OutputOptions
    @Argument(help: "Milan, Genoa (also Bergamo, Siena) or Turin.") var product: AMDProduct
    @Flag(help: "The VLEK CRL.") var vlek = false
    @OptionGroup var kds: KDSOptions
    @OptionGroup var output: FetchOutput

    func run() async throws {
        let client = kds.client()
        let signer: KDSURL.Signer = vlek ? .vlek : .vcek
        let list: CertificateRevocationList
        let chain: SNPCertificateChain
        do {
            (list, chain) = try await TerminalProgress.around("fetching the \(product.rawValue) CRL from KDS") {
                (try await client.crl(signer, product: product),
                 try SNPCertificateChain(sorting: try await client.certChain(signer, product: product)))
            }
        } catch let error as KDSError {
            throw error.failure
        }
        guard chain.product == product, list.isSigned(by: chain.ark) else {
            throw CommandFailure("the CRL for \(product.rawValue) is not signed by AMD's pinned \(product.rawValue) ARK; refusing to save it", exitCode: 2)
        }
        let dir = URL(fileURLWithPath: output.out)
        var files = AtomicFileSet()
        files.add(dir.appendingPathComponent("crl.\(output.encoding.rawValue)").path, output.encoding == .pem ? Array(list.pem.utf8) : list.der)
        try files.commit(creatingDirectoriesWithMode: AtomicFile.publicDirectoryMode)
        print(files.files[0].path)
    }
}
