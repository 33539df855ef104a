#!/usr/bin/env python3
"""Writes the captured-host fixtures under Tests/Fixtures/hosts/.

Each host is described below as a small difference from a healthy machine of its product line,
so a reader can see what each fixture exercises. The values are authored for these tests (CPUID
and MSR values follow the AMD manuals' field layouts; firmware answers follow SEV API 55766 and
the SNP ABI 56860); they are not copied from any real machine's capture.

Run it again after changing it: it rewrites every fixture directory it knows, deterministically.
"""
import json
import os
import shutil
import struct
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
HOSTS = os.path.join(HERE, "hosts")


# ---------------------------------------------------------------------------------------------
# Synthetic OVMF tails: the footer GUID table and SEV metadata, at the end of a 4 KiB image.

FOOTER = "96b582de-1fb2-45f7-baea-a366c55a082d"
SEV_ES_RESET = "00f771de-1a7e-4fcb-890e-68c77e2fb44e"
SEV_METADATA = "dc886566-984a-4798-a75e-5585a7bf67cc"


def guid_bytes(text):
    return uuid.UUID(text).bytes_le


SEV_HASH_TABLE = "7255371f-3a3b-4b04-927b-1da6efa8d454"


def ovmf_tail(es_reset=None, sections=None, size=4096, hash_table=None):
    """An image tail whose footer table holds the given entries (none: an empty table).
    `hash_table` is (gpa, size) of the SEV hashes table area, (0, 0) as OvmfPkgX64 publishes it."""
    body = bytearray(size)
    entries = []  # (guid, data)
    metadata_offset_from_end = 0x800
    if hash_table is not None:
        entries.append((SEV_HASH_TABLE, struct.pack("<II", *hash_table)))
    if sections is not None:
        entries.append((SEV_METADATA, struct.pack("<I", metadata_offset_from_end)))
    if es_reset is not None:
        entries.append((SEV_ES_RESET, struct.pack("<I", es_reset)))
    table = b""
    for guid, data in entries:
        table += data + struct.pack("<H", len(data) + 18) + guid_bytes(guid)
    table += struct.pack("<H", len(table) + 18) + guid_bytes(FOOTER)
    end = size - 32
    body[end - len(table):end] = table
    if sections is not None:
        meta = b"ASEV" + struct.pack("<III", 16 + 12 * len(sections), 1, len(sections))
        for gpa, length, kind in sections:
            meta += struct.pack("<III", gpa, length, kind)
        start = size - metadata_offset_from_end
        body[start:start + len(meta)] = meta
    return bytes(body)


SNP_SECTIONS = [(0x800000, 0x9000, 1), (0x809000, 0x1000, 2), (0x80A000, 0x1000, 3), (0x80B000, 0x2000, 1)]
OVMF_SNP = ovmf_tail(es_reset=0x80B004, sections=SNP_SECTIONS, hash_table=(0, 0))
# As OvmfPkg/AmdSev builds: a hashes table area at 0x80D000 and an SNP_KERNEL_HASHES page.
OVMF_AMDSEV = ovmf_tail(es_reset=0x80B004, hash_table=(0x80D000, 0x400),
                        sections=SNP_SECTIONS + [(0x80D000, 0x1000, 0x10)])
OVMF_NO_METADATA = ovmf_tail()


# ---------------------------------------------------------------------------------------------
# Host descriptions.

def tcb(bootloader, tee, snp, microcode):
    """A Milan/Genoa TCB_VERSION: boot loader byte 0, TEE byte 1, SNP byte 6, microcode byte 7."""
    return bootloader | tee << 8 | snp << 48 | microcode << 56


def hexs(value):
    return "0x%x" % value


def leaf1(family, model, stepping):
    base_family = min(family, 0xF)
    ext_family = family - 0xF if family >= 0xF else 0
    return ext_family << 20 | (model >> 4) << 16 | base_family << 8 | (model & 0xF) << 4 | stepping


def brand_leaves(brand):
    raw = brand.encode().ljust(48, b"\0")
    leaves = []
    for i, leaf in enumerate((0x80000002, 0x80000003, 0x80000004)):
        regs = struct.unpack("<4I", raw[16 * i:16 * i + 16])
        leaves.append((leaf, regs))
    return leaves


def vendor_regs(vendor):
    b = vendor.encode()
    ebx, edx, ecx = struct.unpack("<3I", b)
    return (0x10, ebx, ecx, edx)


def memory_encryption(sme=True, sev=True, page_flush=False, es=True, snp=True, vmpl=True,
                      cbit=51, reduced=1, vmpls=4, guests=509, min_asid=1, secure_tsc=False):
    eax = (sme << 0) | (sev << 1) | (page_flush << 2) | (es << 3) | (snp << 4) | (vmpl << 5) | (secure_tsc << 8)
    ebx = cbit | reduced << 6 | (vmpls if vmpl else 0) << 12
    return (eax, ebx, guests, min_asid)


def tcb_turin(fmc, bootloader, tee, snp, microcode):
    """A Turin TCB_VERSION: FMC byte 0, boot loader byte 1, TEE byte 2, SNP byte 3, microcode byte 7."""
    return fmc | bootloader << 8 | tee << 16 | snp << 24 | microcode << 56


def sev_firmware_header(major, minor, build):
    """The first 0x100 bytes of a signed SEV firmware image: the "$PS1" cookie at 0x10 and the
    version (build, minor, major) at 0x60, the rest zero (a capture keeps only the header)."""
    header = bytearray(0x100)
    header[0x10:0x14] = b"$PS1"
    header[0x60:0x64] = bytes([build, minor, major, 0])
    return bytes(header)


def ccp_log(fw_file, updated, major, minor, build, asids):
    """The kernel log lines of a boot that loads `fw_file` (Debian kernels log the load)."""
    lines = ["Linux version 6.12.12-amd64 (debian-kernel@lists.debian.org)",
             "ccp 0000:05:00.5: sev enabled"]
    if fw_file:
        lines.append("ccp 0000:05:00.5: firmware: direct-loading firmware %s" % fw_file)
    if updated:
        lines.append("ccp 0000:05:00.5: SEV firmware update successful")
    lines += ["ccp 0000:05:00.5: SEV API:%d.%d build:%d" % (major, minor, build),
              "ccp 0000:05:00.5: SEV-SNP API:%d.%d build:%d" % (major, minor, build)] + asids
    return lines


HEALTHY_MILAN = dict(
    vendor="AuthenticAMD",
    brand="AMD EPYC 7763 64-Core Processor",
    signature=(0x19, 0x01, 1),
    hypervisor=False,
    mem=memory_encryption(cbit=51, reduced=1, guests=509, min_asid=100),
    syscfg=(1 << 23) | (1 << 24) | 0x740000,
    rmp=(0x12500000, 0x328FFFFF),
    msr_error=None,
    kvm_params={"sev": "Y", "sev_es": "Y", "sev_snp": "Y", "nested": "1"},
    msr_module=True,
    devices={"/dev/sev": ("ok", "ok", "crw-------", "root", "root", None),
             "/dev/kvm": ("ok", "ok", "crw-rw----", "root", "kvm", 12)},
    platform_status=dict(major=1, minor=55, build=21, state="initialized", flags=0x100, guests=0),
    snp_status=dict(state="initialized", rmp=True, alias=True,
                    platform=tcb(3, 0, 20, 209), reported=tcb(3, 0, 20, 209)),
    firmware_error=None,
    osrelease="6.12.12-amd64",
    cmdline="BOOT_IMAGE=/vmlinuz-6.12.12-amd64 root=/dev/mapper/vg0-root ro mem_encrypt=on kvm_amd.sev=1 kvm_amd.sev_snp=1 quiet",
    memlock=("8388608", "8388608"),
    iommu_units=["ivhd0", "ivhd1", "ivhd2", "ivhd3"],
    iommu_groups={"0": "DMA-FQ", "1": "DMA-FQ", "2": "DMA"},
    qemu=("/usr/bin/qemu-system-x86_64", "9.2.0", None),
    ovmf={"usr/share/OVMF/OVMF_CODE.fd": OVMF_SNP, "usr/share/OVMF/OVMF_CODE_4M.fd": OVMF_NO_METADATA,
          "usr/share/sevhost/OVMF.amdsev.fd": OVMF_AMDSEV, "usr/share/ovmf/OVMF.fd": OVMF_SNP},
    # Linux 6.12: no KVM_X86_SNP_POLICY_BITS yet (ENXIO), so KVM checks its fixed mask.
    sev_attributes={"vmsa-features": 0x1, "snp-policy-bits": "No such device or address (os error 6)",
                    "snp-req-certs": "No such device or address (os error 6)"},
    smt="1",
    misc_current="sev 1\nsev_es 2\n",
    files={"lib/firmware/amd/amd_sev_fam19h_model0xh.sbin": sev_firmware_header(1, 55, 21)},
    kernel_log=ccp_log("amd/amd_sev_fam19h_model0xh.sbin", True, 1, 55, 21,
                       ["kvm_amd: SEV enabled (ASIDs 100 - 509)", "kvm_amd: SEV-ES enabled (ASIDs 1 - 99)",
                        "kvm_amd: SEV-SNP enabled (ASIDs 1 - 99)"]),
)


def certificate_table(names):
    """A GHCB-format certificate table whose entries hold stand-in DER (a capture would hold the
    host's real ARK, ASK and VCEK; these bytes only have to be a table)."""
    guids = {"ark": "c0b406a4a8034952 97433fb6014cd0ae", "ask": "4ab7b379bbac4fe4 a02f05aef327c782",
             "vcek": "63da758de6644564 adc5f4b93be8accd"}
    bodies = [bytes([0x30, 0x03, 1, 2, i]) for i in range(len(names))]
    offset = 24 * (len(names) + 1)
    table = b""
    for name, body in zip(names, bodies):
        table += bytes.fromhex(guids[name].replace(" ", "")) + struct.pack("<II", offset, len(body))
        offset += len(body)
    return table + bytes(24) + b"".join(bodies)


def variant(base, **changes):
    host = dict(base)
    host.update(changes)
    return host


HOST_DESCRIPTIONS = {
    "milan-snp": HEALTHY_MILAN,
    "genoa-snp": variant(
        HEALTHY_MILAN,
        brand="AMD EPYC 9654 96-Core Processor",
        signature=(0x19, 0x11, 1),
        mem=memory_encryption(page_flush=False, cbit=51, reduced=1, guests=1006, min_asid=100),
        platform_status=dict(major=1, minor=55, build=37, state="working", flags=0x100, guests=2),
        files={"lib/firmware/amd/amd_sev_fam19h_model1xh.sbin": sev_firmware_header(1, 55, 37)},
        kernel_log=ccp_log("amd/amd_sev_fam19h_model1xh.sbin", True, 1, 55, 37, []),
        snp_status=dict(state="initialized", rmp=True, alias=True,
                        platform=tcb(9, 0, 22, 84), reported=tcb(9, 0, 22, 84)),
        osrelease="6.14.0-1-amd64",
        cmdline="BOOT_IMAGE=/vmlinuz-6.14.0-1-amd64 root=UUID=6a1c0d7e-3f62-4b8e-9d2a-51c7f0a8e913 ro",
        memlock=("unlimited", "unlimited"),
        qemu=("/usr/bin/qemu-system-x86_64", "10.0.2", None),
    ),
    "rome-sev-es": variant(
        HEALTHY_MILAN,
        files={}, kernel_log=[], smt=None, misc_current=None,
        brand="AMD EPYC 7742 64-Core Processor",
        signature=(0x17, 0x31, 0),
        mem=memory_encryption(page_flush=True, snp=False, vmpl=False, cbit=47, reduced=5, guests=509, min_asid=100),
        syscfg=(1 << 23) | 0x740000,
        rmp=(0, 0),
        kvm_params={"sev": "1", "sev_es": "1", "nested": "1"},
        platform_status=dict(major=0, minor=24, build=15, state="initialized", flags=0x100, guests=0),
        snp_status=None,
        snp_error="SNP_PLATFORM_STATUS failed: Invalid argument (os error 22)",
        osrelease="5.15.0-105-generic",
        cmdline="BOOT_IMAGE=/boot/vmlinuz-5.15.0-105-generic root=/dev/sda2 ro mem_encrypt=on kvm_amd.sev=1 kvm_amd.sev_es=1",
        iommu_units=["ivhd0"],
        qemu=("/usr/bin/qemu-system-x86_64", "6.2.0", None),
    ),
    "naples-sev": variant(
        HEALTHY_MILAN,
        files={}, kernel_log=[], smt=None, misc_current=None,
        brand="AMD EPYC 7601 32-Core Processor",
        signature=(0x17, 0x01, 2),
        mem=memory_encryption(page_flush=True, es=False, snp=False, vmpl=False, cbit=47, reduced=5, guests=15, min_asid=1),
        syscfg=(1 << 23) | 0x740000,
        rmp=(0, 0),
        kvm_params={"sev": "1", "nested": "1"},
        platform_status=dict(major=0, minor=17, build=5, state="initialized", flags=0x0, guests=0),
        snp_status=None,
        snp_error="SNP_PLATFORM_STATUS failed: Invalid argument (os error 22)",
        osrelease="5.4.0-150-generic",
        cmdline="BOOT_IMAGE=/boot/vmlinuz-5.4.0-150-generic root=/dev/sda2 ro",
        iommu_units=["ivhd0"],
        qemu=("/usr/bin/qemu-system-x86_64", "4.2.1", None),
    ),
    "intel": variant(
        HEALTHY_MILAN,
        files={}, kernel_log=[], smt=None, misc_current=None,
        vendor="GenuineIntel",
        brand="Intel(R) Xeon(R) Platinum 8480+",
        signature=(0x6, 0x8F, 8),
        mem=(0, 0, 0, 0),
        syscfg=None,
        msr_error="MSR 0xc0010010 does not exist on this CPU: Input/output error (os error 5)",
        kvm_params={},
        devices={"/dev/sev": ("No such file or directory (os error 2)", "No such file or directory (os error 2)", None, None, None, None),
                 "/dev/kvm": ("ok", "ok", "crw-rw----", "root", "kvm", 12)},
        platform_status=None, snp_status=None,
        firmware_error="unable to open /dev/sev: No such file or directory (os error 2)",
        osrelease="6.1.0-18-amd64",
        cmdline="BOOT_IMAGE=/vmlinuz-6.1.0-18-amd64 root=/dev/nvme0n1p2 ro intel_iommu=on",
        iommu_units=["dmar0", "dmar1"],
        qemu=("/usr/bin/qemu-system-x86_64", "7.2.22", None),
        ovmf={"usr/share/OVMF/OVMF_CODE_4M.fd": OVMF_NO_METADATA},
    ),
    # ok --features: Secure TSC (CPUID and KVM_X86_SEV_VMSA_FEATURES bit 9) and certificate
    # requests (KVM_X86_SEV_SNP_REQ_CERTS, Linux 7.0) with a table where sevhost keeps it.
    "genoa-snp-features": variant(
        HEALTHY_MILAN,
        brand="AMD EPYC 9654 96-Core Processor",
        signature=(0x19, 0x11, 1),
        mem=memory_encryption(cbit=51, reduced=1, guests=1006, min_asid=100, secure_tsc=True),
        osrelease="7.0.0-1-amd64",
        # Linux 7.0: KVM_X86_SNP_POLICY_BITS answers; ciphertext hiding gives SNP ASIDs 1-50.
        sev_attributes={"vmsa-features": 0x20001 | (1 << 9), "snp-policy-bits": 0x1FBFFFF, "snp-req-certs": 1},
        kvm_params={"sev": "Y", "sev_es": "Y", "sev_snp": "Y", "nested": "1", "ciphertext_hiding_asids": "50"},
        files={"var/lib/sevhost/snp-certs.bin": certificate_table(["ark", "ask", "vcek"])},
        kernel_log=[],
    ),
    # Linux 6.12 on a Milan: no Secure TSC in the CPU, no certificate requests in the kernel.
    "milan-snp-no-features": variant(
        HEALTHY_MILAN,
        sev_attributes={"vmsa-features": 0x1, "snp-policy-bits": "No such device or address (os error 6)",
                        "snp-req-certs": "No such device or address (os error 6)"},
    ),
    # The firmware file is newer than what runs and the log has no "update successful": the
    # AMD-SP did not take it at boot (AMDSEV#271's question: which file, which version runs).
    "milan-sev-firmware-not-taken": variant(
        HEALTHY_MILAN,
        files={"lib/firmware/amd/amd_sev_fam19h_model0xh.sbin": sev_firmware_header(1, 55, 29)},
        kernel_log=ccp_log("amd/amd_sev_fam19h_model0xh.sbin", False, 1, 55, 21, []),
    ),
    # A family 0x1A CPU beyond Turin's models: not in the product table, SNP from CPUID, TCB in
    # Turin's layout, and a note saying so instead of a silent skip (snphost#125, sevctl#203).
    "family1a-unknown-snp": variant(
        HEALTHY_MILAN,
        brand="AMD EPYC 9X75 128-Core Processor",
        signature=(0x1A, 0x50, 0),
        mem=memory_encryption(cbit=51, reduced=1, guests=1006, min_asid=100),
        snp_status=dict(state="initialized", rmp=True, alias=True,
                        platform=tcb_turin(1, 2, 0, 3, 9), reported=tcb_turin(1, 2, 0, 3, 9)),
        files={},
        kernel_log=[],
    ),
    # The BIOS left the SEV-ES ASID space at its minimum (CPUID 0x8000001F EDX 1): KVM has no
    # SEV-ES or SNP ASIDs, so kvm_amd reports both off, whatever libvirt's maxESGuests says.
    "genoa-no-es-asids": variant(
        HEALTHY_MILAN,
        brand="AMD EPYC 9654 96-Core Processor",
        signature=(0x19, 0x11, 1),
        mem=memory_encryption(cbit=51, reduced=1, guests=1006, min_asid=1),
        kvm_params={"sev": "Y", "sev_es": "N", "sev_snp": "N", "nested": "1"},
        files={},
        kernel_log=[],
    ),
    "milan-iommu-pt": variant(
        HEALTHY_MILAN,
        cmdline=HEALTHY_MILAN["cmdline"] + " iommu=pt",
        iommu_groups={"0": "identity", "1": "identity", "2": "identity"},
    ),
    "milan-snp-bios-disabled": variant(
        HEALTHY_MILAN,
        syscfg=(1 << 23) | 0x740000,
        rmp=(0, 0),
        kvm_params={"sev": "Y", "sev_es": "Y", "sev_snp": "N", "nested": "1"},
        snp_status=dict(state="uninitialized", rmp=False, alias=False, platform=tcb(3, 0, 20, 209), reported=tcb(3, 0, 20, 209)),
    ),
    "milan-kvm-snp-off": variant(
        HEALTHY_MILAN,
        kvm_params={"sev": "Y", "sev_es": "Y", "sev_snp": "N", "nested": "1"},
        cmdline="BOOT_IMAGE=/vmlinuz-6.12.12-amd64 root=/dev/mapper/vg0-root ro kvm_amd.sev_snp=0",
        snp_status=dict(state="uninitialized", rmp=True, alias=True, platform=tcb(3, 0, 20, 209), reported=tcb(3, 0, 20, 209)),
    ),
    "milan-no-dev-sev-access": variant(
        HEALTHY_MILAN,
        devices={"/dev/sev": ("Permission denied (os error 13)", "Permission denied (os error 13)", "crw-------", "root", "root", None),
                 "/dev/kvm": ("ok", "ok", "crw-rw----", "root", "kvm", 12)},
        msr_error="/dev/cpu/0/msr: Permission denied (os error 13)",
        platform_status=None, snp_status=None,
        firmware_error="unable to open /dev/sev: Permission denied (os error 13)",
    ),
    "guest-vm": variant(
        HEALTHY_MILAN,
        files={}, kernel_log=[], smt=None, misc_current=None,
        brand="AMD EPYC-Milan Processor",
        hypervisor=True,
        mem=(0, 0, 0, 0),
        syscfg=None,
        msr_error="/dev/cpu/0/msr: No such file or directory (os error 2)",
        kvm_params={},
        msr_module=False,
        devices={"/dev/sev": ("No such file or directory (os error 2)", "No such file or directory (os error 2)", None, None, None, None),
                 "/dev/kvm": ("No such file or directory (os error 2)", "No such file or directory (os error 2)", None, None, None, None)},
        platform_status=None, snp_status=None,
        firmware_error="unable to open /dev/sev: No such file or directory (os error 2)",
        osrelease="6.1.0-27-cloud-amd64",
        cmdline="BOOT_IMAGE=/boot/vmlinuz-6.1.0-27-cloud-amd64 root=PARTUUID=1f0e2c9b-01 ro console=ttyS0",
        iommu_units=[],
        iommu_groups={},
        qemu=(None, None, "no QEMU found (looked for /usr/bin/qemu-system-x86_64, /usr/libexec/qemu-kvm, /usr/bin/qemu-kvm)"),
        ovmf={},
    ),
}


# ---------------------------------------------------------------------------------------------
# Writing a host in the captured-host format (DESIGN.md; HostCapture.swift writes the same).

def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode) as f:
        f.write(data)


def write_json(path, value):
    write(path, json.dumps(value, indent=2, sort_keys=True) + "\n")


def write_host(name, h):
    root = os.path.join(HOSTS, name)
    shutil.rmtree(root, ignore_errors=True)
    family, model, stepping = h["signature"]
    leaf1_ecx = (1 << 31) if h["hypervisor"] else 0
    leaves = [(0x0, vendor_regs(h["vendor"])), (0x1, (leaf1(family, model, stepping), 0x800, leaf1_ecx | 0x7ED8320B, 0x178BFBFF)),
              (0x80000000, (0x80000023, 0, 0, 0))] + brand_leaves(h["brand"]) + [(0x8000001F, h["mem"])]
    write_json(os.path.join(root, "cpuid.json"), {"leaves": [
        {"leaf": hexs(leaf), "subleaf": "0x0", "eax": hexs(r[0]), "ebx": hexs(r[1]), "ecx": hexs(r[2]), "edx": hexs(r[3])}
        for leaf, r in leaves]})
    if h["msr_error"]:
        write_json(os.path.join(root, "msr.json"), {"unavailable": h["msr_error"]})
    else:
        write_json(os.path.join(root, "msr.json"), {"registers": {
            "0xc0010010": hexs(h["syscfg"]), "0xc0010132": hexs(h["rmp"][0]), "0xc0010133": hexs(h["rmp"][1])}})
    nodes = {}
    for path, (read, wr, mode, owner, group, api) in h["devices"].items():
        node = {"read": read, "write": wr}
        if mode:
            node.update(mode=mode, owner=owner, group=group)
        if api is not None:
            node["api-version"] = api
        if path == "/dev/kvm" and h.get("sev_attributes"):
            node["sev-attributes"] = {name: ({"value": hexs(v)} if isinstance(v, int) else {"error": v})
                                      for name, v in h["sev_attributes"].items()}
        nodes[path] = node
    write_json(os.path.join(root, "dev.json"), {"nodes": nodes})
    firmware = {}
    if h.get("platform_status"):
        p = h["platform_status"]
        firmware["platform-status"] = {"api-major": p["major"], "api-minor": p["minor"], "build": p["build"],
                                       "state": p["state"], "flags": hexs(p["flags"]), "guest-count": p["guests"]}
    else:
        firmware["platform-status-error"] = h["firmware_error"]
    if h.get("snp_status"):
        s = h["snp_status"]
        firmware["snp-platform-status"] = {"state": s["state"], "rmp-initialized": s["rmp"],
                                           "alias-check-complete": s["alias"],
                                           "platform-tcb": hexs(s["platform"]), "reported-tcb": hexs(s["reported"])}
    else:
        firmware["snp-platform-status-error"] = h.get("snp_error") or h["firmware_error"]
    write_json(os.path.join(root, "firmware.json"), firmware)
    qpath, qversion, qerror = h["qemu"]
    qemu = {k: v for k, v in (("path", qpath), ("version", qversion), ("error", qerror)) if v}
    write_json(os.path.join(root, "tools.json"), {"qemu": qemu})

    write(os.path.join(root, "proc/cpuinfo"),
          "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %d\nmodel\t\t: %d\nmodel name\t: %s\nstepping\t: %d\n\n"
          % (h["vendor"], family, model, h["brand"], stepping))
    write(os.path.join(root, "proc/cmdline"), h["cmdline"] + "\n")
    write(os.path.join(root, "proc/sys/kernel/osrelease"), h["osrelease"] + "\n")
    soft, hard = h["memlock"]
    write(os.path.join(root, "proc/self/limits"),
          "Limit                     Soft Limit           Hard Limit           Units     \n"
          "Max open files            1024                 524288               files     \n"
          "Max locked memory         %-20s %-20s bytes     \n" % (soft, hard))
    for param, value in h["kvm_params"].items():
        write(os.path.join(root, "sys/module/kvm_amd/parameters", param), value + "\n")
    if h["msr_module"]:
        write(os.path.join(root, "sys/module/msr/present"), "")
    for unit in h["iommu_units"]:
        write(os.path.join(root, "sys/class/iommu", unit), "")
    for group, kind in h["iommu_groups"].items():
        write(os.path.join(root, "sys/kernel/iommu_groups", group, "type"), kind + "\n")
    for relative, data in h["ovmf"].items():
        write(os.path.join(root, relative), data)
    for relative, data in h.get("files", {}).items():
        write(os.path.join(root, relative), data)
    if h.get("smt") is not None:
        write(os.path.join(root, "sys/devices/system/cpu/smt/active"), h["smt"] + "\n")
    if h.get("misc_current") is not None:
        write(os.path.join(root, "sys/fs/cgroup/misc.current"), h["misc_current"])
    if h.get("kernel_log"):
        write(os.path.join(root, "kernel-log.txt"), "".join("[%12.6f] %s\n" % (0.5 * i, line) for i, line in enumerate(h["kernel_log"])))


if __name__ == "__main__":
    for name, description in HOST_DESCRIPTIONS.items():
        write_host(name, description)
        print("wrote", os.path.relpath(os.path.join(HOSTS, name), os.getcwd()))
