/// A field-by-field view of a VMSA page, for `vmsa show`.
///
/// The names and grouping are those of the Linux `sev_es_save_area` that sevctl prints, so that
/// `sevhost vmsa show` output can be diffed against `sevctl vmsa show` byte for byte; reserved
/// ranges are listed as byte arrays so that nothing in the measured page goes unshown.
public enum VMSALayout {
    public enum Kind: Sendable, Equatable {
        case segment
        case u8, u16, u32, u64
        case bytes(Int)

        var size: Int {
            switch self {
            case .segment: VMCBSegment.size
            case .u8: 1
            case .u16: 2
            case .u32: 4
            case .u64: 8
            case .bytes(let count): count
            }
        }
    }

    public struct Field: Sendable, Equatable {
        public let name: String
        public let offset: Int
        public let kind: Kind
    }

    /// sevctl's field list, in page order, covering bytes 0x000..<0x408.
    public static let sevctlFields: [Field] = {
        let spec: [(String, Kind)] = [
            ("es", .segment), ("cs", .segment), ("ss", .segment), ("ds", .segment), ("fs", .segment),
            ("gs", .segment), ("gdtr", .segment), ("ldtr", .segment), ("idtr", .segment), ("tr", .segment),
            ("reserved_1", .bytes(43)), ("cpl", .u8), ("reserved_2", .bytes(4)), ("efer", .u64),
            ("reserved_3", .bytes(104)), ("xss", .u64), ("cr4", .u64), ("cr3", .u64), ("cr0", .u64),
            ("dr7", .u64), ("dr6", .u64), ("rflags", .u64), ("rip", .u64), ("reserved_4", .bytes(88)),
            ("rsp", .u64), ("reserved_5", .bytes(24)), ("rax", .u64), ("star", .u64), ("lstar", .u64),
            ("cstar", .u64), ("sfmask", .u64), ("kernel_gs_base", .u64), ("sysenter_cs", .u64),
            ("sysenter_esp", .u64), ("sysenter_eip", .u64), ("cr2", .u64), ("reserved_6", .bytes(32)),
            ("g_pat", .u64), ("dbgctl", .u64), ("br_from", .u64), ("br_to", .u64),
            ("last_excp_from", .u64), ("last_excp_to", .u64), ("reserved_7", .bytes(72)),
            ("spec_ctrl", .u32), ("reserved_7b", .bytes(4)), ("pkru", .u32), ("reserved_7a", .bytes(20)),
            ("reserved_8", .u64), ("rcx", .u64), ("rdx", .u64), ("rbx", .u64), ("reserved_9", .u64),
            ("rbp", .u64), ("rsi", .u64), ("rdi", .u64), ("r8", .u64), ("r9", .u64), ("r10", .u64),
            ("r11", .u64), ("r12", .u64), ("r13", .u64), ("r14", .u64), ("r15", .u64),
            ("reserved_10", .bytes(16)), ("sw_exit_code", .u64), ("sw_exit_info_1", .u64),
            ("sw_exit_info_2", .u64), ("sw_scratch", .u64), ("reserved_11", .bytes(56)), ("xcr0", .u64),
            ("valid_bitmap", .bytes(16)), ("x87_state_gpa", .u64),
        ]
        var offset = 0
        return spec.map { name, kind in
            defer { offset += kind.size }
            return Field(name: name, offset: offset, kind: kind)
        }
    }()

    /// Fields past sevctl's view that SNP-era KVM and the launch-digest tools set: the SNP
    /// VMPL and SEV_FEATURES (inside sevctl's `reserved_11`) and the x87/SSE control state.
    public static let extendedFields: [Field] = [
        Field(name: "vmpl", offset: 0x0ca, kind: .u8),
        Field(name: "sev_features", offset: VMSA.Offset.sevFeatures, kind: .u64),
        Field(name: "mxcsr", offset: VMSA.Offset.mxcsr, kind: .u32),
        Field(name: "x87_ftw", offset: 0x40c, kind: .u16),
        Field(name: "x87_fsw", offset: 0x40e, kind: .u16),
        Field(name: "x87_fcw", offset: VMSA.Offset.x87FCW, kind: .u16),
    ]

    /// The page as sevctl's JSON (pretty-printed, two-space indent, trailing newline).
    /// With `extended`, `extendedFields` and any other non-zero byte beyond sevctl's view follow.
    public static func json(page: [UInt8], extended: Bool = false) throws(ByteDecodingError) -> String {
        guard page.count == VMSA.pageSize else {
            throw ByteDecodingError(context: "VMSA", offset: min(page.count, VMSA.pageSize),
                                    reason: "a VMSA page is \(VMSA.pageSize) bytes, got \(page.count)")
        }
        var members: [String] = sevctlFields.map { member($0, page: page, indent: "  ") }
        if extended {
            members += extendedFields.map { member($0, page: page, indent: "  ") }
            let coveredEnd = VMSA.Offset.x87FCW + 2
            let rest = Array(page[coveredEnd...])
            let nonZero = rest.indices.filter { rest[$0] != 0 }.map { "    \"0x\(String(coveredEnd + $0, radix: 16))\": \(rest[$0])" }
            members.append("  \"nonzero_bytes_after_0x\(String(coveredEnd, radix: 16))\": " +
                           (nonZero.isEmpty ? "{}" : "{\n" + nonZero.joined(separator: ",\n") + "\n  }"))
        }
        return "{\n" + members.joined(separator: ",\n") + "\n}\n"
    }

    private static func member(_ field: Field, page: [UInt8], indent: String) -> String {
        let o = field.offset
        let value: String
        switch field.kind {
        case .segment:
            let s = VMCBSegment(page: page, at: o)
            let inner = indent + "  "
            value = "{\n\(inner)\"selector\": \(s.selector),\n\(inner)\"attrib\": \(s.attributes),\n" +
                "\(inner)\"limit\": \(s.limit),\n\(inner)\"base\": \(s.base)\n\(indent)}"
        case .u8: value = "\(page[o])"
        case .u16: value = "\(VMSA.load(UInt16.self, from: page, at: o))"
        case .u32: value = "\(VMSA.load(UInt32.self, from: page, at: o))"
        case .u64: value = "\(VMSA.load(UInt64.self, from: page, at: o))"
        case .bytes(let count):
            value = "[\n" + page[o..<(o + count)].map { "\(indent)  \($0)" }.joined(separator: ",\n") + "\n\(indent)]"
        }
        return "\(indent)\"\(field.name)\": \(value)"
    }
}
