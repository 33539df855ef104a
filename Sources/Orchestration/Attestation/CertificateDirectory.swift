import BoundedFiles
import Foundation
import SEVKit

/// The certificates and CRL found in a directory (`--certs DIR`), whatever the files are
/// called: `ark.pem`, `ask.pem`, `vcek.der`, a KDS `cert_chain`, a `crl`. Roles are decided by
/// content (self-issued root, `SEV-VCEK`/`SEV-VLEK` leaf), never by file name.
public struct CertificateDirectory: Sendable {
    public var certificates: [SNPCertificate] = []
    public var crl: CertificateRevocationList?
    /// Which file each certificate came from, for messages.
    public var sources: [SNPCertificate: String] = [:]
    /// The directory read, for messages.
    public var path: String?

    public init() {}

    /// Extensions that must hold a certificate or a CRL; anything else in the directory is
    /// left alone (a README, a report).
    static let certificateExtensions: Set<String> = ["pem", "der", "cer", "crt", "crl", "testcer", ""]

    /// The most files read from one directory: a chain, a VLEK's, a CRL and a KDS `cert_chain`
    /// are a handful. With `SNPCertificate.maximumPerFile` and the 1 MiB a certificate file
    /// may hold, this bounds what a directory costs (16 MiB, 256 certificates).
    public static let maximumFiles = 16

    public init(directory: URL) throws(ReportInputError) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        } catch {
            throw ReportInputError("\(directory.path): cannot list the certificate directory: \(BoundedFile.isRegularFile(directory.path) ? "a file, expected a directory" : SystemErrorText.reason(error))")
        }
        path = directory.path
        var filesRead = 0
        for name in names where !name.hasPrefix(".") {
            let url = directory.appendingPathComponent(name)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue else { continue }
            let ext = url.pathExtension.lowercased()
            guard Self.certificateExtensions.contains(ext) else { continue }
            filesRead += 1
            guard filesRead <= Self.maximumFiles else {
                throw ReportInputError("\(directory.path): more than \(Self.maximumFiles) files that may hold certificates or a CRL; a certificate directory holds a handful")
            }
            let data: [UInt8]
            do {
                data = try BoundedFile.read(url.path, .certificate)
            } catch {
                throw ReportInputError(error.description)
            }
            do { try add(data, name: url.path) } catch {
                // A file named like a certificate must be one; an extensionless file (KDS's
                // `cert_chain`, `crl`) is taken when it parses and otherwise left alone.
                if !ext.isEmpty { throw error }
            }
        }
    }

    /// Adds one file's content: certificates (PEM bundle or DER) or a CRL.
    public mutating func add(_ bytes: [UInt8], name: String) throws(ReportInputError) {
        if let certs = try? SNPCertificate.decodeAll(bytes) {
            for cert in certs where !certificates.contains(cert) {
                certificates.append(cert)
                sources[cert] = name
            }
            return
        }
        if let list = try? CertificateRevocationList(bytes: bytes) {
            crl = list
            return
        }
        // Neither: report why as a certificate, the common case.
        do { _ = try SNPCertificate.decodeAll(bytes) } catch {
            throw ReportInputError("\(name): not a certificate or CRL: \(error.message)")
        }
    }

    public var hasARK: Bool { certificates.contains { $0.subject == $0.issuer } }
    public var endorsementKey: SNPCertificate? {
        certificates.first { $0.commonName == "SEV-VCEK" || $0.commonName == "SEV-VLEK" }
    }
    public var hasIntermediate: Bool {
        certificates.contains { $0.subject != $0.issuer && $0.commonName != "SEV-VCEK" && $0.commonName != "SEV-VLEK" }
    }

    /// The product these certificates belong to: the VCEK/VLEK's productName, else the
    /// pinned AMD root among them; nil when neither tells (a version-2 report cannot).
    public var product: AMDProduct? {
        if let leaf = endorsementKey, let name = try? EndorsementKeyExtensions(leaf).productName, let product = AMDProduct(name: name) {
            return product
        }
        if let ark = certificates.first(where: { $0.subject == $0.issuer }), let product = SNPTrustAnchors.product(of: ark) {
            return product
        }
        return nil
    }

    public func chain() throws(ReportInputError) -> SNPCertificateChain {
        if certificates.isEmpty {
            throw ReportInputError("\(path ?? "certificates"): no certificates found (add ARK, ASK and VCEK, or pass --fetch)")
        }
        do { return try SNPCertificateChain(sorting: certificates) } catch {
            throw ReportInputError("certificates: \(error.message)")
        }
    }
}

/// An attestation input (report, certificates, option) is unusable.
public struct ReportInputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
