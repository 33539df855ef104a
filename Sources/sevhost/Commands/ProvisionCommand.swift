import ArgumentParser
import BoundedFiles
import Foundation
import SEVKit
import SEVPlatform

/// `sevhost provision CERT KEY`: take ownership of the platform with an OCA.
///
/// PEK_CSR gives the PEK; the OCA key signs it here; PEK_CERT_IMPORT installs the signed PEK
/// and the OCA. The firmware then drops its self-owned OCA and makes a new PDH.
struct ProvisionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provision",
        abstract: "Take ownership of the platform: sign its PEK with an OCA and import both.",
        discussion: CommandExamples.text("sevhost provision owner.cert owner.key --yes"))
    @OptionGroup var messages: OutputOptions

    @OptionGroup var firmware: FirmwareOption
    @OptionGroup var confirmation: ConfirmationOption

    @Argument(help: "The OCA certificate (SEV format, 2084 bytes).")
    var cert: String

    @Argument(help: "The OCA private key (P-384): PEM as `sevhost generate` writes it, or DER as `sevctl generate` does.")
    var key: String

    func run() async throws {
        let oca: SEVPlatformCertificate
        do {
            oca = try SEVPlatformCertificate(bytes: try GuestOwnerInput.certificates(cert, option: "CERT"), name: cert)
        } catch let error as SEVCertificateError {
            throw CommandFailure(error.description)
        }
        guard oca.usage == .oca else {
            throw CommandFailure("\(cert): key usage is \(oca.usage), expected OCA")
        }
        let keyFile = try GuestOwnerInput.read(key, option: "KEY", .key)
        let authority: OwnerCA
        do {
            authority = try OwnerCA(certificate: oca, keyFile: keyFile)
        } catch .notAKey {
            throw CommandFailure("\(key): not a P-384 private key in PEM or DER (PKCS#8 or SEC1)")
        } catch {
            throw CommandFailure("\(key): the private key does not belong to the OCA in \(cert)")
        }

        let device = try firmware.open()
        let status = try await firmwareCall { () async throws(SEVFirmwareError) in try await device.platformStatus() }
        try confirmation.confirm(
            "Take ownership of the \(device.location) (now \(status.flags.value & 1 != 0 ? "externally owned" : "self-owned"))? Its PEK and PDH change.",
            action: "provision")
        var pek = try await firmwareCall { () async throws(SEVFirmwareError) in try await device.pekCSR() }
        try authority.sign(&pek)
        let signed = pek
        try await firmwareCall { () async throws(SEVFirmwareError) in try await device.importPEK(signed, oca: oca) }
    }
}
