#!/usr/bin/env bash
# `sevhost ok --host-root <fixture>` against `sevhost --version` (process start-up alone):
# the medians of many runs, measured by hyperfine in one session, with the machine it ran on.
# The probe's own work is the difference; the aim is less than half of the start-up time.
# Both release builds are measured: the one a user installs (README, "Installing": the Swift
# runtime linked in, `--static-swift-stdlib`, as benchmarks/digest.sh builds it) and the default
# dynamic one (`swift build -c release`), whose start-up loads ~50 shared objects.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup >/dev/null
swift build -c release --static-swift-stdlib --product sevhost --scratch-path .build-static >/dev/null
STATIC="$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/sevhost"
swift build -c release --product sevhost >/dev/null
DYNAMIC="$(swift build -c release --show-bin-path)/sevhost"
FIXTURE=Tests/Fixtures/hosts/milan-snp
OUT=$(mktemp -d)
RUNS=${RUNS:-300}
hyperfine --shell=none --warmup 20 --runs "$RUNS" --export-json "$OUT/ok.json" \
    -n "static --version" "$STATIC --version" \
    -n "static ok" "$STATIC ok --host-root $FIXTURE" \
    -n "dynamic --version" "$DYNAMIC --version" \
    -n "dynamic ok" "$DYNAMIC ok --host-root $FIXTURE" >/dev/null
python3 - "$OUT/ok.json" "$RUNS" <<'PY'
import json, platform, subprocess, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
cpu = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True).stdout.strip()
print(f"machine: {cpu}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, Linux {platform.release()}; load {open('/proc/loadavg').read().split()[:3]}")
print(f"runs: {sys.argv[2]} each (hyperfine, --shell=none, 20 warm-up runs, the four commands in one run)")
print("| build | `sevhost --version` (start-up alone), median | `sevhost ok --host-root Tests/Fixtures/hosts/milan-snp`, median | the probe's own work | share of start-up (aim: under 50%) |")
print("|---|---:|---:|---:|---:|")
for build in ("static", "dynamic"):
    startup = results[f"{build} --version"]["median"] * 1000
    ok = results[f"{build} ok"]["median"] * 1000
    print(f"| {build} | {startup:.2f} ms | {ok:.2f} ms | {ok - startup:.2f} ms | {100 * (ok - startup) / startup:.0f}% |")
PY
rm -rf "$OUT"
