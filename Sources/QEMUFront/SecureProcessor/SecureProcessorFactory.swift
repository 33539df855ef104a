import SEVLaunchSimulator

/// The simulated AMD-SP for the confidential-guest object of an argv.
public enum SecureProcessorFactory {
    /// - Parameter snpPlatform: the simulated SNP chip of the state directory, made only for an
    ///   `sev-snp-guest` (its first use generates AMD-sized RSA keys).
    public static func make(
        for object: FrontPlan.ConfidentialObject?, platform: SimulatedPlatform, options: SEVSecureProcessor.Options,
        snpPlatform: () throws(SimulatorError) -> SimulatedSNPPlatform,
        log: @escaping @Sendable (String) -> Void
    ) throws(FrontArgumentError) -> any SimulatedSecureProcessor {
        let sev = SEVSecureProcessor(platform: platform, options: options, log: log)
        switch object?.qomType {
        case nil, "sev-guest":
            // No object: an SEV host's QEMU without an SEV guest (the platform still answers
            // query-sev-capabilities).
            return sev
        case "sev-snp-guest":
            do {
                return SNPSecureProcessor(platform: try snpPlatform(), sev: sev, acceleratorLocation: options.acceleratorLocation, log: log)
            } catch {
                throw FrontArgumentError(error.description)
            }
        case let type?:
            throw FrontArgumentError("-object \(type),id=\(object?.id ?? ""): the simulated AMD-SP does SEV, SEV-ES and SEV-SNP launches; \(type) is not simulated")
        }
    }
}
