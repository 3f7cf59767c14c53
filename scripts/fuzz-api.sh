#!/usr/bin/env bash
# Fuzzes the REST API from its own OpenAPI document with schemathesis (every check, positive and
# negative data), against a real `hangar serve`, with an admin token and with none. Fails on any
# finding, and if the server is not still up afterwards. Part of the README's test command.
#
# Usage: scripts/fuzz-api.sh [SECONDS-PER-PASS]   (default 60; the seed is fixed and printed)
set -euo pipefail
cd "$(dirname "$0")/.."
budget="${1:-60}"
seed="${HANGAR_FUZZ_SEED:-20261202}"
venv=.build/fuzz-venv
if [[ ! -x "$venv/bin/schemathesis" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "schemathesis==4.32.5"
fi

work="$(mktemp -d)"
server=""
cleanup() {
    [[ -n "$server" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/projects/demo"
cat > "$work/projects/demo/hangar.yml" <<'YAML'
machines:
  default: { image: ./none.qcow2 }    # never booted: the jobs run host tasks only
jobs:
  null: { tasks: [{ host: "true" }] }
  greet:
    parameters: { WHO: { default: you }, HOW: { default: Hello } }
    tasks: [{ host: 'echo "$HOW, $WHO"; mkdir -p "$HANGAR_RUN_DIR/artifacts" && echo "$WHO" > "$HANGAR_RUN_DIR/artifacts/who.txt"' }]
YAML
export HANGAR_STATE_DIR="$work/state" HANGAR_CACHE_DIR="$work/cache"
hangar=.build/debug/hangar
token="$("$hangar" token create --role admin --name fuzz)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$hangar" serve --projects "$work/projects" --port "$port" --capacity 2 >"$work/serve.log" 2>&1 &
server=$!
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
# A few runs, so ids that exist are found too.
for _ in 1 2 3; do curl -fs -X POST -H "Authorization: Bearer $token" "$base/api/v1/projects/demo/jobs/null/runs" >/dev/null; done
curl -fs -X POST -H "Authorization: Bearer $token" -d '{"parameters":{"WHO":"fuzz"}}' "$base/api/v1/projects/demo/jobs/greet/runs" >/dev/null

echo "fuzz: schemathesis, seed $seed, ${budget}s per pass, against $base"
status=0
for pass in token anonymous; do
    headers=()
    [[ $pass == token ]] && headers=(-H "Authorization: Bearer $token")
    echo "fuzz: pass '$pass'"
    "$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run "$base/api/v1/openapi.json" --checks all \
        --seed "$seed" --max-time "$budget" --workers 1 --request-timeout 10 --no-color "${headers[@]}" || status=1
done
if ! curl -fs "$base/healthz" >/dev/null; then
    echo "fuzz: the server is no longer up; its log:" >&2
    tail -50 "$work/serve.log" >&2
    exit 1
fi
echo "fuzz: the server is still up"
exit $status
