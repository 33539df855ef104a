import SEVKit

/// The x87/SSE part of each SEV-ES VMSA, decided as QEMU 10 and KVM decide it for a `sev-guest`.
///
/// QEMU 10 gives `sev-guest` an OnOffAuto property `legacy-vm-type` (default `auto`). `on`, and
/// `auto` unless an option needs the new interface, create the VM with the legacy
/// `KVM_SEV_ES_INIT`; QEMU 10.0 has no such option (`sev_init2_required` is always false), so
/// `auto` is legacy. Linux then leaves the VMSA's x87 control word and MXCSR at zero.
/// `off` asks for `KVM_SEV_INIT2`, after which KVM writes their reset values (FCW 0x37F, MXCSR
/// 0x1F80) into every VMSA. The value comes from QEMU itself (`qom-get`), so it is what QEMU
/// parsed from the argv.
///
/// One function on purpose: the rule mapping the VM type to the VMSA contents belongs in
/// SEVKit (issue 13); once it is there this calls it.
enum SEVESVMSAChoice {
    static func fpu(legacyVMType: String) -> InitialVMSA.FPUState {
        legacyVMType == "off" ? .reset : .zero
    }
}
