import ArgumentParser
import AtomicFiles
import BoundedFiles
import Foundation
import Orchestration
import SEVKit
import SEVPlatform

/// `--table FILE`: the host's SNP certificate table, kept in step with the firmware under the
/// kernel's locking rule (`CertificateTableFile`) by every command that changes the TCB or the
/// endorsement key.
struct CertificateTableOption: ParsableArguments {
    @Option(name: .customLong("table"), help: ArgumentHelp(
        "The SNP certificate table a VMM serves guests (GHCB format): locked exclusively while the firmware changes, then rewritten.",
        valueName: "FILE"))
    var path: String?

    /// Runs `command` under the table's exclusive lock (or alone without --table), then rewrites
    /// the table with what the firmware's new reported TCB and key leave valid: the VCEK and
    /// VLEK entries go when the reported TCB changed (KDS issues them per TCB); `vlek`, when
    /// given, becomes the VLEK entry.
    func change(
        _ device: any SEVFirmware, vlek: [UInt8]? = nil, _ command: @escaping @Sendable () async throws(SEVFirmwareError) -> Void
    ) async throws {
        guard let path else {
            try await firmwareCall(command)
            return
        }
        let removed: [String]
        do {
            removed = try await CertificateTableFile(path: path).update { current in
                let before = try await firmwareCall { () async throws(SEVFirmwareError) in try await device.snpPlatformStatus() }.reportedTCB
                try await firmwareCall(command)
                let after = try await firmwareCall { () async throws(SEVFirmwareError) in try await device.snpPlatformStatus() }.reportedTCB
                guard let current else {
                    return ([], vlek.map { SNPCertificateTable(entries: [.init(guid: SNPCertificateTable.vlek, certificate: $0)]) })
                }
                var stale: Set<UUID> = []
                if before != after { stale = [SNPCertificateTable.vcek, SNPCertificateTable.vlek] }
                if vlek != nil { stale.insert(SNPCertificateTable.vlek) }
                var entries = current.entries.filter { !stale.contains($0.guid) }
                if let vlek { entries.append(.init(guid: SNPCertificateTable.vlek, certificate: vlek)) }
                let gone = current.entries.filter { stale.contains($0.guid) && !(vlek != nil && $0.guid == SNPCertificateTable.vlek) }
                    .map { SNPCertificateTable.name(for: $0.guid) ?? $0.guid.uuidString }
                return (gone, entries == current.entries ? nil : SNPCertificateTable(entries: entries))
            }
        } catch let error as CertificateTableFileError {
            throw CommandFailure(error.description)
        }
        if !removed.isEmpty {
            CLIFiles.stderr("\(path): removed \(removed.joined(separator: ", ")): issued for the TCB the firmware no longer reports (sevhostd, or snp certs import, puts the current ones in)")
        }
    }
}

/// `sevhost snp vlek-load FILE`: SNP_VLEK_LOAD, as `snphost vlek-load`.
struct SNPVLEKLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlek-load",
        abstract: "Load a wrapped VLEK hashstick into the firmware (SNP_VLEK_LOAD): reports are then signed with the VLEK.",
        discussion: "The hashstick is what `sevhost fetch hashsticks` saves. With --table, the table is locked while it loads and its VLEK entry replaced (--vlek-cert) or removed." + "\n\n" + CommandExamples.text("sevhost snp vlek-load hashstick.bin"))
    @OptionGroup var messages: OutputOptions

    @OptionGroup var firmware: FirmwareOption
    @OptionGroup var table: CertificateTableOption
    @Option(help: ArgumentHelp("The VLEK certificate (DER or PEM) to put in the table.", valueName: "FILE"))
    var vlekCert: String?
    @Argument(help: "The wrapped VLEK hashstick (432 bytes).") var hashstick: String

    func run() async throws {
        let parsed = try VLEKHashstickFile.read(hashstick)
        let certificate = try vlekCert.map { try CertificateFile.der($0) }
        if certificate != nil, table.path == nil { throw CommandFailure("--vlek-cert goes with --table") }
        let device = try firmware.open()
        try await table.change(device, vlek: certificate) { () async throws(SEVFirmwareError) in try await device.snpVLEKLoad(parsed) }
    }
}

enum VLEKHashstickFile {
    static func read(_ path: String) throws -> VLEKHashstick {
        let bytes = try GuestOwnerInput.read(path, option: "hashstick", .smallBlob)
        do { return try VLEKHashstick(bytes: bytes, name: path) } catch { throw CommandFailure(error.description) }
    }
}

/// `sevhost verify vlek-hashstick FILE`: is this hashstick for the TCB the firmware reports?
struct VerifyVLEKHashstickCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlek-hashstick",
        abstract: "Check that a wrapped VLEK hashstick is for the TCB the firmware reports (what SNP_VLEK_LOAD requires).",
        discussion: CommandExamples.text("sevhost verify vlek-hashstick hashstick.bin"))
    @OptionGroup var messages: OutputOptions

    @OptionGroup var firmware: FirmwareOption
    @Argument(help: "The wrapped VLEK hashstick (432 bytes).") var hashstick: String
    @Flag(help: "Print both TCBs as JSON (schema sevhost-verify-vlek-hashstick/1).") var json = false

    func run() async throws {
        let parsed = try VLEKHashstickFile.read(hashstick)
        let device = try firmware.open()
        let reported = try await firmwareCall { () async throws(SEVFirmwareError) in try await device.snpPlatformStatus() }.reportedTCB
        let layout = firmware.tcbLayout
        let stick = TCBVersion(raw: parsed.tcb, layout: layout)
        let platform = TCBVersion(raw: reported, layout: layout)
        guard parsed.tcb == reported else {
            throw CommandFailure("\(hashstick): the hashstick is for TCB \(stick) (\(stick.hex)), the firmware reports \(platform) (\(platform.hex))")
        }
        if json {
            print(JSONOutput.render(JSONOutput.schema("verify-vlek-hashstick"), [
                ("hashstick", .string(hashstick)), ("matches", .bool(true)),
                ("hashstick-tcb", .string(stick.hex)), ("reported-tcb", .string(platform.hex)),
            ]), terminator: "")
        } else {
            print("VLEK hashstick TCB: \(stick) (\(stick.hex))")
            print("reported TCB: \(platform) (\(platform.hex))")
            print("hashstick \(hashstick): matches the reported TCB")
        }
    }
}

/// The firmware and KDS base of `show vlek-url` and `show hashsticks-url`.
struct VLEKEndpointOptions: ParsableArguments {
    @OptionGroup var firmware: FirmwareOption
    @Option(name: .customLong("kds-url"), help: ArgumentHelp("Base URL (default https://kdsintf.amd.com:444).", valueName: "URL"))
    var base: String = KDSURL.amdVLEKBase

    /// Prints the URL `make` builds for the platform's product and reported TCB.
    func show(_ make: (KDSURL) -> (AMDProduct, TCBVersion) -> String) async throws {
        let (product, tcb) = try await firmware.productAndReportedTCB()
        print(make(KDSURL(base: base))(product, tcb))
    }
}

/// `show vlek-url` and `show hashsticks-url`, as snphost prints them.
struct VLEKURLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlek-url", abstract: "The KDS URL of this platform's VLEK at its reported TCB (cloud providers' endpoint, mutual TLS).",
        discussion: CommandExamples.text("sevhost show vlek-url"))
    @OptionGroup var messages: OutputOptions
    @OptionGroup var endpoint: VLEKEndpointOptions

    func run() async throws { try await endpoint.show(KDSURL.vlek) }
}

struct HashsticksURLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hashsticks-url", abstract: "The KDS URL for this platform's wrapped VLEK hashsticks at its reported TCB.",
        discussion: CommandExamples.text("sevhost show hashsticks-url"))
    @OptionGroup var messages: OutputOptions
    @OptionGroup var endpoint: VLEKEndpointOptions

    func run() async throws { try await endpoint.show(KDSURL.hashsticks) }
}

extension FirmwareOption {
    /// The platform's product (the simulated chip is a Milan) and its reported TCB.
    func productAndReportedTCB() async throws -> (AMDProduct, TCBVersion) {
        let product: AMDProduct
        if simulatorDirectory != nil {
            product = .milan
        } else {
            guard let live = (try? HostProbe(root: .live))?.product, AMDProduct.snpCapable.contains(live) else {
                throw CommandFailure("this CPU is not a Milan, Genoa or Turin: KDS has no VLEKs for it")
            }
            product = live
        }
        let device = try open()
        let status = try await firmwareCall { () async throws(SEVFirmwareError) in try await device.snpPlatformStatus() }
        return (product, TCBVersion(raw: status.reportedTCB, layout: TCBVersion.Layout(product: product)))
    }
}

/// `sevhost fetch hashsticks DIR CLIENT_CERT KEY`: wrapped VLEK hashsticks from KDS's
/// provider endpoint over mutual TLS, as `snphost fetch hashsticks`.
struct FetchHashsticksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hashsticks",
        abstract: "Fetch wrapped VLEK hashsticks from KDS with the cloud provider's client certificate (mutual TLS).",
        discussion: """
            POSTs {"hwids": [...]} to KDS's hash_sticks endpoint for the platform's reported TCB and writes the \
            hashstick of this chip (or --hwid) to DIR/hashsticks, which snp vlek-load takes. With --json FILE the \
            request body is FILE (several machines) and the raw answer is written; --result NAME names the file \
            and keeps the raw answer.
            """ + "\n\n" + CommandExamples.text("sevhost fetch hashsticks hashsticks provider.pem provider.key"))
    @OptionGroup var messages: OutputOptions

    @OptionGroup var firmware: FirmwareOption
    @Argument(help: "Directory to write into (created if missing).") var directory: String
    @Argument(help: "The provider's client certificate (PEM).") var clientCert: String
    @Argument(help: "Its private key (PEM).") var privateKey: String
    @Option(help: ArgumentHelp("The chip id to ask for (hex), instead of this platform's.", valueName: "HEX")) var hwid: String?
    @Option(help: ArgumentHelp("A request body naming several chips; the raw answer is written.", valueName: "FILE")) var json: String?
    @Option(help: ArgumentHelp("The file name of the raw answer (no decoding).", valueName: "NAME")) var result: String?
    @Option(name: .customLong("kds-url"), help: ArgumentHelp("Base URL (default https://kdsintf.amd.com:444).", valueName: "URL"))
    var base: String = KDSURL.amdVLEKBase
    @Option(name: .customLong("ca-file"), help: ArgumentHelp("CA certificates to check the server with, instead of the system's.", valueName: "FILE"))
    var caFile: String?

    func validate() throws {
        if hwid != nil, json != nil { throw ValidationError("--hwid and --json exclude each other") }
        if let result, result.isEmpty || result.contains("/") || result == "." || result == ".." {
            throw ValidationError("--result \(result): expected a file name")
        }
    }

    func run() async throws {
        for (path, what) in [(clientCert, "client certificate"), (privateKey, "private key")] where !FileManager.default.isReadableFile(atPath: path) {
            throw CommandFailure("\(path): cannot read the \(what)")
        }
        let (product, tcb) = try await firmware.productAndReportedTCB()
        let body: [UInt8]
        var chip: String?
        if let json {
            body = try GuestOwnerInput.read(json, option: "--json", .bundle)
        } else {
            if let hwid {
                chip = Hex.encode(try ByteOption.parse(hwid, option: "--hwid", lengths: [64, 8]))
            } else {
                let device = try firmware.open()
                chip = Hex.encode(try await firmwareCall { () async throws(SEVFirmwareError) in try await device.identifier() }.prefix(64))
            }
            body = Array(#"{"hwids":["\#(chip!)"]}"#.utf8)
        }
        let url = KDSURL(base: base).hashsticks(product: product, tcb: tcb)
        let answer: [UInt8]
        do {
            answer = try await KDSClient.post(url, body: body, clientCertificate: clientCert, clientKey: privateKey, caFile: caFile)
        } catch {
            throw CommandFailure(error.message)
        }
        let output: [UInt8]
        if let chip, result == nil {
            output = try Self.hashstick(from: answer, chip: chip, url: url)
        } else {
            output = answer
        }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var files = AtomicFileSet()
        files.add((directory as NSString).appendingPathComponent(result ?? "hashsticks"), output)
        try files.commit()
        print(files.files[0].path)
    }

    /// KDS answers `{"results": [{"<hwid>": "<hex hashstick>" | "not found"}]}`.
    static func hashstick(from answer: [UInt8], chip: String, url: String) throws -> [UInt8] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any],
              let results = object["results"] as? [[String: Any]]
        else {
            throw CommandFailure("\(url): the answer is not KDS's {\"results\": [...]} JSON")
        }
        let entry = results.lazy.compactMap { $0.first { $0.key.lowercased() == chip }?.value as? String }.first
        guard let entry else { throw CommandFailure("\(url): the answer has no hashstick for chip \(chip.prefix(16))…") }
        if entry == "not found" { throw CommandFailure("\(url): KDS has no hashstick for chip \(chip.prefix(16))… at this TCB") }
        guard let bytes = Hex.decode(entry) else { throw CommandFailure("\(url): the hashstick for chip \(chip.prefix(16))… is not hex") }
        do { _ = try VLEKHashstick(bytes: bytes, name: "the hashstick KDS sent") } catch { throw CommandFailure(error.description) }
        return bytes
    }
}
