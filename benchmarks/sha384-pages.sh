#!/usr/bin/env bash
# The hashing floor of the launch-digest benchmark (a): SHA-384 of each 4 KiB page of the firmware,
# timed with the BoringSSL objects of the static release build (what `sevhost digest` runs) and with
# the system's OpenSSL, in one process. Needs the build benchmarks/digest.sh makes (.build-static)
# and libssl-dev.   usage: benchmarks/sha384-pages.sh [FIRMWARE]
set -euo pipefail
cd "$(dirname "$0")/.."
firmware="${1:-/usr/share/OVMF/OVMF_CODE.fd}"
build=".build-static/x86_64-unknown-linux-gnu/release/CCryptoBoringSSL.build"
[ -d "$build" ] || { echo "sha384-pages.sh: run benchmarks/digest.sh first (it makes .build-static)" >&2; exit 1; }
out="$(mktemp -d /tmp/sevhost-sha384-XXXXXX)"
trap 'rm -rf "$out"' EXIT
# BoringSSL's objects include C++ (its FIPS module), hence g++ as the linker driver.
gcc -O2 -c benchmarks/sha384_pages.c -o "$out/main.o"
mapfile -t objects < <(find "$build" -name '*.o')
g++ "$out/main.o" "${objects[@]}" -lcrypto -lpthread -o "$out/sha384_pages"
"$out/sha384_pages" "$firmware"
