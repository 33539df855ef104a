#!/usr/bin/env bash
# QMP round trips per second: sevhost's client against Python's qemu.qmp, both sequential
# query-status against the SAME QEMU 10 process in the same run (one client after the other,
# since a QMP socket serves one client at a time).
#
# usage: benchmarks/qmp.sh [COUNT] [ROUNDS]   (defaults 20000 and 5; needs .venv from
#        scripts/setup; SEVHOST_BENCH=path skips the release build)
# The load of a shared machine drifts within seconds, so after one long pass per client the
# script alternates ROUNDS short passes (COUNT/4 round trips each) of sevhost then qemu.qmp
# and prints the ratio of each round and their median.
# PIN=N runs QEMU and both clients on CPU N only (taskset): no cross-CPU wake-ups, so each round
# trip costs the sum of the client's and QEMU's CPU time, which is steadier on a shared VM.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-20000}"
rounds="${2:-5}"
qemu="${QEMU:-/usr/bin/qemu-system-x86_64}"
python=".venv/bin/python"
pin=()
if [ -n "${PIN:-}" ]; then pin=(taskset -c "$PIN"); fi

if [ -z "${SEVHOST_BENCH:-}" ]; then   # built as the sevhost a user installs (benchmarks/digest.sh)
    swift build -c release --static-swift-stdlib --product sevhost-bench --scratch-path .build-static >/dev/null
    SEVHOST_BENCH="$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/sevhost-bench"
fi
bench_bin="$SEVHOST_BENCH"
sevhost_qmp() { "${pin[@]}" "$bench_bin" qmp "$@"; }
py() { "${pin[@]}" "$python" "$@"; }

dir="$(mktemp -d /tmp/sevhost-qmp-bench-XXXXXX)"
socket="$dir/qmp.sock"
"${pin[@]}" "$qemu" -machine q35 -accel tcg -display none -nodefaults -S \
    -qmp "unix:$socket,server=on,wait=off" </dev/null >/dev/null 2>&1 &
qemu_pid=$!
cleanup() { kill "$qemu_pid" 2>/dev/null || true; wait "$qemu_pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 300); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || { echo "qmp.sh: QEMU did not create $socket" >&2; exit 1; }

echo "machine: $(uname -srm); $(nproc) CPUs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "qemu: $("$qemu" --version | head -1)"
echo "python: $("$python" --version 2>&1); qemu.qmp $("$python" -c 'import importlib.metadata as m; print(m.version("qemu.qmp"))')"
echo "count: $count sequential query-status round trips each${PIN:+; QEMU and clients pinned to CPU $PIN}"
# QEMU's own CPU time (user + system, all its threads) around each client run, per command:
# what that client's requests cost the server.
tick="$(getconf CLK_TCK)"
qemu_cpu() { awk '{print $14 + $15}' "/proc/$qemu_pid/stat"; }
run() {   # run LABEL COUNT COMMAND...: the client's own line, then QEMU's CPU per command
    local label=$1 n=$2 before after; shift 2
    before=$(qemu_cpu)
    "$@"
    after=$(qemu_cpu)
    echo "  QEMU CPU during $label: $(( (after - before) * 1000000 / tick / n )) us per query-status"
}
# Warm both paths once, then measure sequential round trips: sevhost, Python, sevhost again
# (so drift from other load on the machine shows), then 8 requests in flight for each.
sevhost_qmp "$socket" --count 200 >/dev/null
py benchmarks/qmp_roundtrips.py "$socket" 200 >/dev/null
run "sevhost (both lines)" $((2 * count)) sevhost_qmp "$socket" --count "$count"
run "qemu.qmp" "$count" py benchmarks/qmp_roundtrips.py "$socket" "$count"
run "sevhost (both lines)" $((2 * count)) sevhost_qmp "$socket" --count "$count"
sevhost_qmp "$socket" --count "$count" --concurrency 8
py benchmarks/qmp_roundtrips.py "$socket" "$count" 8
# The floor under every client: QEMU's own answer rate with no client library at all.
run "raw socket" "$count" py benchmarks/qmp_roundtrips.py "$socket" "$count" raw

# Alternating short passes: sevhost isolated to the client (how flows run) against qemu.qmp.
short=$((count / 4))
ratios=()
for round in $(seq "$rounds"); do
    ours=$(sevhost_qmp "$socket" --count "$short" | awk '/isolated/ {print $NF == "second" ? $(NF-2) : $NF}')
    theirs=$(py benchmarks/qmp_roundtrips.py "$socket" "$short" | awk '{print $(NF-2)}')
    ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN {printf "%.2f", a / b}')
    ratios+=("$ratio")
    echo "round $round ($short each): sevhost $ours/s, qemu.qmp $theirs/s, ratio ${ratio}x"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')
echo "median ratio over $rounds rounds (sevhost isolated / qemu.qmp, sequential): ${median}x"
