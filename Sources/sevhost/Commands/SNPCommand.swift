import ArgumentParser
import AtomicFiles
import BoundedFiles
import Foundation
import SEVKit
import SEVPlatform

/// `sevhost snp …`: the SEV-SNP platform commands (snphost's commit, config and import/export).
struct SNPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snp",
        abstract: "SEV-SNP platform management: commit, config, VLEK, certificate table.",
        discussion: CommandExamples.text("sevhost snp certs export snp-certs"),
        subcommands: [SNPCommitCommand.self, SNPConfigCommand.self, SNPVLEKLoadCommand.self, SNPCertsCommand.self])
}

/// SNP_COMMIT: irreversible, so it asks first.
struct SNPCommitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commit",
        abstract: "Commit the running SNP firmware (SNP_COMMIT): older firmware can no longer be loaded.",
        discussion: CommandExamples.text("sevhost snp commit --yes"))
    @OptionGroup var messages: OutputOptions

    @OptionGroup var firmware: FirmwareOption
    @OptionGroup var table: CertificateTableOption
    @OptionGroup var confirmation: ConfirmationOption

    func run() async throws {
        let device = try firmware.open()
        let status = try await firmwareCall { () async throws(SEVFirmwareError) in try await device.snpPlatformStatus() }
        try confirmation.confirm(
            "Commit the firmware of the \(device.location) at TCB \(TCBVersion(raw: status.currentTCB, layout: firmware.tcbLayout))? This cannot be undone.",
            action: "commit the firmware")
        try await table.change(device) { () async throws(SEVFirmwareError) in try await device.snpCommit() }
    }
}

/// SNP_SET_CONFIG.
struct SNPConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Set or reset the SNP configuration (SNP_SET_CONFIG): reported TCB and chip masks.",
        discussion: CommandExamples.text("sevhost snp config set 3 0 8 115"),
        subcommands: [Set.self, Reset.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Report the given TCB in attestation reports (at most the platform's), and set the masks.",
            discussion: "Turin and later carry an FMC level too: give it with --fmc." + "\n\n" + CommandExamples.text("sevhost snp config set 3 0 8 115"))
        @OptionGroup var messages: OutputOptions

        @OptionGroup var firmware: FirmwareOption
        @OptionGroup var table: CertificateTableOption

        @Argument(help: "Boot loader security version.") var bootloader: UInt8
        @Argument(help: "TEE security version.") var tee: UInt8
        @Argument(help: "SNP firmware security version.") var snp: UInt8
        @Argument(help: "Microcode security version.") var microcode: UInt8
        @Option(help: "FMC security version (Turin and later).") var fmc: UInt8?
        @Flag(help: "Zero the chip id in attestation reports.") var maskChipID = false
        @Flag(help: "Sign attestation reports with a zero key instead of the VCEK.") var maskChipKey = false

        func run() async throws {
            let layout = firmware.tcbLayout
            if fmc != nil, layout != .turin {
                throw CommandFailure("--fmc: this platform's TCB (Milan/Genoa layout) has no FMC level")
            }
            if fmc == nil, layout == .turin {
                throw CommandFailure("--fmc is required: a Turin TCB carries an FMC level")
            }
            let tcb = TCBVersion(bootloader: bootloader, tee: tee, snp: snp, microcode: microcode, fmc: fmc)
            let config = SNPConfig(reportedTCB: tcb.raw, maskChipID: maskChipID, maskChipKey: maskChipKey)
            let device = try firmware.open()
            try await table.change(device) { () async throws(SEVFirmwareError) in try await device.snpSetConfig(config) }
        }
    }

    /// An all-zero configuration: the reported TCB goes back to the committed one, no masks.
    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset",
            abstract: "Reset the SNP configuration: report the committed TCB again, unmask chip id and key.",
            discussion: CommandExamples.text("sevhost snp config reset"))
        @OptionGroup var messages: OutputOptions

        @OptionGroup var firmware: FirmwareOption
        @OptionGroup var table: CertificateTableOption

        func run() async throws {
            let device = try firmware.open()
            try await table.change(device) { () async throws(SEVFirmwareError) in try await device.snpSetConfig(SNPConfig(reportedTCB: 0)) }
        }
    }
}

/// The extended certificate table (GHCB format), as `snphost import/export` handle it.
struct SNPCertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Import or export the SNP extended certificate table (ARK, ASK, VCEK, VLEK for guests).",
        discussion: CommandExamples.text("sevhost snp certs import snp-certs --table /var/lib/sevhost/certs-table.bin"),
        subcommands: [Import.self, Export.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Build the certificate table from DIR (ark, ask or asvk, vcek, vlek as .der or .pem, as snphost names them) and install it.",
            discussion: "With --table FILE the table replaces FILE (for the VMM) under the kernel's locking rule (an exclusive OFD lock, waiting for VMMs that hold a shared one) instead of going to the firmware." + "\n\n" + CommandExamples.text("sevhost snp certs import snp-certs", "sevhost snp certs import snp-certs --table /var/lib/sevhost/certs-table.bin"))
        @OptionGroup var messages: OutputOptions

        @OptionGroup var firmware: FirmwareOption
        @Option(help: ArgumentHelp("Write the GHCB-format table to FILE instead.", valueName: "FILE")) var table: String?
        @Argument(help: "Directory holding ark, ask, vcek and/or vlek certificates.") var directory: String

        func run() async throws {
            var entries: [SNPCertificateTable.Entry] = []
            var sources: [UUID: String] = [:]
            // snphost's names: the ASVK goes in the ASK's entry (one intermediate per table).
            let names = SNPCertificateTable.names + [(SNPCertificateTable.ask, "asvk")]
            for (guid, name) in names {
                for ext in ["der", "pem", "crt", "cer"] {
                    let path = (directory as NSString).appendingPathComponent("\(name).\(ext)")
                    guard FileManager.default.fileExists(atPath: path) else { continue }
                    if let other = sources[guid] {
                        throw CommandFailure("\(path): \(other) already fills its entry (one file each for ark, ask or asvk, vcek, vlek)")
                    }
                    sources[guid] = path
                    entries.append(.init(guid: guid, certificate: try CertificateFile.der(path)))
                }
            }
            guard !entries.isEmpty else {
                throw CommandFailure("\(directory): holds none of ark, ask, vcek, vlek (.der, .pem, .crt or .cer)")
            }
            // Nothing is dropped silently: a file the table does not take is named.
            let used = Set(sources.values.map { ($0 as NSString).lastPathComponent })
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted() where !used.contains(name) && !name.hasPrefix(".") {
                CommandFailure.warn("\((directory as NSString).appendingPathComponent(name)): ignored: not one of ark, ask, asvk, vcek, vlek (.der, .pem, .crt or .cer)")
            }
            let certificates = SNPCertificateTable(entries: entries)
            if let table {
                do {
                    try await CertificateTableFile(path: table).update { _ in ((), certificates) }
                } catch let error as CertificateTableFileError {
                    throw CommandFailure(error.description)
                }
                return
            }
            let device = try firmware.open()
            try await firmwareCall { () async throws(SEVFirmwareError) in try await device.setSNPCertificates(certificates) }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write each certificate of the table to DIR as <name>.der (or .pem).",
            discussion: "With --table FILE the table is read from FILE instead of from the firmware." + "\n\n" + CommandExamples.text("sevhost snp certs export snp-certs"))
        @OptionGroup var messages: OutputOptions

        @OptionGroup var firmware: FirmwareOption
        @Option(help: ArgumentHelp("Read the GHCB-format table from FILE instead.", valueName: "FILE")) var table: String?
        @Flag(help: "Write PEM instead of DER.") var pem = false
        @Argument(help: "Output directory (created if missing).") var directory: String

        func run() async throws {
            let certificates: SNPCertificateTable
            if let table {
                do {
                    certificates = try SNPCertificateTable(bytes: try GuestOwnerInput.read(table, option: "--table", .certificateTable), name: table)
                } catch let error as ByteDecodingError {
                    throw CommandFailure(error.description)
                }
            } else {
                let device = try firmware.open()
                certificates = try await firmwareCall { () async throws(SEVFirmwareError) in try await device.snpCertificates() }
            }
            guard !certificates.entries.isEmpty else {
                throw CommandFailure("the certificate table is empty: nothing to export")
            }
            var output = AtomicFileSet()
            let hasVLEK = certificates.entries.contains { $0.guid == SNPCertificateTable.vlek }
            for entry in certificates.entries {
                var name = SNPCertificateTable.name(for: entry.guid) ?? entry.guid.uuidString.lowercased()
                // snphost's name for the intermediate of a VLEK table.
                if name == "ask", hasVLEK { name = "asvk" }
                let path = (directory as NSString).appendingPathComponent("\(name).\(pem ? "pem" : "der")")
                output.add(path, pem ? CertificateFile.pem(entry.certificate) : entry.certificate)
            }
            try output.commit(creatingDirectoriesWithMode: AtomicFile.publicDirectoryMode)
        }
    }
}

/// DER or PEM certificate files.
enum CertificateFile {
    static func der(_ path: String) throws -> [UInt8] {
        let bytes = try GuestOwnerInput.read(path, option: "certificate", .certificate)
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasPrefix("-----BEGIN") else {
            guard bytes.first == 0x30 else {
                throw CommandFailure("\(path): neither DER (expected a SEQUENCE, 0x30, at byte 0) nor PEM")
            }
            return bytes
        }
        let lines = text.split(whereSeparator: \.isNewline)
        guard lines.first == "-----BEGIN CERTIFICATE-----", let end = lines.firstIndex(of: "-----END CERTIFICATE-----"),
              let der = Data(base64Encoded: lines[1..<end].joined(), options: .ignoreUnknownCharacters)
        else {
            throw CommandFailure("\(path): PEM must hold one CERTIFICATE block of base64")
        }
        return [UInt8](der)
    }

    static func pem(_ der: [UInt8]) -> [UInt8] { Array(PEMText.encode(der, label: "CERTIFICATE").utf8) }
}
