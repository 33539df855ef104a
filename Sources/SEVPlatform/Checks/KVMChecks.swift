import SEVKit

extension HostChecks {
    static var kvmSupport: HostCheck {
        HostCheck(
            id: "kvm-support", name: "KVM Support", generation: .sev, category: .kvmConfig,
            description: "/dev/kvm opens and answers KVM_GET_API_VERSION",
            hint: "Enable SVM in the BIOS, load kvm and kvm_amd (sudo modprobe kvm_amd), and run as root or in the kvm group",
            children: [sevInKVM, esInKVM, snpInKVM]
        ) { context in
            let name = "KVM supported"
            let node = context.probe.device("/dev/kvm")
            guard node.read == "ok" else { return .fail("Error reading /dev/kvm: (\(node.read))", name: name) }
            guard let version = node.apiVersion else {
                return .fail("Error - accessing KVM device node failed", name: name)
            }
            return .pass("API version: \(version)", name: name)
        }
    }

    static var sevInKVM: HostCheck {
        HostCheck(
            id: "sev-enabled-in-kvm", name: "SEV enabled in KVM", generation: .sev, category: .kvmConfig,
            description: "/sys/module/kvm_amd/parameters/sev is 1 or Y",
            hint: "Load kvm_amd with sev=1 (options kvm_amd sev=1 in /etc/modprobe.d/, or kvm_amd.sev=1 on the kernel command line)"
        ) { context in
            context.kvmParameter("sev")
        }
    }

    static var esInKVM: HostCheck {
        HostCheck(
            id: "sev-es-enabled-in-kvm", name: "SEV-ES enabled in KVM", generation: .es, category: .kvmConfig,
            description: "/sys/module/kvm_amd/parameters/sev_es is 1 or Y",
            hint: "Load kvm_amd with sev_es=1 (options kvm_amd sev_es=1 in /etc/modprobe.d/)"
        ) { context in
            context.kvmParameter("sev_es")
        }
    }

    static var snpInKVM: HostCheck {
        HostCheck(
            id: "sev-snp-enabled-in-kvm", name: "SEV-SNP enabled in KVM", generation: .snp, category: .kvmConfig,
            description: "/sys/module/kvm_amd/parameters/sev_snp is 1 or Y",
            hint: "Load kvm_amd with sev_snp=1 on kernel 6.11 or later; it reads N when the BIOS has SNP disabled"
        ) { context in
            context.kvmParameter("sev_snp")
        }
    }

    static var memlock: HostCheck {
        HostCheck(
            id: "memlock-limit", name: "memlock limit", generation: .sev, category: .compliance,
            description: "RLIMIT_MEMLOCK (from /proc/self/limits): SEV and SEV-ES guests pin their memory",
            hint: "Raise the memlock limit for the user running QEMU (limits.conf, or LimitMEMLOCK= in its unit)"
        ) { context in
            let name = "Memlock resource limit"
            guard case .success(let limits) = context.probe.text("proc/self/limits"),
                  let line = limits.split(separator: "\n").first(where: { $0.hasPrefix("Max locked memory") })
            else {
                return .fail("Unable to retrieve memlock resource limits", name: name)
            }
            let fields = line.dropFirst("Max locked memory".count).split(whereSeparator: \.isWhitespace)
            guard fields.count >= 2 else { return .fail("Unable to retrieve memlock resource limits", name: name) }
            return .pass("Soft: \(fields[0]) | Hard: \(fields[1])", name: name)
        }
    }
}
