#!/usr/bin/env bash
# sevhostd: one launch against 64 at once, and the daemon's memory.
# Each launch is POST /v1/vms/NAME/start?wait=true, which answers once sevhost-sim has started
# the real QEMU 10 (paused at -S, Debian's OVMF, 2 vCPUs, 1 GiB) and its simulated AMD-SP has
# measured the guest, and the daemon has read the measurement over QMP: the VM is paused in
# awaiting-secret. The memory and CPU of the 64 QEMUs and fronts are printed too.
#
# usage: benchmarks/daemon.sh [COUNT]   (default 64; release build of sevhostd and sevhost-sim)
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-64}"
for product in sevhostd sevhost-sim sevhost; do
    # Quiet unless it fails (the dependencies' own warnings are noise here).
    swift build -c release --product "$product" >/dev/null 2>&1 || swift build -c release --product "$product"
done
bin="$(swift build -c release --show-bin-path)"

dir="$(mktemp -d /tmp/sevhostd-bench-XXXXXX)"
cleanup() {
    if [ -n "${daemon:-}" ]; then
        # The guests' fronts still running (the daemon's children; each front's QEMU dies with
        # its front), then the daemon, each by its pid.
        for pid in $(pgrep -P "$daemon" || true); do kill -9 "$pid" 2>/dev/null || true; done
        kill "$daemon" 2>/dev/null || true
        wait "$daemon" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
"$bin/sevhost-sim" --sim-state "$dir/sim" --print-pdh "$dir/pdh.cert"
"$bin/sevhost" session "$dir/pdh.cert" 0x1 --out "$dir" --name owner >/dev/null 2>&1
cat > "$dir/spec.yaml" <<SPEC
name: template
vcpus: 2
cpu: EPYC-v4
memory: 1G
firmware:
  path: /usr/share/OVMF/OVMF_CODE.fd
confidential:
  type: sev
  policy: "0x1"
  pre-attestation: true
  dh-cert-file: $dir/owner_godh.b64
  session-file: $dir/owner_session.b64
SPEC
SEVHOST_SIM_STATE="$dir/sim" SEVHOST_SIM_SECRET_OUT=guest-secrets.bin \
    "$bin/sevhostd" --socket "$dir/d.sock" --state-dir "$dir/state" --run-dir "$dir/run" \
    --qemu "$bin/sevhost-sim" --cbitpos 51 --reduced-phys-bits 1 --log-level warning 2>"$dir/daemon.log" &
daemon=$!
for _ in $(seq 100); do [ -S "$dir/d.sock" ] && break; sleep 0.1; done
sleep 0.5

echo "machine: $(uname -srm); $(nproc) CPUs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "sevhostd $("$bin/sevhostd" --version), release build; sevhost-sim in front of $(/usr/bin/qemu-system-x86_64 --version | head -1) (Debian OVMF, SEV, 2 vCPUs, 1 GiB, paused)"
python3 benchmarks/daemon_launches.py "$dir/d.sock" "$dir/spec.yaml" "$daemon" "$count"
