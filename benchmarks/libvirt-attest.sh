#!/usr/bin/env bash
# The pre-attestation through libvirt against the same through the QMP socket, on one guest,
# in one run: `sevhost-bench attest-verify` connects, runs PreAttestation.verify (launch state,
# policy, measurement, replay check, HMAC) and closes, COUNT times, once over a QMP socket of the
# guest and once through libvirt (virDomainGetLaunchSecurityInfo, virDomainGetState over
# libvirtd's Unix socket), ROUNDS times alternating (the load of a shared machine drifts, so
# the median ratio is the figure). Nothing is injected, so the guest stays measured throughout.
# Each round also times, on both paths, connect + close alone and the verification on one open
# connection (--breakdown), and libvirt's floor: the same libvirt calls from python3-libvirt
# (benchmarks/libvirt_floor.py: open, lookup, state, launch security info, close), no checks.
#
# The guest is a domain of a private libvirtd (scripts/libvirt-sandbox, root) whose emulator is
# sevhost-sim; the domain's XML is sevhost's own (`sevhost launch --connect --print libvirt`)
# with one more QMP monitor on a path (<qemu:commandline>), which sevhost-sim fronts like
# libvirt's: so both clients reach the same QEMU and the same simulated AMD-SP.
#
# usage: benchmarks/libvirt-attest.sh [COUNT] [ROUNDS]  (defaults 50 and 5; BUILD=debug for the debug build)
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-50}"
rounds="${2:-5}"
config="${BUILD:-release}"
for product in sevhost-sim sevhost sevhost-bench; do
    swift build -c "$config" --product "$product" >/dev/null 2>&1 || swift build -c "$config" --product "$product"
done
bin="$(swift build -c "$config" --show-bin-path)"

dir="$(mktemp -d /tmp/sevhost-libvirt-bench-XXXXXX)"
cleanup() {
    scripts/libvirt-sandbox stop "$dir/libvirt" || true
    rm -rf "$dir"
}
trap cleanup EXIT
scripts/libvirt-sandbox start "$dir/libvirt" "$bin/sevhost-sim"
uri="qemu:///system?socket=$dir/libvirt/run/libvirt-sock"
"$bin/sevhost-sim" --sim-state "$dir/libvirt/sim-state" --print-pdh "$dir/pdh.cert"
"$bin/sevhost" session "$dir/pdh.cert" 0x1 --out "$dir" --name owner >/dev/null
cat > "$dir/guest.yaml" <<SPEC
name: bench
vcpus: 1
cpu: host
memory: 512M
firmware:
  path: /usr/share/OVMF/OVMF_CODE.fd
confidential:
  type: sev
  policy: "0x1"
  pre-attestation: true
  dh-cert-file: $dir/owner_godh.b64
  session-file: $dir/owner_session.b64
SPEC
"$bin/sevhost" launch "$dir/guest.yaml" --connect "$uri" --print libvirt \
    | sed -e "s|^<domain type='kvm'>|<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>|" \
          -e "s|^</domain>|  <qemu:commandline><qemu:arg value='-qmp'/><qemu:arg value='unix:$dir/qmp.sock,server=on,wait=off'/></qemu:commandline>\n</domain>|" \
    > "$dir/guest.xml"
virsh -c "$uri" define "$dir/guest.xml" >/dev/null
virsh -c "$uri" start bench --paused >/dev/null
virsh -c "$uri" domlaunchsecinfo bench >/dev/null   # measured by now

common=(--tik "$dir/owner_tik.bin" --expect "$dir/guest.yaml" --nonce-log "$dir/mnonce.log" --count "$count" --breakdown)
echo "machine: $(nproc) vCPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); libvirt $(libvirtd --version | awk '{print $NF}'); $config build"
# The N-th line's "X ms each" of a run's output.
ms() { sed -n "$1p" | sed -E 's/.*, ([0-9.]+) ms each/\1/'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ratios=()
floors=()
for round in $(seq 1 "$rounds"); do
    qmp=$("$bin/sevhost-bench" attest-verify --qmp "$dir/qmp.sock" "${common[@]}")
    lv=$("$bin/sevhost-bench" attest-verify --connect "$uri" --domain bench "${common[@]}")
    # The floor: libvirt's own calls for the same reading, from python3-libvirt, no checks.
    floor=$(/usr/bin/python3 benchmarks/libvirt_floor.py "$uri" bench "$count")
    qmp_ms=$(echo "$qmp" | ms 1)
    lv_ms=$(echo "$lv" | ms 1)
    floor_ms=$(echo "$floor" | ms 1)
    ratios+=("$(ratio "$lv_ms" "$qmp_ms")")
    floors+=("$(ratio "$floor_ms" "$qmp_ms")")
    echo "round $round: per verification QMP $qmp_ms ms, libvirt $lv_ms ms, libvirt/QMP $(ratio "$lv_ms" "$qmp_ms")x;" \
        "libvirt's floor $floor_ms ms = $(ratio "$floor_ms" "$qmp_ms")x QMP"
    echo "  connect + close: QMP $(echo "$qmp" | ms 2) ms, libvirt $(echo "$lv" | ms 2) ms, python3-libvirt open + lookup + close $(echo "$floor" | ms 2) ms"
    echo "  verification on an open connection: QMP $(echo "$qmp" | ms 3) ms, libvirt $(echo "$lv" | ms 3) ms"
done
echo "median libvirt/QMP: $(median "${ratios[@]}")x; median floor/QMP: $(median "${floors[@]}")x"
