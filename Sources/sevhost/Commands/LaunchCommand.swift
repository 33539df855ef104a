import ArgumentParser
import Foundation
import Orchestration
#if canImport(Glibc)
import Glibc
#endif

/// `sevhost launch SPEC`: checks a VM spec and prints its QEMU command line, libvirt domain or
/// resolved JSON, or replaces itself with QEMU.
struct LaunchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "launch",
        abstract: "Launch a confidential VM from a spec, or print its QEMU argv / libvirt XML / JSON.",
        discussion: """
            The spec format is documented in sevhost-spec(5). The C-bit position and \
            reduced-phys-bits come from --cbitpos/--reduced-phys-bits, else from the host's \
            CPUID (or the captured host given with --host-root). The firmware named by the spec \
            is inspected for SEV metadata, SEV-ES support and kernel hash tables. For SEV-SNP, \
            a spec naming an id-key gets an ID block signed for the launch digest of its own \
            firmware, kernel hashes and vCPUs; --print json shows that digest as launch-digest.

            With --connect URI the VM runs as a libvirt domain on that host, local or remote \
            (qemu:///system, qemu+ssh://HOST/system, qemu+tcp://HOST/system): the C-bit values \
            and SEV, SEV-ES and SEV-SNP support come from that host's libvirt, the domain is \
            defined (or created, with --transient) and started, paused when the spec asks for \
            pre-attestation; then `sevhost attest --connect URI --domain NAME`. Files the spec \
            names that cannot be read here are not checked, and a warning says which; the \
            session files go into the domain, so they must be readable here. With --connect, \
            --print libvirt prints the domain for that host instead.
            """ + "\n\n" + CommandExamples.text("sevhost launch templates/sev.yaml --print libvirt", "sevhost launch templates/snp.yaml --print qemu --cbitpos 51 --reduced-phys-bits 1"))
    @OptionGroup var messages: OutputOptions

    enum Output: String, ExpressibleByArgument, CaseIterable {
        case qemu, libvirt, json
    }

    @Argument(help: "The VM spec (YAML or JSON).")
    var spec: String

    @Option(name: .long, help: "Print instead of launching: qemu, libvirt or json.")
    var print: Output?

    @Option(name: .customLong("cbitpos"), help: "C-bit position (CPUID 0x8000001F EBX[5:0]).")
    var cbitPosition: Int?

    @Option(name: .customLong("reduced-phys-bits"), help: "Reduced physical address bits (CPUID 0x8000001F EBX[11:6]).")
    var reducedPhysBits: Int?

    @OptionGroup var host: HostRootOption

    @Option(name: .long, help: "The QEMU binary to run; a bare name is looked up in PATH.")
    var qemu: String = "qemu-system-x86_64"

    @Option(name: .long, help: "Directory holding libvirt/domain.xml (default: the templates/ shipped with sevhost).")
    var templates: String?

    @Option(help: "A libvirt URI: run the VM as a domain on that host.")
    var connect: String?

    @Flag(help: "With --connect: a transient domain (virDomainCreateXML) instead of a defined one.")
    var transient = false

    func validate() throws {
        if (cbitPosition == nil) != (reducedPhysBits == nil) {
            throw ValidationError("--cbitpos and --reduced-phys-bits go together")
        }
        if let cbitPosition, !(1...63).contains(cbitPosition) {
            throw ValidationError("--cbitpos \(cbitPosition) is not a bit position in 1...63")
        }
        if let reducedPhysBits, !(0...63).contains(reducedPhysBits) {
            throw ValidationError("--reduced-phys-bits \(reducedPhysBits) is not in 0...63")
        }
        if connect != nil {
            if cbitPosition != nil || host.hostRoot != nil {
                throw ValidationError("--connect takes the host's facts from its libvirt; --cbitpos, --reduced-phys-bits and --host-root are for other launches")
            }
            if let print, print != .libvirt { throw ValidationError("--connect prints only --print libvirt") }
        } else if transient {
            throw ValidationError("--transient goes with --connect")
        }
    }

    func run() async throws {
        if let connect {
            return try await launchThroughLibvirt(uri: connect)
        }
        let document = try SpecDocument.load(path: spec)
        var host: HostFacts
        do {
            host = try HostFacts.probe(cbitPosition: cbitPosition, reducedPhysBits: reducedPhysBits, hostRoot: self.host.hostRoot)
        } catch {
            throw CommandFailure.capturedHost(error)
        }
        // The QEMU named by --qemu decides whether the argv can state the SEV VM type
        // (legacy-vm-type, QEMU 9.1 and later).
        let release = print == nil || print == .qemu ? HostFacts.qemuRelease(of: qemu) : nil
        host.qemu = try? release?.get()
        let inspection: LaunchResolver.FirmwareInspection = print == nil ? .required : .whenReadable { CommandFailure.warn($0) }
        let resolver = LaunchResolver(host: host)
        let resolved = try await TerminalProgress.around("resolving \(spec)") {
            try resolver.resolve(document, firmware: inspection, showLaunchDigest: print == .json)
        }
        if case .failure(let error) = release, resolved.vmType != nil {
            // Printing for another host, say: the property is written anyway, so an older QEMU
            // refuses the argv rather than creating a VM of a type nobody predicted.
            CommandFailure.warn("\(error); stating legacy-vm-type, which needs QEMU 9.1 or later")
        }

        switch print {
        case .json:
            sevhost.print(resolved.resolvedJSON, terminator: "")
        case .libvirt:
            sevhost.print(try resolved.libvirtDomain(templatesDirectory: templatesDirectory()), terminator: "")
        case .qemu:
            sevhost.print(ShellQuoting.commandLine([qemu] + (try resolved.qemuArguments())))
        case nil:
            let arguments = try resolved.qemuArguments()
            if resolved.startsPaused, let qmp = resolved.qmpSocket {
                CommandFailure.warn("starting paused for pre-attestation; QMP socket: \(qmp)")
            }
            try exec(qemu, arguments)
        }
    }

    /// `--connect URI`: the spec resolved against that host's libvirt, then defined and started there.
    private func launchThroughLibvirt(uri: String) async throws {
        let document = try SpecDocument.load(path: spec)
        let libvirt: LibvirtLaunch
        do {
            libvirt = try await LibvirtLaunch.connect(uri: uri)
        } catch {
            throw CommandFailure("launch: \(uri): \(error)")
        }
        do {
            try await launch(on: libvirt, uri: uri, document: document)
        } catch {
            await libvirt.close()
            throw error
        }
        await libvirt.close()
    }

    private func launch(on libvirt: LibvirtLaunch, uri: String, document: SpecDocument) async throws {
        // The files the spec names live on that host; what cannot be read here is said, not checked.
        let resolver = LaunchResolver(host: libvirt.hostFacts)
        let resolved = try await TerminalProgress.around("resolving \(spec)") {
            try resolver.resolve(document, firmware: .whenReadable { CommandFailure.warn($0) })
        }
        try libvirt.checkSupport(resolved) { CommandFailure.warn($0) }
        let xml = try resolved.libvirtDomain(templatesDirectory: templatesDirectory())
        if print == .libvirt {
            Swift.print(xml, terminator: "")
            return
        }
        let name: String
        do {
            name = try await libvirt.start(resolved, xml: xml, transient: transient)
        } catch {
            throw CommandFailure("launch: \(uri): \(error)")
        }
        let facts = "cbitpos \(libvirt.host.cbitpos.map(String.init) ?? "-"), reduced-phys-bits \(libvirt.host.reducedPhysBits.map(String.init) ?? "-")"
        // The host's name and the domain's come from the remote libvirt: shown terminal-safe.
        let shown = HostsCommand.printable(name)
        Swift.print("\(transient ? "created" : "defined") \(shown) on \(HostsCommand.printable(libvirt.host.hostname)) (\(facts))")
        if resolved.startsPaused {
            Swift.print("started \(shown) paused for pre-attestation: sevhost attest --connect \(uri) --domain \(shown)")
        } else {
            Swift.print("started \(shown)")
        }
    }

    /// `--templates`, else where `LaunchTemplates` finds them.
    private func templatesDirectory() -> URL {
        LaunchTemplates.directory(override: templates)
    }

    /// Replaces this process with QEMU, so signals and the exit status are QEMU's own.
    private func exec(_ program: String, _ arguments: [String]) throws -> Never {
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        execvp(program, argv)
        let reason = String(cString: strerror(errno))
        throw CommandFailure("cannot run \(program): \(reason)")
    }
}

/// POSIX-shell quoting for printing a command a user can paste.
enum ShellQuoting {
    static func quote(_ word: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,:@+%")
        if !word.isEmpty, word.allSatisfy(safe.contains) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// One option per line, continued with backslashes.
    static func commandLine(_ words: [String]) -> String {
        var out = ""
        for (index, word) in words.enumerated() {
            if index > 0 { out += word.hasPrefix("-") ? " \\\n    " : " " }
            out += quote(word)
        }
        return out
    }
}
