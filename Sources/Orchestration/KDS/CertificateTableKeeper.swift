import Foundation
import SEVKit
import SEVPlatform

/// Keeps the host's SNP certificate table in step with its firmware: ARK and ASK of the host's
/// product and the VCEK for the TCB the firmware reports now, from the KDS cache, written under
/// the kernel's lock rule (`CertificateTableFile`). A loaded VLEK's entry is left as it is
/// (KDS gives VLEKs to cloud providers only; `snp vlek-load --vlek-cert` puts it there).
///
/// sevhostd runs `refresh` at start and periodically, so the table follows a TCB or key change
/// made by any tool; the check of the reported TCB happens while the lock is held, so the table
/// written is the one for the key the firmware uses when VMMs next read it.
public struct CertificateTableKeeper: Sendable {
    public var table: CertificateTableFile
    public var firmware: any SEVFirmware
    public var product: AMDProduct
    public var cache: KDSCache

    public init(tablePath: String, firmware: any SEVFirmware, product: AMDProduct, cache: KDSCache) {
        self.table = CertificateTableFile(path: tablePath)
        self.firmware = firmware
        self.product = product
        self.cache = cache
    }

    public var path: String { table.path }

    /// What was done: nil when the table was already current, else the entries written.
    @discardableResult
    public func refresh() async throws -> [String]? {
        let firmware = self.firmware, product = self.product, cache = self.cache
        return try await table.update { current in
            let status = try await firmware.snpPlatformStatus()
            let chip = Array(try await firmware.identifier().prefix(product.kdsChipIDLength))
            let tcb = TCBVersion(raw: status.reportedTCB, layout: TCBVersion.Layout(product: product))
            let chain = try SNPCertificate.decodeAll(try await cache.answer(.certChain(.vcek, product)).body)
            guard let ark = chain.first(where: { $0.subject == $0.issuer }), let ask = chain.first(where: { $0.subject != $0.issuer }) else {
                throw KDSError(.badContent, "the \(product.rawValue) chain has no ARK and ASK")
            }
            let vcek = try await cache.answer(.vcek(product, chipID: chip, tcb: tcb)).body
            var entries: [SNPCertificateTable.Entry] = [
                .init(guid: SNPCertificateTable.ark, certificate: ark.der),
                .init(guid: SNPCertificateTable.ask, certificate: ask.der),
                .init(guid: SNPCertificateTable.vcek, certificate: vcek),
            ]
            if status.vlekEnabled, let vlek = current?.entries.first(where: { $0.guid == SNPCertificateTable.vlek }) {
                entries.append(vlek)
            }
            let wanted = SNPCertificateTable(entries: entries)
            guard wanted != current else { return (nil, nil) }
            return (entries.map { SNPCertificateTable.name(for: $0.guid) ?? "?" }, wanted)
        }
    }
}
