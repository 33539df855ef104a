import SEVKit

/// SNP attestation reports, as `report show` and `report verify` read them.
enum ReportTargets {
    static func report(_ input: UnsafeRawBufferPointer) {
        let bytes = input.bytes
        for product in [nil, AMDProduct.milan, .genoa, .turin] {
            guard let report = try? AttestationReport(bytes: bytes, product: product) else { continue }
            _ = report.textLines
            _ = OrderedJSON.object(report.fields).rendered()
            _ = report.inferredProduct
        }
    }
}
