import ArgumentParser
import SEVKit

/// `sevhost policy explain|build`: guest policies between hex and names.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Explain a guest policy, or build one from flag names.",
        discussion: CommandExamples.text("sevhost policy explain 0x30000 --type snp"),
        subcommands: [Explain.self, Build.self]
    )

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case sev, snp
    }

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "explain",
            abstract: "Print every field of a policy given in hex or as names.",
            discussion: CommandExamples.text("sevhost policy explain 0x30000 --type snp", "sevhost policy explain nodbg,es --type sev"))
        @OptionGroup var messages: OutputOptions

        @Option(name: .long, help: "Which policy: sev (SEV and SEV-ES, 32-bit) or snp (64-bit).")
        var type: Kind

        @Argument(help: "The policy: 0x… hex, decimal, or comma-separated flag names.")
        var policy: String

        @Flag(help: "Print every field as JSON (schema sevhost-policy-explain/1).")
        var json = false

        func run() throws {
            let lines: [String]
            let fields: [(String, OrderedJSON)]
            let names: String
            switch type {
            case .sev:
                let value = try readPolicy { () throws(PolicyParseError) in try SEVGuestPolicy(parsing: policy) }
                (lines, fields, names) = (value.explanation, value.fields, value.names)
            case .snp:
                let value = try readPolicy { () throws(PolicyParseError) in try SNPGuestPolicy(parsing: policy) }
                (lines, fields, names) = (value.explanation, value.fields, value.names)
            }
            if json {
                print(JSONOutput.render(JSONOutput.schema("policy-explain"), [
                    ("type", .string(type.rawValue)), ("names", .string(names)), ("fields", .object(fields)),
                ]), terminator: "")
            } else {
                print(lines.joined(separator: "\n"))
            }
        }
    }

    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "build",
            abstract: "Print the hex value of a policy given as flag names.",
            discussion: """
                SEV flags: nodbg, noks, es, nosend, domain, sev, api=MAJOR.MINOR.
                SNP flags: smt, migrate-ma, debug, single-socket, cxl-allow, mem-aes-256-xts, rapl-dis, \
                ciphertext-hiding, page-swap-disable, abi=MAJOR.MINOR (bit 17 is always set).
                """ + "\n\n" + CommandExamples.text("sevhost policy build nodbg,nosend,es --type sev"))
        @OptionGroup var messages: OutputOptions

        @Option(name: .long, help: "Which policy: sev or snp.")
        var type: Kind

        @Argument(help: "Comma-separated flag names, e.g. smt,single-socket.")
        var flags: String

        func run() throws {
            switch type {
            case .sev: print(try readPolicy { () throws(PolicyParseError) in try SEVGuestPolicy(parsing: flags) }.hex)
            case .snp: print(try readPolicy { () throws(PolicyParseError) in try SNPGuestPolicy(parsing: flags) }.hex)
            }
        }
    }
}

/// Runs a policy parse, turning its error into one stderr line and exit status 1.
private func readPolicy<T>(_ body: () throws(PolicyParseError) -> T) throws -> T {
    do {
        return try body()
    } catch {
        throw CommandFailure(error.description)
    }
}
