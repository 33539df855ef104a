#!/usr/bin/env bash
# What sevhost-sim's front costs a QMP client: query-status round trips through sevhost-sim
# against round trips straight to the same QEMU process, in one run.
#
# sevhost-sim runs the real QEMU 10 with a private QMP socket and relays the client's socket to
# it; query-status is passed on byte for byte. The same QEMU's private socket takes a client
# directly when the front holds no connection to it, so the two clients take turns on one QEMU:
# ROUNDS rounds of COUNT round trips direct, then COUNT through the front (the load of a shared
# machine drifts, so the rounds alternate and the median is the figure). The client is the
# no-library raw socket of benchmarks/qmp_roundtrips.py, so that what differs is the front.
# Around each pass the script reads the CPU time of QEMU and of sevhost-sim (/proc/PID/stat).
#
# usage: benchmarks/front.sh [COUNT] [ROUNDS]   (defaults 5000 and 5; release build; needs .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-5000}"
rounds="${2:-5}"
python=".venv/bin/python"
for product in sevhost-sim sevhost; do
    swift build -c release --product "$product" >/dev/null 2>&1 || swift build -c release --product "$product"
done
bin="$(swift build -c release --show-bin-path)"

dir="$(mktemp -d /tmp/sevhost-front-bench-XXXXXX)"
sim_pid=""
cleanup() {
    if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
    rm -rf "$dir"
}
trap cleanup EXIT
"$bin/sevhost-sim" --sim-state "$dir/sim" --print-pdh "$dir/pdh.cert"
"$bin/sevhost" session "$dir/pdh.cert" 0x1 --out "$dir" --name owner >/dev/null 2>&1
"$bin/sevhost-sim" --sim-state "$dir/sim" -name guest=bench -machine q35,confidential-guest-support=sev0 -accel kvm \
    -cpu EPYC-v4 -smp 2 -m 1024M \
    -object "sev-guest,id=sev0,cbitpos=51,reduced-phys-bits=1,policy=0x1,dh-cert-file=$dir/owner_godh.b64,session-file=$dir/owner_session.b64" \
    -drive if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE.fd,readonly=on -display none \
    -qmp "unix:$dir/qmp.sock,server=on,wait=off" -S </dev/null >/dev/null 2>"$dir/sim.log" &
sim_pid=$!
# Ready once QEMU's greeting comes through the front (the launch is measured by then).
"$python" benchmarks/qmp_roundtrips.py "$dir/qmp.sock" 10 raw >/dev/null
qemu_pid="$(pgrep -P "$sim_pid" qemu-system)"
private="$(tr '\0' '\n' < "/proc/$qemu_pid/cmdline" | grep -m1 '/qmp0.sock,' | sed 's/^unix://; s/,.*//')"

echo "machine: $(uname -srm); $(nproc) CPUs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "qemu: $(/usr/bin/qemu-system-x86_64 --version | head -1); $(grep -m1 'running the guest' "$dir/sim.log" | sed 's/^sevhost-sim: //' || echo 'under KVM')"
echo "count: $count sequential query-status round trips per pass, $rounds rounds"
tick="$(getconf CLK_TCK)"
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rate() { "$python" benchmarks/qmp_roundtrips.py "$1" "$count" raw | awk '{print $(NF-2)}'; }
overheads=()
for round in $(seq "$rounds"); do
    direct=$(rate "$private")
    qemu_before=$(cpu "$qemu_pid"); sim_before=$(cpu "$sim_pid")
    front=$(rate "$dir/qmp.sock")
    qemu_cpu=$(( ($(cpu "$qemu_pid") - qemu_before) * 1000000 / tick / count ))
    sim_cpu=$(( ($(cpu "$sim_pid") - sim_before) * 1000000 / tick / count ))
    line=$(awk -v d="$direct" -v f="$front" 'BEGIN {
        printf "%.1f %.1f %+.1f %+.0f", 1e6 / d, 1e6 / f, 1e6 / f - 1e6 / d, (d / f - 1) * 100 }')
    read -r direct_us front_us added_us percent <<<"$line"
    overheads+=("$percent")
    echo "round $round: direct ${direct}/s (${direct_us} us), through the front ${front}/s (${front_us} us): ${added_us} us per command (${percent}%); CPU per command during the front pass: QEMU ${qemu_cpu} us, sevhost-sim ${sim_cpu} us"
done
median=$(printf '%s\n' "${overheads[@]}" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')
echo "median added time over $rounds rounds: ${median}% per query-status round trip"
