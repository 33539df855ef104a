#!/usr/bin/env bash
# QMP round trips per second: sevhost's client against Python's qemu.qmp, both sequential
# query-status against the SAME QEMU 10 process in the same run (one client after the other,
# since a QMP socket serves one client at a time).
#
# usage: benchmarks/qmp.sh [COUNT]        (default 20000; needs .venv from scripts/setup)
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-20000}"
qemu="${QEMU:-/usr/bin/qemu-system-x86_64}"
python=".venv/bin/python"

swift build -c release --product sevhost >/dev/null
sevhost="$(swift build -c release --show-bin-path)/sevhost"

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
# Warm both paths once, then measure: sevhost, Python, sevhost again (so drift shows).
"$sevhost" qmp "$socket" bench --count 200 >/dev/null
"$python" benchmarks/qmp_roundtrips.py "$socket" 200 >/dev/null
"$sevhost" qmp "$socket" bench --count "$count"
"$python" benchmarks/qmp_roundtrips.py "$socket" "$count"
"$sevhost" qmp "$socket" bench --count "$count"
