#!/usr/bin/env bash
# QMP round trips per second: sevhost's client against Python's qemu.qmp, both sequential
# query-status against the SAME QEMU 10 process in the same run (one client after the other,
# since a QMP socket serves one client at a time).
#
# usage: benchmarks/qmp.sh [COUNT]   (default 20000; needs .venv from scripts/setup;
#                                    SEVHOST=path skips the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-20000}"
qemu="${QEMU:-/usr/bin/qemu-system-x86_64}"
python=".venv/bin/python"

if [ -z "${SEVHOST:-}" ]; then   # the build a user installs, as benchmarks/digest.sh uses
    swift build -c release --static-swift-stdlib --product sevhost --scratch-path .build-static >/dev/null
    SEVHOST="$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/sevhost"
fi
sevhost="$SEVHOST"

dir="$(mktemp -d /tmp/sevhost-qmp-bench-XXXXXX)"
socket="$dir/qmp.sock"
"$qemu" -machine q35 -accel tcg -display none -nodefaults -S \
    -qmp "unix:$socket,server=on,wait=off" </dev/null >/dev/null 2>&1 &
qemu_pid=$!
cleanup() { kill "$qemu_pid" 2>/dev/null || true; wait "$qemu_pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 300); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || { echo "qmp.sh: QEMU did not create $socket" >&2; exit 1; }

echo "machine: $(uname -srm); $(nproc) CPUs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "qemu: $("$qemu" --version | head -1)"
echo "python: $("$python" --version 2>&1); qemu.qmp $("$python" -c 'import importlib.metadata as m; print(m.version("qemu.qmp"))')"
echo "count: $count sequential query-status round trips each"
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
"$sevhost" qmp "$socket" bench --count 200 >/dev/null
"$python" benchmarks/qmp_roundtrips.py "$socket" 200 >/dev/null
run "sevhost (both lines)" $((2 * count)) "$sevhost" qmp "$socket" bench --count "$count"
run "qemu.qmp" "$count" "$python" benchmarks/qmp_roundtrips.py "$socket" "$count"
run "sevhost (both lines)" $((2 * count)) "$sevhost" qmp "$socket" bench --count "$count"
"$sevhost" qmp "$socket" bench --count "$count" --concurrency 8
"$python" benchmarks/qmp_roundtrips.py "$socket" "$count" 8
# The floor under every client: QEMU's own answer rate with no client library at all.
run "raw socket" "$count" "$python" benchmarks/qmp_roundtrips.py "$socket" "$count" raw
