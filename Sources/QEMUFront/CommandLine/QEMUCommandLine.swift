/// A QEMU command line as QEMU reads it: options in order, each with its value when it takes
/// one, so that the front can find the parts it acts on and hand everything else to the real
/// QEMU unchanged.
///
/// Whether an option takes a value decides where the next option starts, so it follows QEMU's
/// own table (`qemu-options.hx`): the options listed in `withoutValue` take none (checked
/// against `qemu-system-x86_64` 10.0, which answers "requires an argument" for every other
/// option); all others take exactly one. QEMU accepts `--option` for `-option`; a word that
/// does not start with `-` is a disk image (QEMU's `-hda`).
public struct QEMUCommandLine: Sendable, Hashable {
    public struct Option: Sendable, Hashable {
        /// The option without its dashes (`object`), nil for a positional disk image.
        public var name: String?
        /// The option as written (`-object`, `--object`).
        public var spelling: String
        public var value: String?

        public init(name: String?, spelling: String, value: String?) {
            self.name = name
            self.spelling = spelling
            self.value = value
        }

        /// How QEMU names the option in its messages (`-accel kvm: ...`): as written, with its value.
        public var location: String { value.map { "\(spelling) \($0)" } ?? spelling }
    }

    public var options: [Option]

    /// QEMU 10.0's options that take no value.
    static let withoutValue: Set<String> = [
        "S", "h", "help", "version", "preconfig", "daemonize", "enable-kvm", "enable-sync-profile",
        "full-screen", "jitdump", "mem-prealloc", "no-fd-bootchk", "no-reboot", "no-shutdown",
        "no-user-config", "nodefaults", "nographic", "only-migratable", "perfmap", "s", "snapshot",
        "usb", "win2k-hack", "xen-attach", "xen-domid-restrict", "semihosting", "old-param",
    ]

    public init(options: [Option]) {
        self.options = options
    }

    /// Splits `arguments` (without argv[0]); an option that needs a value and is last fails, as in QEMU.
    public init(arguments: [String], optionsWithValue extra: Set<String> = []) throws(FrontArgumentError) {
        var options: [Option] = []
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            guard word.hasPrefix("-"), word.count > 1 else {
                options.append(Option(name: nil, spelling: word, value: nil))
                continue
            }
            let name = String(word.dropFirst(word.hasPrefix("--") ? 2 : 1))
            if Self.withoutValue.contains(name), !extra.contains(name) {
                options.append(Option(name: name, spelling: word, value: nil))
                continue
            }
            guard index < arguments.count else { throw FrontArgumentError("\(word): requires an argument") }
            options.append(Option(name: name, spelling: word, value: arguments[index]))
            index += 1
        }
        self.options = options
    }

    /// The argument vector again (without argv[0]).
    public var arguments: [String] {
        options.flatMap { option -> [String] in
            guard option.name != nil, let value = option.value else { return [option.spelling] }
            return [option.spelling, value]
        }
    }

    /// The options called `name` (either spelling), in order.
    public func all(_ names: String...) -> [Option] {
        options.filter { $0.name.map(names.contains) ?? false }
    }

    public func contains(_ name: String) -> Bool {
        options.contains { $0.name == name }
    }
}

/// A command line the front cannot run: one line, naming the option, as QEMU's own messages do.
public struct FrontArgumentError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
