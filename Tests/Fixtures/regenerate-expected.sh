#!/usr/bin/env bash
# Rewrites Tests/Fixtures/expected/ from the current build. Only for a deliberate change of the
# output: review `git diff Tests/Fixtures/expected` line by line before committing the result.
set -euo pipefail
cd "$(dirname "$0")/../.."
SEVHOST=${SEVHOST:-.build/debug/sevhost}
HOSTS="$PWD/Tests/Fixtures/hosts"
OUT=Tests/Fixtures/expected
export NO_COLOR=1
for dir in "$HOSTS"/*/; do
    host=$(basename "$dir")
    "$SEVHOST" ok --host-root "$HOSTS/$host" | sed "s#$HOSTS#@HOSTS@#g" > "$OUT/$host.txt" || true
    "$SEVHOST" ok --json --host-root "$HOSTS/$host" | sed "s#$HOSTS#@HOSTS@#g" > "$OUT/$host.json" || true
done
for host in milan-snp guest-vm; do
    for mode in short verbose; do
        "$SEVHOST" ok --$mode --host-root "$HOSTS/$host" | sed "s#$HOSTS#@HOSTS@#g" > "$OUT/$host.$mode.txt" || true
    done
done
for host in milan-sev-firmware-not-taken family1a-unknown-snp genoa-no-es-asids genoa-snp-features intel; do
    "$SEVHOST" ok --verbose --host-root "$HOSTS/$host" | sed "s#$HOSTS#@HOSTS@#g" > "$OUT/$host.verbose.txt" || true
done
