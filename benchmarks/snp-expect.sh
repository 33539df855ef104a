#!/usr/bin/env bash
# `sevhost report verify --expect SPEC` against `sevhost report verify --measurement HEX` over
# the same N simulated attestation reports of one signed SNP guest, in one run: what checking
# every report against everything the spec implies (measurement, policy, HOST_DATA, key digests,
# ID block fields, VMPL; the spec's firmware hashed and its keys read once per run) costs next to
# checking the measurement alone. Both runs verify the chain, the signature and the TCB of every
# report. The two modes alternate ROUNDS times, so the shared machine's drift touches both.
# Writes a Markdown section to stdout. Usage: benchmarks/snp-expect.sh [N] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
TESTDATA=${SEVHOST_TESTDATA:-../shared/testdata}
N=${1:-1000}
ROUNDS=${2:-3}
OVMF=/usr/share/ovmf/OVMF.fd
swift build -c release --product sevhost >/dev/null
swift build -c release --product sevhost-bench >/dev/null
BIN="$(swift build -c release --show-bin-path)/sevhost"
BENCH="$(swift build -c release --show-bin-path)/sevhost-bench"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cat > "$WORK/guest.yaml" <<SPEC
name: bench-guest
vcpus: 4
cpu: EPYC-Milan
memory: 4G
firmware:
  path: $OVMF
confidential:
  type: sev-snp
  policy: smt
  id-key: $TESTDATA/virtee-sev-snp-measure/tests/keyfile/id_key_test.pem
  author-key: $TESTDATA/virtee-sev-snp-measure/tests/keyfile/author_key_test.pem
  family-id: "000000000000000000000000000000aa"
  guest-svn: 2
  host-data: c2V2aG9zdCBzYW1wbGUgaG9zdCBkYXRhIDMyIGJ5dGU=
SPEC
MEASUREMENT=$("$BENCH" snp-reports "$WORK/guest.yaml" --out "$WORK/reports" --count "$N")
COMMON=(--certs "$WORK/reports/certs" --test-root "$WORK/reports/certs/ark.pem")

# Both must pass on every report, or the rates measure failures.
"$BIN" report verify "$WORK"/reports/report-*.bin "${COMMON[@]}" --expect "$WORK/guest.yaml" > "$WORK/expect.txt"
"$BIN" report verify "$WORK"/reports/report-*.bin "${COMMON[@]}" --measurement "$MEASUREMENT" > "$WORK/measurement.txt"
[ "$(grep -c ': VALID (' "$WORK/expect.txt")" = "$N" ] && [ "$(grep -c ': VALID (' "$WORK/measurement.txt")" = "$N" ]

python3 - "$BIN" "$WORK" "$MEASUREMENT" "$N" "$ROUNDS" <<'PY'
import glob, platform, statistics, subprocess, sys, time
binary, work, measurement, n, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
reports = sorted(glob.glob(f"{work}/reports/report-*.bin"))
common = ["--certs", f"{work}/reports/certs", "--test-root", f"{work}/reports/certs/ark.pem"]
modes = {
    "expect": ["--expect", f"{work}/guest.yaml"],
    "measurement": ["--measurement", measurement],
}
def run(mode):
    start = time.perf_counter()
    subprocess.run([binary, "report", "verify", *reports, *common, *modes[mode]], check=True, stdout=subprocess.DEVNULL)
    return n / (time.perf_counter() - start)
rates = {mode: [] for mode in modes}
for _ in range(rounds):
    for mode in modes:
        rates[mode].append(run(mode))
def sh(cmd):
    return subprocess.run(["sh", "-c", cmd], capture_output=True, text=True).stdout.strip()
cpu = sh("lscpu | sed -n 's/^Model name: *//p'")
print("## SNP reports against a spec")
print()
print(f"machine: {cpu}, {sh('nproc')} cores, Linux {platform.release()}, {sh('swift --version 2>&1 | head -1')}")
print()
print(f"{n} simulated reports of one signed guest (4 vCPUs, Debian's OVMF, ID and author key, host data), "
      f"each verified in full (chain to the named test root, ECDSA signature, TCB and chip binding), "
      f"one `sevhost report verify` process per pass (release build), {rounds} alternating passes:")
print()
print("| command | reports/s per pass | median |")
print("|---|---|---:|")
for mode, label in [("expect", "`report verify REPORTS --expect SPEC`"), ("measurement", "`report verify REPORTS --measurement HEX`")]:
    print(f"| {label} | {', '.join(f'{r:,.0f}' for r in rates[mode])} | {statistics.median(rates[mode]):,.0f} |")
print()
ratio = statistics.median(rates["expect"]) / statistics.median(rates["measurement"])
print(f"`--expect` runs at {ratio:.2f}x the rate of `--measurement` (aim: at least 0.8x); its extra cost is "
      f"the spec's launch digest and key digests, once per process, and ten more comparisons per report.")
PY
