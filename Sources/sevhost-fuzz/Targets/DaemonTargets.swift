import Foundation
import Orchestration
import SEVKit

/// What reaches sevhostd from a client, and what the two-party flow exchanges.
enum DaemonTargets {
    static func request(_ input: UnsafeRawBufferPointer) {
        let data = Data(input)
        if let create = try? JSONDecoder().decode(CreateVMRequest.self, from: data) {
            _ = try? SpecDocument.parse(text: create.spec, file: create.file ?? "<spec>")
        }
        if let inject = try? JSONDecoder().decode(InjectRequest.self, from: data) {
            _ = try? inject.packet()
        }
    }

    static func bundle(_ input: UnsafeRawBufferPointer) {
        let bytes = input.bytes
        if let bundle = try? AttestationBundle(json: bytes, name: "fuzz") {
            _ = bundle.measurementBytes
            _ = bundle.json
        }
        _ = try? AttestationAnswer(text: bytes, name: "fuzz")
        _ = try? LaunchMeasurement(blob: bytes)
    }
}
