#!/usr/bin/env bash
# sevhostd's KDS cache against nginx (Debian's) serving the same VCEK from disk, on loopback:
# cached VCEK requests answered per second, measured by wrk (one thread, 32 connections, 10 s
# each, after a warm-up request). Upstream is kds_server.py serving AMD's real Milan chain and
# VCEK from the test-data pool; it is asked once, before the measurement.
#
# usage: benchmarks/kds-cache.sh   (release build of sevhostd; nginx-light and wrk, scripts/setup)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
testdata="${SEVHOST_TESTDATA:-$root/../shared/testdata}"
swift build -c release --product sevhostd >/dev/null 2>&1 || swift build -c release --product sevhostd
bin="$(swift build -c release --show-bin-path)"
chip=d49554ec717f4e5b0fe6b143bcf0405bd7ae304727edf46603f2a76aef6a3abc15d7af38db757039029f0efacfd08e244324884738c72b082e2f87a44d541eb6
path="/vcek/v1/Milan/$chip?blSPL=3&teeSPL=0&snpSPL=8&ucodeSPL=115"

dir="$(mktemp -d /tmp/kds-bench-XXXXXX)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Upstream: the routes kds_server.py serves.
cat > "$dir/routes.json" <<JSON
{"/vcek/v1/Milan/cert_chain": {"file": "$testdata/virtee-sev/tests/certs_data/cert_chain_milan"},
 "$path": {"file": "$testdata/virtee-sev/tests/certs_data/vcek_milan.der"}}
JSON
python3 Tests/Fixtures/kds_server.py "$dir/routes.json" "$dir/upstream.log" > "$dir/upstream.port" &
pids+=($!)
for _ in $(seq 50); do grep -q PORT "$dir/upstream.port" && break; sleep 0.1; done
upstream="http://127.0.0.1:$(awk '{print $2}' "$dir/upstream.port")"

port=$(free_port)
"$bin/sevhostd" --socket "$dir/d.sock" --state-dir "$dir/state" --run-dir "$dir/run" --cbitpos 51 --reduced-phys-bits 1 \
    --kds-listen "127.0.0.1:$port" --kds-upstream "$upstream" --kds-cache-dir "$dir/cache" --log-level warning 2>"$dir/daemon.log" &
pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
curl -sf -o "$dir/warm.der" "http://127.0.0.1:$port$path"
cmp "$dir/warm.der" "$testdata/virtee-sev/tests/certs_data/vcek_milan.der"

# nginx: the same bytes from a file at the same path (the query is ignored).
nport=$(free_port)
mkdir -p "$dir/www/vcek/v1/Milan"
cp "$testdata/virtee-sev/tests/certs_data/vcek_milan.der" "$dir/www/vcek/v1/Milan/$chip"
chmod 755 "$dir"; chmod -R a+rX "$dir/www"   # nginx's workers run as www-data
cat > "$dir/nginx.conf" <<CONF
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/nginx.error.log;
events { worker_connections 1024; }
http {
    access_log off;
    default_type application/pkix-cert;
    client_body_temp_path $dir/tmp;
    server { listen 127.0.0.1:$nport; root $dir/www; }
}
CONF
mkdir -p "$dir/tmp"
nginx -c "$dir/nginx.conf" -p "$dir" 2>/dev/null
for _ in $(seq 50); do curl -sf -o "$dir/nginx.der" "http://127.0.0.1:$nport$path" && break; sleep 0.1; done
[ -f "$dir/nginx.der" ] || { echo "nginx did not answer:"; cat "$dir/nginx.error.log"; exit 1; }
cmp "$dir/nginx.der" "$dir/warm.der"

rate() { wrk -t1 -c32 -d10s "$1" | awk '/Requests\/sec/ {print $2}'; }
echo "machine: $(uname -srm); $(nproc) CPUs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "sevhostd $("$bin/sevhostd" --version) (release) vs $(nginx -v 2>&1 | sed 's/.*: //'); wrk -t1 -c32 -d10s, the Milan VCEK (1360 bytes)"
ours=$(rate "http://127.0.0.1:$port$path")
theirs=$(rate "http://127.0.0.1:$nport$path")
echo "sevhostd KDS cache: $ours requests/s"
echo "nginx (file from disk): $theirs requests/s"
python3 -c "print(f'ratio: {$ours / $theirs:.2f}x nginx')"
echo "upstream requests: $(wc -l < "$dir/upstream.log")"
