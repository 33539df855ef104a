/// What `sevhost-sim --help` prints. (`--version` is the real QEMU's: the front answers as the
/// QEMU it fronts, so `sevhost launch --qemu sevhost-sim` learns that QEMU's release.)
enum SimulatorUsage {
    static let text = """
        Usage: sevhost-sim [QEMU OPTIONS] [--sim-state DIR] [--secret-out FILE] [--guest-socket PATH]
                           [--sim-accel kvm|tcg] [--sim-qemu PATH] [--dump-vmsa DIR] [TEST KNOBS]
               sevhost-sim [--sim-state DIR] --print-pdh FILE | --print-chain FILE
               sevhost-sim --show-secrets FILE
               sevhost-sim --guest-report SOCKET --report-data HEX [--vmpl N] --out FILE [--certs DIR]
               sevhost-sim --help

        A simulated SEV platform in front of the real QEMU: it takes qemu-system-x86_64's command
        line, starts the real QEMU (qemu-system-x86_64 on PATH) with the SEV parts taken out, and
        serves the -qmp sockets itself in front of QEMU's own. Every QMP command and event passes
        between the client and QEMU as QEMU writes it, except the answers only SEV hardware can
        give (query-sev, query-sev-launch-measure, query-sev-capabilities,
        query-sev-attestation-report, sev-inject-launch-secret), which a simulated AMD Secure
        Processor gives, with real cryptography, as QEMU 10 gives them on an SEV host. An
        sev-snp-guest is launched by a simulated SEV-SNP firmware (SNP_LAUNCH_START with its
        policy checks, the LAUNCH_UPDATEs, SNP_LAUNCH_FINISH with the ID block checks); a refused
        launch ends it as QEMU ends, naming the firmware error. It
        measures what QEMU made of the argv: the firmware, the kernel hashes, the vCPUs and their
        model, the policy, and the VM type, which the sev-guest object's legacy-vm-type (on, off
        or auto; unset is auto) decides as QEMU with KVM would, and which fills the SEV-ES VMSAs
        (see sevhost-spec(5), "VM TYPE"). The simulated host's C-bit position is 51.

        It ends as QEMU does: SIGTERM, SIGINT and SIGHUP go to QEMU, which reports SHUTDOWN
        (host-signal) and exits; SIGUSR1 makes the guest power itself off. A launch the simulated
        firmware refuses ends it with QEMU's own lines and status.

        Options of its own:
          --sim-state DIR        the platform's persistent keys (default $SEVHOST_SIM_STATE, else
                                 $XDG_STATE_HOME/sevhost-sim or ~/.local/state/sevhost-sim)
          --secret-out FILE      where the decrypted secret area is written (0600; default
                                 $SEVHOST_SIM_SECRET_OUT)
          --guest-socket PATH    one more QMP socket, for an SEV-SNP guest's side: --guest-report
                                 asks there while a manager holds the -qmp monitor (default
                                 $SEVHOST_SIM_GUEST_SOCKET; a relative path is in the working
                                 directory)
          --sim-accel kvm|tcg    the real QEMU's accelerator when the argv asks for KVM (default
                                 $SEVHOST_SIM_ACCEL, else KVM when this host's KVM can run a guest,
                                 else TCG)
          --sim-qemu PATH        the real QEMU (default $SEVHOST_SIM_QEMU, else PATH)
          --dump-vmsa DIR        write the VMSA pages the launch measured as DIR/vmsa<N>.bin
          --replay-measurement FILE
                                 answer query-sev-launch-measure with this base64 blob (tests)
          --query-sev-build-id N report this firmware build in query-sev instead (tests)
          --print-pdh FILE       write the platform's PDH certificate and exit
          --print-chain FILE     write PDH, PEK, OCA, CEK, ASK and ARK and exit
          --show-secrets FILE    list what a guest finds in a secret area written by --secret-out
          --guest-report SOCKET  ask the running SEV-SNP guest behind SOCKET (its --guest-socket, or
                                 a -qmp monitor no one else holds) for an attestation
                                 report with --report-data HEX (64 bytes) at --vmpl N (default 0),
                                 as the guest would; writes it to --out FILE and the ARK, ASK and
                                 VCEK to --certs DIR (the simulated ARK is never AMD's: name it
                                 with report verify --test-root)
          --help                 print this text

        """
}
