import Foundation
import SEVKit

/// The JSON files of a captured host (DESIGN.md, "Captured hosts").
///
/// Each value is recorded either as what the live host answered or as the error it gave at
/// capture time, so that probing a capture reproduces the live result message for message.
/// Numbers that are bit fields are written as hex strings (`"0x8000001f"`), as in the specs.
public enum CapturedFile {
    public static let cpuid = "cpuid.json"
    public static let msr = "msr.json"
    public static let devices = "dev.json"
    public static let firmware = "firmware.json"
    public static let tools = "tools.json"
    /// The kernel's log as `dmesg` prints it (optional: the firmware-file check reads it).
    public static let kernelLog = "kernel-log.txt"
}

/// `cpuid.json`: the leaves the probe reads.
public struct CapturedCPUID: Codable, Sendable, Equatable {
    public struct Leaf: Codable, Sendable, Equatable {
        public var leaf: HexNumber<UInt32>
        public var subleaf: HexNumber<UInt32>
        public var eax: HexNumber<UInt32>
        public var ebx: HexNumber<UInt32>
        public var ecx: HexNumber<UInt32>
        public var edx: HexNumber<UInt32>
    }
    public var leaves: [Leaf]
}

/// `msr.json`: model-specific registers of CPU 0, or why they could not be read.
public struct CapturedMSRs: Codable, Sendable, Equatable {
    /// Register number (hex) to value (hex).
    public var registers: [String: HexNumber<UInt64>]?
    /// Set when `/dev/cpu/0/msr` could not be read at capture time.
    public var unavailable: String?
}

/// `dev.json`: device nodes, whether the capturing user could open them, and KVM's API version.
public struct CapturedDevices: Codable, Sendable, Equatable {
    public struct Node: Codable, Sendable, Equatable {
        /// `ok`, or the OS error opening the node for reading.
        public var read: String
        /// `ok`, or the OS error opening the node for writing.
        public var write: String
        /// `crw-rw----` style mode, owner and group, for the report a user attaches.
        public var mode: String?
        public var owner: String?
        public var group: String?
        /// For `/dev/kvm`: the answer of KVM_GET_API_VERSION.
        public var apiVersion: Int?
        /// For `/dev/kvm`: KVM_GET_DEVICE_ATTR answers of group KVM_X86_GRP_SEV, by name
        /// (`vmsa-features`, `snp-req-certs`).
        public var sevAttributes: [String: Attribute]?

        enum CodingKeys: String, CodingKey {
            case read, write, mode, owner, group
            case apiVersion = "api-version"
            case sevAttributes = "sev-attributes"
        }
    }

    /// One device attribute: its value, or the OS error asking for it.
    public struct Attribute: Codable, Sendable, Equatable {
        public var value: HexNumber<UInt64>?
        public var error: String?

        public init(value: UInt64? = nil, error: String? = nil) {
            self.value = value.map(HexNumber.init)
            self.error = error
        }
    }
    public var nodes: [String: Node]
}

/// `tools.json`: what the host has installed that cannot be read as a file.
public struct CapturedTools: Codable, Sendable, Equatable {
    public struct QEMU: Codable, Sendable, Equatable {
        public var path: String?
        public var version: String?
        public var error: String?
    }
    public var qemu: QEMU
}

extension HostRoot {
    /// Decodes one of a capture's JSON files; nil when the file is absent. Malformed content is
    /// an error naming the file and the JSON path of the bad field.
    func decodeCaptured<T: Decodable>(_ type: T.Type, _ file: String) throws(HostProbeError) -> T? {
        guard exists(file) else { return nil }
        let bytes: [UInt8]
        switch readBytes(file) {
        case .success(let b): bytes = b
        case .failure(let failure): throw HostProbeError(file: path(file), reason: failure.description)
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw HostProbeError(file: path(file), reason: Self.describe(error))
        } catch {
            throw HostProbeError(file: path(file), reason: "\(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func location(_ path: [any CodingKey]) -> String {
            if path.isEmpty { return "top level" }
            return path.map { key in
                key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)"
            }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.isEmpty ? "" : " in \(location(context.codingPath))"
            return "missing field \"\(key.stringValue)\"\(parent)"
        case .typeMismatch(let type, let context):
            return "\(location(context.codingPath)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "\(location(context.codingPath)): expected \(type), found null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return "not valid JSON"
            }
            return "\(location(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
