import SEVKit

/// Runs the check tree against one host for one generation.
public enum CheckRunner {
    /// The generation to check when the user names none: the newest the CPU's product line
    /// supports, else the newest CPUID 0x8000001F says it implements, or SEV-SNP (every check)
    /// when it implements none, so nothing is hidden.
    public static func defaultGeneration(for probe: HostProbe) -> SEVGeneration {
        probe.identification.generation ?? .snp
    }

    public static func run(
        _ checks: [HostCheck] = HostChecks.all, probe: HostProbe, generation requested: SEVGeneration?
    ) -> HostReport {
        let generation = requested ?? defaultGeneration(for: probe)
        let context = CheckContext(probe: probe, generation: generation)
        return HostReport(
            generation: generation,
            generationSource: requested == nil ? "cpu" : "argument",
            product: probe.product,
            signature: probe.signature,
            vendor: probe.vendor,
            brand: probe.brand,
            hostRoot: probe.root.directory,
            captured: probe.root.isCaptured,
            results: checks.map { run($0, context) })
    }

    private static func run(_ check: HostCheck, _ context: CheckContext) -> CheckResult {
        guard check.generation <= context.generation else { return skipped(check) }
        let outcome = check.run(context)
        return CheckResult(
            id: check.id,
            name: outcome.name ?? check.name,
            status: outcome.passed ? .pass : .fail,
            message: outcome.message,
            category: check.category,
            description: check.description,
            hint: outcome.passed ? nil : (outcome.hint ?? check.hint),
            children: outcome.passed ? check.children.map { run($0, context) } : check.children.map(skipped))
    }

    private static func skipped(_ check: HostCheck) -> CheckResult {
        CheckResult(
            id: check.id, name: check.name, status: .skip, message: nil, category: check.category,
            description: check.description, hint: nil, children: check.children.map(skipped))
    }
}
