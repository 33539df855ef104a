import ArgumentParser
import Foundation
import Orchestration

/// `sevhost hosts URI…`: each libvirt host's SEV, SEV-ES and SEV-SNP support, C-bit,
/// reduced-phys-bits, firmware and guests, so an operator sees a fleet at a glance.
struct HostsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hosts",
        abstract: "What each libvirt host offers confidential guests: a table, or JSON.",
        discussion: """
            Each URI is opened with libvirt (qemu:///system, qemu+ssh://HOST/system, \
            qemu+tcp://HOST/system, ...) and asked for its domain capabilities, its SEV facts \
            (virNodeGetSEVInfo) and its domains. SEV-ES counts as supported when libvirt reports \
            ASIDs for ES guests. The firmware version is the one a running SEV guest of the host \
            reports, "-" when none runs. A host that cannot be reached gets a line saying why, \
            and the exit status is 1.
            """ + "\n\n" + CommandExamples.text("sevhost hosts qemu:///system", "sevhost hosts qemu:///system --json"))
    @OptionGroup var messages: OutputOptions

    @Argument(help: "libvirt URIs.")
    var uris: [String]

    @Flag(help: "Print a JSON array, one object per host, instead of the table.")
    var json = false

    func validate() throws {
        if uris.isEmpty { throw ValidationError("at least one libvirt URI is needed") }
    }

    func run() async throws {
        var reports: [LibvirtHostReport] = []
        var failures: [(uri: String, message: String)] = []
        for uri in uris {
            do {
                reports.append(try await LibvirtHostReport.survey(uri: uri))
            } catch {
                failures.append((uri, error.description))
            }
        }
        if json {
            var entries = reports.map { HostEntry.reachable($0) }
            entries += failures.map { HostEntry.unreachable(uri: $0.uri, error: $0.message) }
            print(JSONOutput.render(JSONOutput.schema("hosts"), HostList(hosts: entries)), terminator: "")
        } else {
            print(Self.table(reports), terminator: "")
        }
        if !failures.isEmpty {
            for failure in failures where !json {
                FileHandle.standardError.write(Data("sevhost: hosts: \(HostsCommand.printable(failure.uri)): \(HostsCommand.printable(failure.message))\n".utf8))
            }
            throw ExitCode(1)
        }
    }

    /// What a host or a URI says, made safe for a terminal: control characters shown as `\u{…}`.
    static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// One row per host; columns as wide as their widest cell.
    static func table(_ reports: [LibvirtHostReport]) -> String {
        let header = ["HOST", "URI", "SEV", "SEV-ES", "SEV-SNP", "CBITPOS", "REDUCED-PHYS-BITS", "FIRMWARE", "RUNNING", "PAUSED", "DOMAINS"]
        func yesNo(_ flag: Bool) -> String { flag ? "yes" : "no" }
        let rows: [[String]] = reports.map { report in
            var row: [String] = [report.hostname, report.uri, yesNo(report.sev), yesNo(report.sevES), yesNo(report.sevSNP)]
            row.append(report.cbitpos.map { String($0) } ?? "-")
            row.append(report.reducedPhysBits.map { String($0) } ?? "-")
            row.append(report.firmware.map { "\($0.apiMajor).\($0.apiMinor) build \($0.buildID)" } ?? "-")
            row += [String(report.guests.running), String(report.guests.paused), String(report.guests.total)]
            return row.map(HostsCommand.printable)
        }
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.indices.map { column in
                column == row.count - 1 ? row[column] : row[column].padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}

/// `hosts --json`: every host asked, in the order given.
struct HostList: Encodable {
    var hosts: [HostEntry]
}

/// A host in `hosts --json`: the report, or the URI and why it could not be asked.
enum HostEntry: Encodable {
    case reachable(LibvirtHostReport)
    case unreachable(uri: String, error: String)

    private enum Keys: String, CodingKey { case uri, error }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .reachable(let report): try report.encode(to: encoder)
        case .unreachable(let uri, let error):
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(uri, forKey: .uri)
            try container.encode(error, forKey: .error)
        }
    }
}
