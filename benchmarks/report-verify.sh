#!/usr/bin/env bash
# SNP attestation reports verified per second by sevhost (decode + ECDSA P-384 signature + TCB,
# chip and key binding against the VCEK, with the ARK/ASK/VCEK chain parsed and verified once),
# next to OpenSSL's raw ECDSA P-384 verify rate measured in the same run: the signature check is
# the floor, so the ratio shows what sevhost adds per report. Writes a Markdown section to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
TESTDATA=${SEVHOST_TESTDATA:-../shared/testdata}
N=${N:-20000}
SECONDS_OPENSSL=${SECONDS_OPENSSL:-5}
swift build -c release --product sevhost >/dev/null
swift build -c release --product sevhost-bench >/dev/null
BIN="$(swift build -c release --show-bin-path)/sevhost"
BENCH="$(swift build -c release --show-bin-path)/sevhost-bench"
CERTS=$(mktemp -d)
trap 'rm -rf "$CERTS"' EXIT
cp "$TESTDATA/virtee-sev/tests/certs_data/cert_chain_milan" "$TESTDATA/virtee-sev/tests/certs_data/vcek_milan.der" "$CERTS/"
REPORT="$TESTDATA/virtee-sev/tests/certs_data/report_milan.hex"

# One full verification first: the chain and report must verify, or the rate means nothing.
"$BIN" report verify "$REPORT" --certs "$CERTS" >/dev/null
SEVHOST_LINE=$("$BENCH" report-verify "$REPORT" --certs "$CERTS" --count "$N")
OPENSSL_LINE=$(openssl speed -seconds "$SECONDS_OPENSSL" ecdsap384 2>/dev/null | grep 'nistp384')

python3 - "$SEVHOST_LINE" "$OPENSSL_LINE" "$N" "$SECONDS_OPENSSL" <<'PY'
import platform, re, subprocess, sys
sevhost_line, openssl_line, n, secs = sys.argv[1:5]
sevhost_rate = float(re.search(r"([0-9.]+) reports/s", sevhost_line).group(1))
openssl_verify = float(openssl_line.split()[-1])
def sh(cmd):
    return subprocess.run(["sh", "-c", cmd], capture_output=True, text=True).stdout.strip()
cpu = sh("lscpu | sed -n 's/^Model name: *//p'")
print("## SNP report verification")
print()
print(f"machine: {cpu}, {sh('nproc')} cores, Linux {platform.release()}, {sh('openssl version')}, "
      f"{sh('swift --version 2>&1 | head -1')}")
print()
print("| measurement | rate |")
print("|---|---|")
print(f"| `sevhost-bench report-verify report_milan.hex --certs DIR --count {n}` (release; decode + signature + binding, chain cached) | {sevhost_rate:,.0f} reports/s |")
print(f"| `openssl speed -seconds {secs} ecdsap384`, verify column (raw P-384 ECDSA) | {openssl_verify:,.0f} verify/s |")
print()
print(f"sevhost reaches {100 * sevhost_rate / openssl_verify:.0f}% of OpenSSL's raw verify rate "
      f"({sevhost_line.strip()}).")
PY
