import SEVKit

extension HostChecks {
    static var ovmf: HostCheck {
        HostCheck(
            id: "ovmf", name: "OVMF with SEV metadata", generation: .sev, category: .hostSoftware,
            description: "An OVMF build in the usual places carries the SEV metadata the selected generation needs",
            hint: "Install OVMF (apt install ovmf); its 2 MiB builds carry SEV metadata, the 4 MiB ones do not"
        ) { context in
            let found = OVMFCatalog.find(in: context.probe.root)
            let suitable = found.filter { $0.supports(context.generation) }
            guard let first = suitable.first else {
                if found.isEmpty { return .fail("no OVMF image in " + OVMFCatalog.directories.map { "/" + $0 }.joined(separator: ", ")) }
                return .fail("none of \(found.count) OVMF images supports \(context.generation.displayName)")
            }
            return .pass("\(first.path) (\(first.generations.map(\.displayName).joined(separator: ", ")))")
        }
    }
}

/// The OVMF images a host has in the usual places, and what each can launch.
public enum OVMFCatalog {
    /// Where distributions install OVMF, searched in this order.
    public static let directories = ["usr/share/OVMF", "usr/share/ovmf", "usr/share/edk2/ovmf", "usr/share/qemu"]

    /// Enough of an image's end to hold its footer table and SEV metadata, which the reset
    /// vector places in the last pages; a capture keeps only this much of each image.
    public static let tailSize = 256 * 1024

    public struct Image: Sendable, Equatable {
        /// Host path (`/usr/share/OVMF/OVMF_CODE.fd`).
        public var path: String
        /// The generations it carries metadata for; empty when it has none.
        public var generations: [SEVGeneration]

        public func supports(_ generation: SEVGeneration) -> Bool { generations.contains(generation) }
    }

    /// Firmware code images (`*.fd`, variable stores excluded), with what each supports.
    public static func find(in root: HostRoot) -> [Image] {
        var images = [Image]()
        for directory in directories {
            for name in root.list(directory) ?? [] where name.hasSuffix(".fd") && !name.uppercased().contains("VARS") {
                let relative = directory + "/" + name
                guard case .success(let tail) = root.readTail(relative, count: tailSize) else { continue }
                images.append(Image(path: root.displayPath(relative), generations: generations(of: tail)))
            }
        }
        return images
    }

    /// What an image's metadata allows: SEV with any SEV metadata, SEV-ES with the AP reset
    /// block as well, SEV-SNP with the secrets and CPUID pages too. Unparseable images allow nothing.
    public static func generations(of bytes: [UInt8]) -> [SEVGeneration] {
        guard let image = try? OVMFImage(bytes: bytes), let metadata = image.sevMetadata else { return [] }
        var generations: [SEVGeneration] = [.sev]
        if image.supportsSEVES { generations.append(.es) }
        let kinds = Set(metadata.sections.map(\.kind))
        if image.supportsSEVES, kinds.contains(.snpSecrets), kinds.contains(.cpuid) { generations.append(.snp) }
        return generations
    }
}
