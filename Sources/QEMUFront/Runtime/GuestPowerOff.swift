import QMP

/// A guest powering itself off, done to the real QEMU's chipset: what the guest's OS writes to
/// its ACPI power-management registers to enter S5, written through the front's monitor
/// (HMP's `o`), so that QEMU emits its own `SHUTDOWN` (`guest: true`, `reason:
/// guest-shutdown`) and exits as for any guest that powers off.
///
/// The PM I/O base is programmed first, as the firmware does, so the write lands whether or not
/// OVMF has got that far: ICH9's PMBASE (00:1f.0, 0x600) on q35, PIIX4's PMBA (00:01.3,
/// 0xb000) on i440fx. PM1a_CNT is at the base + 4; SLP_EN (bit 13) with SLP_TYP 0 is QEMU's
/// soft power-off.
enum GuestPowerOff {
    static func commands(machineType: String) -> [String]? {
        if machineType.contains("q35") {
            return ["o /w 0xcf8 0x8000f840", "o /w 0xcfc 0x601", "o /w 0xcf8 0x8000f844", "o /b 0xcfc 0x80", "o /h 0x604 0x2000"]
        }
        if machineType.hasPrefix("pc-i440fx") || machineType.hasPrefix("pc-") {
            return ["o /w 0xcf8 0x80000b40", "o /w 0xcfc 0xb001", "o /w 0xcf8 0x80000b80", "o /b 0xcfc 0x1", "o /h 0xb004 0x2000"]
        }
        return nil
    }

    static func run(client: QMPClient, machineType: String) async throws(QMPError) -> Bool {
        guard let commands = commands(machineType: machineType) else { return false }
        for line in commands {
            _ = try await client.execute("human-monitor-command", arguments: ["command-line": .string(line)])
        }
        return true
    }
}
