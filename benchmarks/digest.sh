#!/usr/bin/env bash
# Launch-digest benchmark: `sevhost digest` (release build) against sev-snp-measure, and the
# SHA-256 hashing limit (`openssl dgst -sha256`) for the kernel + initrd case.
#   (a) Debian's 2 MiB OVMF, --mode snp, 4 vCPUs          (aim: >= 10x faster than the peer)
#   (b) AmdSev fixture + 12 MiB kernel + 256 MiB initrd     (aim: <= 1.3x the hashing limit)
# Results: bench-out/digest-{a,b}.md (markdown tables from hyperfine); paste into BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/bench-out"
mkdir -p "$OUT"

command -v hyperfine >/dev/null || { echo "==> installing hyperfine"; apt-get install -y -qq hyperfine >/dev/null; }

# The build a user installs (README, "Installing"): release, with the Swift runtime and
# Foundation linked in. Its own scratch path, so the dynamic release build the other benchmarks
# use is not rebuilt back and forth. SEVHOST=path skips the build.
if [ -z "${SEVHOST:-}" ]; then
    echo "==> release build (--static-swift-stdlib)"
    swift build -c release --static-swift-stdlib --product sevhost --scratch-path .build-static >/dev/null
    SEVHOST="$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/sevhost"
fi
PEER="$ROOT/.venv/bin/sev-snp-measure"
TESTDATA="${SEVHOST_TESTDATA:-$ROOT/../shared/testdata}"
AMDSEV="$TESTDATA/virtee-sev-snp-measure/tests/fixtures/ovmf_AmdSev_suffix.bin"
OVMF=/usr/share/OVMF/OVMF_CODE.fd

# Deterministic pseudo-random kernel and initrd (AES-CTR keystream), generated once.
DATA="$OUT/digest-data"
mkdir -p "$DATA"
gen() {   # gen FILE MIB
    [ -f "$1" ] && [ "$(stat -c %s "$1")" -eq $(( $2 << 20 )) ] && return
    # openssl dies of SIGPIPE when head has enough; that is the expected end.
    { openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f -iv 00000000000000000000000000000000 \
        -in /dev/zero 2>/dev/null || true; } | head -c $(( $2 << 20 )) > "$1"
}
gen "$DATA/vmlinuz" 12
gen "$DATA/initrd.img" 256
KERNEL="$DATA/vmlinuz" INITRD="$DATA/initrd.img"
APPEND="console=ttyS0 root=/dev/vda1 ro"

# The outputs must agree before timing means anything.
A=(--mode snp --vcpus 4 --vcpu-type EPYC-v4 --ovmf "$OVMF")
B=(--mode snp --vcpus 4 --vcpu-type EPYC-v4 --ovmf "$AMDSEV" --kernel "$KERNEL" --initrd "$INITRD" --append "$APPEND")
[ "$("$SEVHOST" digest "${A[@]}")" = "$("$PEER" "${A[@]}")" ] || { echo "case (a): digests differ" >&2; exit 1; }
[ "$("$SEVHOST" digest "${B[@]}")" = "$("$PEER" "${B[@]}")" ] || { echo "case (b): digests differ" >&2; exit 1; }

q() { printf '%q ' "$@"; }
echo "==> (a) Debian OVMF, snp, 4 vCPUs"
# With the floors: process start-up alone (`sevhost --version`) and reading + SHA-384 of the
# firmware by OpenSSL's CLI (one hash; the digest hashes each of its 4 KiB pages as well).
hyperfine -N --warmup 5 --min-runs "${RUNS:-40}" --export-markdown "$OUT/digest-a.md" \
    -n "sevhost digest" "$(q "$SEVHOST" digest "${A[@]}")" \
    -n "sev-snp-measure" "$(q "$PEER" "${A[@]}")" \
    -n "sevhost --version (start-up alone)" "$(q "$SEVHOST" --version)" \
    -n "openssl dgst -sha384 OVMF_CODE.fd (read + hash)" "$(q openssl dgst -sha384 "$OVMF")"

echo "==> (b) AmdSev + 12 MiB kernel + 256 MiB initrd, snp, 4 vCPUs"
hyperfine -N --warmup 2 --min-runs 10 --export-markdown "$OUT/digest-b.md" \
    -n "sevhost digest" "$(q "$SEVHOST" digest "${B[@]}")" \
    -n "sev-snp-measure" "$(q "$PEER" "${B[@]}")" \
    -n "openssl dgst -sha256 (kernel+initrd)" "$(q openssl dgst -sha256 "$KERNEL" "$INITRD")"

echo "==> machine"
lscpu | grep 'Model name' || true
echo "nproc: $(nproc); load: $(cut -d' ' -f1-3 /proc/loadavg); $(hyperfine --version)"
echo "sevhost: $SEVHOST ($(ldd "$SEVHOST" | wc -l) shared objects)"
