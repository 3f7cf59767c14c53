#!/usr/bin/env bash
# Issue 23's tunnel benchmark: bytes sent to a port of a kept machine through `hangar remote forward`
# (the coordinator and a remote worker that dials back, as across hosts) against the same bytes sent
# straight to the port's forward on the worker, in the same run; prints MB/s and the ratio.
# Usage: scripts/bench-tunnel.sh [MB] (default 200). Needs the test guest (scripts/build-test-guest.sh)
# and a built hangar: HANGAR=.build/release/hangar for the README's figures (default the debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
megabytes="${1:-200}"
hangar="$(realpath "${HANGAR:-.build/debug/hangar}")"
guest="$(pwd)/.build/test-guest"
[ -x "$hangar" ] && [ -f "$guest/vmlinuz" ] || { echo "build first: swift build && bash scripts/build-test-guest.sh" >&2; exit 2; }
root="$(mktemp -d "${TMPDIR:-/tmp}/hangar-bench-tunnel-XXXXXX")"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    # The kept machine, whatever happened.
    pkill -KILL -f "qemu-system.*$root" 2>/dev/null || true
    rm -rf "$root"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

mkdir -p "$root/projects/bench"
cat > "$root/projects/bench/hangar.yml" <<YAML
machines:
  default:
    kernel: $guest/vmlinuz
    initrd: $guest/initrd.img
    append: console=ttyS0 quiet no_timer_check
    ssh: { identity: $guest/id_ed25519 }
    memory: 512M
    accel: tcg
    ports: ["0:9000"]
jobs:
  sink:
    keep: 30m
    tasks:
      - run: (while true; do nc -l -p 9000 | wc -c >> /tmp/received; done) > /dev/null 2>&1 < /dev/null &
YAML
export HANGAR_STATE_DIR="$root/state" HANGAR_CACHE_DIR="$root/cache"
token="$("$hangar" token create --role operator --name bench)"
worker_token="$("$hangar" token create --role worker --name worker)"
port="$(free_port)"
server="http://127.0.0.1:$port"
"$hangar" serve --projects "$root/projects" --port "$port" --no-worker --name coordinator > "$root/serve.log" 2>&1 &
pids+=($!)
until curl -fs "$server/healthz" > /dev/null; do sleep 0.2; done
HANGAR_STATE_DIR="$root/worker" "$hangar" worker --server "$server" --token "$worker_token" --name far --slots 1 > "$root/worker.log" 2>&1 &
pids+=($!)
export HANGAR_TOKEN="$token" HANGAR_SERVER="$server"
run="$("$hangar" remote up bench/sink --for 30m 2> "$root/up.log" | head -1)"
direct="$("$hangar" remote machines --json | python3 -c "import json,sys; k=[k for k in json.load(sys.stdin) if k['run']==$run][0]; print(k['machines'][0]['ports'][0]['host'])")"
local="$(free_port)"
"$hangar" remote forward "$run" "$local:9000" > "$root/forward.log" 2>&1 &
pids+=($!)
sleep 1
if [ -n "${BENCH_PAUSE:-}" ]; then
    echo "run $run; direct port $direct; forward $local; HANGAR_SERVER=$server HANGAR_TOKEN=$token; root $root" >&2
    sleep "$BENCH_PAUSE"
fi

# Sends MB megabytes to 127.0.0.1:PORT; prints MB/s.
send() {
    python3 - "$1" "$megabytes" <<'PY'
import socket, sys, time
port, megabytes = int(sys.argv[1]), int(sys.argv[2])
chunk = b"\0" * (1 << 20)
for attempt in range(50):
    try:
        s = socket.create_connection(("127.0.0.1", port))
        break
    except OSError:
        time.sleep(0.2)
start = time.monotonic()
for _ in range(megabytes):
    s.sendall(chunk)
s.shutdown(socket.SHUT_WR)
s.recv(1)
s.close()
print(f"{megabytes / (time.monotonic() - start):.1f}")
PY
}
straight="$(send "$direct")"
sleep 1
tunnelled="$(send "$local")"
echo "tunnel throughput, $megabytes MB into a kept TCG guest's port (nc | wc -c), $(basename "$(dirname "$hangar")") build:"
echo "  straight to the worker's forward:        $straight MB/s"
echo "  through the coordinator and the worker:  $tunnelled MB/s"
python3 -c "print(f'  ratio tunnel/straight: {$tunnelled / $straight:.2f}  (issue 23 goal: 50 MB/s through the tunnel)')"
# What the guest received, each connection's bytes on a line: the sends count only if all arrived.
sleep 2
received="$("$hangar" remote ssh "$run" -- -i "$guest/id_ed25519" -o BatchMode=yes cat /tmp/received)"
echo "  received by the guest (bytes per connection): $(echo $received)"
expected=$((megabytes * 1048576))
for bytes in $received; do
    [ "$bytes" = "$expected" ] || { echo "bench-tunnel: a connection delivered $bytes bytes of $expected" >&2; exit 1; }
done
[ "$(echo $received | wc -w)" = 2 ] || { echo "bench-tunnel: the guest did not get both connections" >&2; exit 1; }
[ -z "${BENCH_DEBUG:-}" ] || tail -n 5 "$root/forward.log" "$root/worker.log" "$root/serve.log"
"$hangar" remote destroy "$run" > /dev/null
