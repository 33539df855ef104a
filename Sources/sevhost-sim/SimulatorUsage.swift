/// What `sevhost-sim --help` and `--version` print.
enum SimulatorUsage {
    /// The QEMU release whose command line and QMP the simulator plays (its QMP greeting says
    /// the same): `legacy-vm-type` exists and is read as QEMU 9.1 to 10.1 read it.
    static let qemuVersion = "9.1.0"

    /// QEMU's `--version` banner, which `sevhost launch` and sevhostd read.
    static let versionBanner = "QEMU emulator version \(qemuVersion) (sevhost-sim)"

    static let text = """
        Usage: sevhost-sim [QEMU OPTIONS] [--sim-state DIR] [--secret-out FILE] [--dump-vmsa DIR] [TEST KNOBS]
               sevhost-sim [--sim-state DIR] --print-pdh FILE | --print-chain FILE
               sevhost-sim --show-secrets FILE
               sevhost-sim --help | --version

        Plays qemu-system-x86_64 for an SEV or SEV-ES guest: it reads QEMU's command line, runs
        the launch on a simulated AMD Secure Processor (real cryptography) and serves QMP on the
        -qmp unix: socket. The guest is measured as QEMU with KVM would create it: the sev-guest
        object's legacy-vm-type (on, off or auto; unset is auto) decides the VM type and so the
        SEV-ES VMSAs (see sevhost-spec(5), "VM TYPE").

        QEMU options it acts on: -object sev-guest,..., -machine confidential-guest-support=ID,
        -drive if=pflash,unit=0,file=OVMF or -bios OVMF, -kernel/-initrd/-append, -smp, -cpu,
        -qmp unix:PATH,server=on,wait=off, -S, -pidfile; other options are accepted and ignored.

        Options of its own:
          --sim-state DIR        the platform's persistent keys (default $SEVHOST_SIM_STATE, else
                                 $XDG_STATE_HOME/sevhost-sim or ~/.local/state/sevhost-sim)
          --secret-out FILE      where the decrypted secret area is written (0600; default
                                 $SEVHOST_SIM_SECRET_OUT)
          --replay-measurement FILE
                                 answer query-sev-launch-measure with this base64 blob (tests)
          --query-sev-build-id N report this firmware build in query-sev instead (tests)
          --dump-vmsa DIR        write the VMSA pages the launch measured as DIR/vmsa<N>.bin
          --print-pdh FILE       write the platform's PDH certificate and exit
          --print-chain FILE     write PDH, PEK, OCA, CEK, ASK and ARK and exit
          --show-secrets FILE    list what a guest finds in a secret area written by --secret-out
          --version              print the QEMU version it plays
          --help                 print this text

        """
}
