#!/usr/bin/env bash
# `sevhost ok --host-root <fixture>` against `sevhost --version` (process start-up alone):
# the medians of many runs, measured by hyperfine in one session, with the machine it ran on.
# The probe's own work is the difference; the aim is less than half of the start-up time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup >/dev/null
swift build -c release --product sevhost >/dev/null
BIN="$(swift build -c release --show-bin-path)/sevhost"
FIXTURE=Tests/Fixtures/hosts/milan-snp
OUT=$(mktemp -d)
RUNS=${RUNS:-300}
hyperfine --shell=none --warmup 20 --runs "$RUNS" --export-json "$OUT/ok.json" \
    -n "sevhost --version" "$BIN --version" \
    -n "sevhost ok --host-root milan-snp" "$BIN ok --host-root $FIXTURE" >/dev/null
python3 - "$OUT/ok.json" "$RUNS" <<'PY'
import json, platform, subprocess, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
startup = results["sevhost --version"]["median"] * 1000
ok = results["sevhost ok --host-root milan-snp"]["median"] * 1000
cpu = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True).stdout.strip()
print(f"machine: {cpu}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, Linux {platform.release()}")
print(f"runs: {sys.argv[2]} each (hyperfine, --shell=none, 20 warm-up runs)")
print(f"| command | median (ms) |")
print(f"|---|---|")
print(f"| `sevhost --version` (start-up alone) | {startup:.2f} |")
print(f"| `sevhost ok --host-root Tests/Fixtures/hosts/milan-snp` | {ok:.2f} |")
print(f"probe's own work: {ok - startup:.2f} ms = {100 * (ok - startup) / startup:.0f}% of start-up (aim: under 50%)")
PY
rm -rf "$OUT"
