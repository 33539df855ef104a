/// How large each kind of input file may be: one table, so a limit is chosen once per format
/// and every reader of that format applies the same one. Each bound is far above what the
/// format can legitimately hold and far below what would hurt (the largest, an OVMF image,
/// is 64 MiB; nothing read whole can make a command hold more).
public struct InputLimit: Sendable, Hashable {
    /// The most bytes read.
    public var bytes: Int
    /// The format, as the error for a larger file names it (`an attestation report`).
    public var what: String

    public init(bytes: Int, what: String) {
        self.bytes = bytes
        self.what = what
    }

    /// An SNP attestation report: 1184 bytes raw, twice that as hex text.
    public static let attestationReport = InputLimit(bytes: 16 << 10, what: "an attestation report file")
    /// X.509 certificates (DER or a PEM bundle) and CRLs.
    public static let certificate = InputLimit(bytes: 1 << 20, what: "a certificate or CRL file")
    /// Legacy SEV certificates and chains (PDH PEK OCA CEK ASK ARK are 2–3 KiB each).
    public static let sevCertificates = InputLimit(bytes: 64 << 10, what: "an SEV certificate chain file")
    /// The GHCB extended certificate table (ARK, ASK, VCEK/VLEK; Linux takes at most 16 KiB).
    public static let certificateTable = InputLimit(bytes: 64 << 10, what: "an SNP certificate table")
    /// An OVMF (or SVSM) image: 2–4 MiB today.
    public static let firmwareImage = InputLimit(bytes: 64 << 20, what: "a firmware image")
    /// One VMSA page.
    public static let vmsa = InputLimit(bytes: 4096, what: "a VMSA page")
    /// A VM spec, YAML or JSON (the daemon's request bodies have the same bound).
    public static let spec = InputLimit(bytes: 1 << 20, what: "a VM spec")
    /// The JSON files of a captured host.
    public static let capturedJSON = InputLimit(bytes: 4 << 20, what: "a captured host's JSON file")
    /// A file under /proc or /sys, live or captured (a large host's cpuinfo is a few hundred KiB).
    public static let hostFile = InputLimit(bytes: 4 << 20, what: "a host file")
    /// A PEM or DER key.
    public static let key = InputLimit(bytes: 64 << 10, what: "a key file")
    /// One secret of a LAUNCH_SECRET table (the whole table is at most 16 KiB).
    public static let secret = InputLimit(bytes: 16 << 10, what: "a secret")
    /// A TEK, TIK, MNONCE or measurement: a few bytes, raw or base64.
    public static let smallBlob = InputLimit(bytes: 4 << 10, what: "a key or measurement file")
    /// The base64 GODH and session files QEMU reads.
    public static let sessionFile = InputLimit(bytes: 64 << 10, what: "a session file")
    /// An attestation bundle, or the guest owner's answer to one.
    public static let bundle = InputLimit(bytes: 1 << 20, what: "an attestation bundle or answer")
    /// A libvirt domain template of sevhost's own.
    public static let template = InputLimit(bytes: 1 << 20, what: "a template")
    /// A simulated firmware's state.
    public static let simulatorState = InputLimit(bytes: 1 << 20, what: "a simulated firmware's state file")
    /// A pid file.
    public static let pidFile = InputLimit(bytes: 64, what: "a pid file")
    /// A process's command line or status under /proc (ARG_MAX is 2 MiB).
    public static let processFile = InputLimit(bytes: 4 << 20, what: "a /proc file")
    /// A kernel given to -kernel: streamed, never held.
    public static let kernel = InputLimit(bytes: 1 << 30, what: "a kernel")
    /// An initrd given to -initrd: streamed, never held.
    public static let initrd = InputLimit(bytes: 2 << 30, what: "an initrd")
}

extension BoundedFile {
    /// `read` with a limit from the table.
    public static func read(_ path: String, _ limit: InputLimit) throws(FileReadError) -> [UInt8] {
        try read(path, limit: limit.bytes, what: limit.what)
    }

    /// `readText` with a limit from the table.
    public static func readText(_ path: String, _ limit: InputLimit) throws(FileReadError) -> String {
        try readText(path, limit: limit.bytes, what: limit.what)
    }

    /// `readStandardInput` with a limit from the table.
    public static func readStandardInput(_ limit: InputLimit, name: String = "standard input") throws(FileReadError) -> [UInt8] {
        try readStandardInput(limit: limit.bytes, what: limit.what, name: name)
    }
}
