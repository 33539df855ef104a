import SEVKit

/// The checks of `sevhost ok`, in the order they run and print.
///
/// The first part follows `snphost ok` check for check (its order, names and messages, which
/// operators already know and diff against); sevctl's checks are a subset of it. What neither
/// tool checks comes after: whether this is a bare-metal host, the kernel, the IOMMU, QEMU and
/// OVMF, which is where most real launch failures come from.
public enum HostChecks {
    public static var all: [HostCheck] {
        [amdCPU, kvmSupport, memlock, compareTCB, bareMetal, kernel, iommu, qemu, ovmf] + limits
    }
}

/// MSRs the checks read (AMD64 APM vol. 2, and the SNP firmware ABI for the RMP bounds).
enum MSR {
    /// SYSCFG: bit 23 MemEncryptionModEn (SME enabled), bit 24 SecureNestedPagingEn.
    static let syscfg: UInt32 = 0xC001_0010
    static let rmpBase: UInt32 = 0xC001_0132
    static let rmpEnd: UInt32 = 0xC001_0133
}

extension CheckContext {
    /// CPUID 0x8000001F, the AMD memory-encryption leaf.
    var memoryEncryption: CPUIDRegisters { probe.cpuid(CPUIDLeaf.memoryEncryption) }

    /// A kvm_amd module parameter check: passes on `1` or `Y`, as the kernel prints booleans.
    func kvmParameter(_ parameter: String) -> CheckOutcome {
        let relative = "sys/module/kvm_amd/parameters/\(parameter)"
        let display = probe.root.displayPath(relative)
        switch probe.text(relative) {
        case .success(let text):
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return value == "1" || value == "Y" ? .pass() : .fail("Error - contents read from \(display): \(value)")
        case .failure(let failure) where failure.isMissing:
            return .fail("Error - \(display) does not exist")
        case .failure(let failure):
            return .fail("Error - (unable to read \(display)): \(failure)")
        }
    }

    /// Inside a virtual machine the CPU's SEV leaf is hidden or virtual: the fix is to look at
    /// the host, whatever else failed.
    var guestHint: String? {
        probe.runsUnderHypervisor ? HostChecks.bareMetal.hint : nil
    }

    /// The kernel command line's parameters (up to `--`, after which they belong to init).
    var kernelParameters: [String] {
        guard case .success(let line) = probe.text("proc/cmdline") else { return [] }
        var parameters = [String]()
        for word in line.split(whereSeparator: \.isWhitespace) {
            if word == "--" { break }
            parameters.append(String(word))
        }
        return parameters
    }
}
