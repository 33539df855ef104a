/// Every field of a report, named as in the SNP ABI (lower case), in layout order: the one
/// source for `sevhost report show` text and JSON, so the two can never disagree.
extension AttestationReport {
    public var fields: [(String, OrderedJSON)] {
        func hex(_ b: [UInt8]) -> OrderedJSON { .string(Hex.encode(b)) }
        func hex64(_ v: UInt64) -> OrderedJSON { .string("0x" + String(v, radix: 16)) }
        func tcb(_ t: TCBVersion) -> OrderedJSON { .object(t.fields) }
        let signingKey: String = switch keyInfo.signingKey {
        case .vcek: "VCEK"
        case .vlek: "VLEK"
        case .some(.none): "NONE"
        case nil: "reserved(\(keyInfo.signingKeyValue))"
        }
        // Every bit of the policy, named as `policy explain` names them (one table,
        // SNPGuestPolicy), in the ABI's snake_case as the report's other fields.
        let policyFields = SNPGuestPolicy(rawValue: policy).fields.map { ($0.0.replacingOccurrences(of: "-", with: "_"), $0.1) }
        var f: [(String, OrderedJSON)] = [
            ("version", .uint(UInt64(version))),
            ("guest_svn", .uint(UInt64(guestSVN))),
            ("policy", .object(policyFields)),
            ("family_id", hex(familyID)),
            ("image_id", hex(imageID)),
            ("vmpl", .uint(UInt64(vmpl))),
            ("signature_algo", .uint(UInt64(signatureAlgorithm))),
            ("current_tcb", tcb(currentTCB)),
            ("platform_info", .object([("raw", hex64(platformInfo.raw))] + platformInfo.flags.map { ($0.name, .bool($0.set)) })),
            ("key_info", .object([
                ("raw", hex64(UInt64(keyInfo.raw))),
                ("author_key_en", .bool(keyInfo.authorKeyEnabled)),
                ("mask_chip_key", .bool(keyInfo.maskChipKey)),
                ("signing_key", .string(signingKey)),
            ])),
            ("report_data", hex(reportData)),
            ("measurement", hex(measurement)),
            ("host_data", hex(hostData)),
            ("id_key_digest", hex(idKeyDigest)),
            ("author_key_digest", hex(authorKeyDigest)),
            ("report_id", hex(reportID)),
            ("report_id_ma", hex(reportIDMA)),
            ("reported_tcb", tcb(reportedTCB)),
        ]
        if let cpuidFamily, let cpuidModel, let cpuidStepping {
            f += [("cpuid_fam_id", hex64(UInt64(cpuidFamily))), ("cpuid_mod_id", hex64(UInt64(cpuidModel))),
                  ("cpuid_step", hex64(UInt64(cpuidStepping)))]
        }
        f += [
            ("chip_id", hex(chipID)),
            ("committed_tcb", tcb(committedTCB)),
            ("current_build", .uint(UInt64(currentBuild))),
            ("current_minor", .uint(UInt64(currentMinor))),
            ("current_major", .uint(UInt64(currentMajor))),
            ("committed_build", .uint(UInt64(committedBuild))),
            ("committed_minor", .uint(UInt64(committedMinor))),
            ("committed_major", .uint(UInt64(committedMajor))),
            ("launch_tcb", tcb(launchTCB)),
        ]
        if let launchMitigationVector, let currentMitigationVector {
            f += [("launch_mit_vector", hex64(launchMitigationVector)), ("current_mit_vector", hex64(currentMitigationVector))]
        }
        f.append(("signature", .object([("r", hex(signature.r)), ("s", hex(signature.s))])))
        return f
    }

    /// `name: value` lines; nested values are flattened as `parent.child`.
    public var textLines: [String] {
        var lines: [String] = []
        func emit(_ name: String, _ value: OrderedJSON) {
            switch value {
            case .object(let members): for (k, v) in members { emit("\(name).\(k)", v) }
            case .string(let s): lines.append("\(name): \(s)")
            default: lines.append("\(name): \(value.rendered())")
            }
        }
        for (k, v) in fields { emit(k, v) }
        return lines
    }
}
