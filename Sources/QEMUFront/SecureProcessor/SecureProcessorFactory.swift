import SEVLaunchSimulator

/// The simulated AMD-SP for the confidential-guest object of an argv.
public enum SecureProcessorFactory {
    public static func make(
        for object: FrontPlan.ConfidentialObject?, platform: SimulatedPlatform, options: SEVSecureProcessor.Options,
        log: @escaping @Sendable (String) -> Void
    ) throws(FrontArgumentError) -> any SimulatedSecureProcessor {
        switch object?.qomType {
        case nil, "sev-guest":
            // No object: an SEV host's QEMU without an SEV guest (the platform still answers
            // query-sev-capabilities).
            return SEVSecureProcessor(platform: platform, options: options, log: log)
        case let type?:
            throw FrontArgumentError("-object \(type),id=\(object?.id ?? ""): the simulated AMD-SP does SEV and SEV-ES launches; \(type) is not simulated")
        }
    }
}
