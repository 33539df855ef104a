import QMP

/// What a QEMU sends on its monitor: lines as the client frames them, each classified
/// (greeting, reply, event) and every reply decoded as each SEV command's.
enum QMPTargets {
    static func reply(_ input: UnsafeRawBufferPointer) {
        for line in input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            guard line.count <= QMPClient.defaultMaximumLineLength, let message = try? QMPMessage(line: line) else { continue }
            guard case .reply(_, .success(let value)) = message else { continue }
            _ = try? QuerySEV.decodeReply(value)
            _ = try? QueryStatus.decodeReply(value)
            _ = try? QuerySEVCapabilities.decodeReply(value)
            _ = try? QuerySEVLaunchMeasure.decodeReply(value)
            _ = try? QuerySEVAttestationReport.decodeReply(value)
            _ = value.jsonText()
        }
    }
}
