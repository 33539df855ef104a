import Foundation
import SEVPlatform

/// A captured host's JSON files, as `ok --host-root` and sevhostd's `--host-root` read them.
/// The first byte picks the file.
enum HostTargets {
    static func capturedJSON(_ input: UnsafeRawBufferPointer) {
        guard let first = input.first else { return }
        let data = Data(input.dropFirst())
        let decoder = JSONDecoder()
        switch first % 5 {
        case 0: _ = try? decoder.decode(CapturedCPUID.self, from: data)
        case 1:
            if let msrs = try? decoder.decode(CapturedMSRs.self, from: data) {
                _ = try? HostProbe.registers(msrs, file: "msr.json")
            }
        case 2: _ = try? decoder.decode(CapturedDevices.self, from: data)
        case 3: _ = try? decoder.decode(CapturedFirmware.self, from: data)
        default: _ = try? decoder.decode(CapturedTools.self, from: data)
        }
    }
}
