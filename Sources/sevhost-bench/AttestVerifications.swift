import ArgumentParser
import Foundation
import Orchestration

/// `sevhost-bench attest-verify`: the fail-closed part of `sevhost attest` (connect, state,
/// policy, measurement, replay check, HMAC; `PreAttestation.verify`), repeated on one paused
/// guest through a transport, so libvirt and the QMP socket can be timed on the same guest.
/// Nothing is injected, nothing recorded, so the guest stays measured and the run repeats.
struct AttestVerifications: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attest-verify",
        abstract: "Time connect + PreAttestation.verify + close on one guest, over QMP or libvirt.")

    @Option(help: "The guest's QMP socket.")
    var qmp: String?

    @Option(help: "A libvirt URI, with --domain.")
    var connect: String?

    @Option(help: "The libvirt domain.")
    var domain: String?

    @Option(help: "The TIK file (16 bytes).")
    var tik: String

    @Option(help: "The VM spec the guest was launched from.")
    var expect: String

    @Option(help: "The (empty) replay log to check against.")
    var nonceLog: String

    @Option(help: "How many verifications.")
    var count = 50

    @Flag(help: "Also time, COUNT times each, connect + close alone and the verification on one open connection (one more line each).")
    var breakdown = false

    func run() async throws {
        let tikBytes = try [UInt8](readFile(tik))
        let expected = try await ExpectedLaunch.fromSpec(path: expect)
        let log = MNONCELog(path: nonceLog)
        let seconds = try await measure {
            for _ in 0..<count {
                let channel = try await open()
                do {
                    _ = try await PreAttestation.verify(channel, expected: expected, tik: tikBytes, nonceLog: log)
                } catch {
                    await channel.close()
                    throw error
                }
                await channel.close()
            }
        }
        print(Self.line("\(count) verifications", seconds: seconds, count: count))
        guard breakdown else { return }
        let connecting = try await measure {
            for _ in 0..<count { try await open().close() }
        }
        print(Self.line("connect + close", seconds: connecting, count: count))
        let channel = try await open()
        do {
            let verifying = try await measure {
                for _ in 0..<count { _ = try await PreAttestation.verify(channel, expected: expected, tik: tikBytes, nonceLog: log) }
            }
            print(Self.line("verification on an open connection", seconds: verifying, count: count))
        } catch {
            await channel.close()
            throw error
        }
        await channel.close()
    }

    /// A new channel to the guest, as `sevhost attest` opens one.
    private func open() async throws -> any GuestChannel {
        if let connect, let domain {
            return try await LibvirtGuestChannel.connect(uri: connect, domain: domain)
        } else if let qmp {
            return try await QMPGuestChannel.connect(path: qmp, timeout: .seconds(10))
        }
        throw ValidationError("--qmp SOCKET or --connect URI --domain NAME")
    }

    private static func line(_ what: String, seconds: Double, count: Int) -> String {
        "\(what) in \(String(format: "%.3f", seconds)) s: \(String(format: "%.1f", Double(count) / seconds))/s, \(String(format: "%.2f", seconds * 1000 / Double(count))) ms each"
    }

    private func readFile(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path), data.count == 16 else {
            throw ValidationError("--tik \(path): expected a readable 16-byte file")
        }
        return [UInt8](data)
    }
}
