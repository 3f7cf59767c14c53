#!/usr/bin/env bash
# The build service's loop without the internet, after scripts/demo.sh (run as root: the local
# RabbitMQ runs as the `rabbitmq` user): a stand-in for the Open Build Service that "built" the
# test guest's disk as a KIWI image, a RabbitMQ node of its own, and `hangar serve --bus`. It
# publishes the two events OBS publishes — the package built, then its repository published — and
# follows the run they start: the newest image is resolved through the (stand-in's) OBS API,
# downloaded from its published repository, checked against its .sha256, booted and tested.
# Everything it starts is stopped when it ends (or on Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .build/debug/hangar ] && [ -f .build/test-guest/disk.qcow2 ] || bash scripts/demo.sh
dpkg-query -W -f='${Status}' rabbitmq-server 2>/dev/null | grep -q "ok installed" || bash scripts/setup.sh
hangar="$(pwd)/.build/debug/hangar"
root="$(mktemp -d /tmp/hangar-obs-demo-XXXXXX)"
chmod 755 "$root"  # the rabbitmq user reaches its folder inside
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
obs_port=""; serve=""; rabbit=""; stand=""
node="hangar-demo@localhost"
rabbit_env() {
    runuser -u rabbitmq -- env HOME="$root/rabbit" RABBITMQ_NODENAME="$node" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
        RABBITMQ_NODE_PORT="$amqp_port" RABBITMQ_DIST_PORT="$dist_port" ERL_EPMD_PORT="$epmd_port" \
        RABBITMQ_MNESIA_BASE="$root/rabbit/mnesia" RABBITMQ_LOG_BASE="$root/rabbit/log" \
        RABBITMQ_ENABLED_PLUGINS_FILE="$root/rabbit/enabled_plugins" RABBITMQ_CONFIG_FILE="$root/rabbit/rabbitmq" \
        RABBITMQ_CONF_ENV_FILE="$root/rabbit/rabbitmq-env.conf" ERL_CRASH_DUMP="$root/rabbit/erl_crash.dump" "$@"
}
cleanup() {
    [[ -n "$serve" ]] && kill "$serve" 2>/dev/null && wait "$serve" 2>/dev/null || true
    [[ -n "$rabbit" ]] && { rabbit_env /usr/lib/rabbitmq/bin/rabbitmqctl -n "$node" stop >/dev/null 2>&1 || true; epmd -port "$epmd_port" -kill >/dev/null 2>&1 || true; }
    [[ -n "$stand" ]] && kill "$stand" 2>/dev/null || true
    rm -rf "$root"
}
trap cleanup EXIT

# 1. The OBS stand-in: project devel:kanku:images, package JeOS, built and published.
mkdir -p "$root/obs"
cp .build/test-guest/disk.qcow2 "$root/obs/JeOS.x86_64-1.0-Build1.1.qcow2"
cat > "$root/obs/state.json" <<JSON
{"project": "devel:kanku:images", "package": "JeOS", "repository": "images_leap", "arch": "x86_64",
 "state": "published", "code": "succeeded",
 "files": [{"filename": "JeOS.x86_64-1.0-Build1.1.qcow2", "path": "$root/obs/JeOS.x86_64-1.0-Build1.1.qcow2"}]}
JSON
python3 Tests/Fixtures/obs_server.py "$root/obs/state.json" > "$root/obs/port" &
stand=$!
for _ in $(seq 50); do [[ -s "$root/obs/port" ]] && break; sleep 0.1; done
obs_port="$(cat "$root/obs/port")"

# 2. A RabbitMQ node of its own, with the management plugin (the demo publishes through its HTTP API).
amqp_port="$(free_port)"; dist_port="$(free_port)"; epmd_port="$(free_port)"; web_port="$(free_port)"
mkdir -p "$root/rabbit"
echo "[rabbitmq_management]." > "$root/rabbit/enabled_plugins"
echo "management.tcp.port = $web_port" > "$root/rabbit/rabbitmq.conf"
chown -R rabbitmq: "$root/rabbit"
echo "obs-demo: starting RabbitMQ (about 10 s)"
rabbit_env /usr/lib/rabbitmq/bin/rabbitmq-server > "$root/rabbit/server.log" 2>&1 &
rabbit=$!
until rabbit_env /usr/lib/rabbitmq/bin/rabbitmqctl -n "$node" --timeout 60 await_startup >/dev/null 2>&1; do
    kill -0 "$rabbit" 2>/dev/null || { cat "$root/rabbit/server.log"; exit 1; }
    sleep 1
done
until curl -fs -u guest:guest "http://127.0.0.1:$web_port/api/overview" >/dev/null; do sleep 0.5; done
curl -fs -u guest:guest -X PUT -H 'content-type: application/json' -d '{"type": "topic", "durable": true}' \
    "http://127.0.0.1:$web_port/api/exchanges/%2F/pubsub"
publish() {
    local body
    body="$(python3 -c 'import json,sys; print(json.dumps({"properties": {"delivery_mode": 2}, "routing_key": sys.argv[1], "payload": sys.argv[2], "payload_encoding": "string"}))' "$1" "$2")"
    curl -fs -u guest:guest -X POST -H 'content-type: application/json' -d "$body" "http://127.0.0.1:$web_port/api/exchanges/%2F/pubsub/publish" >/dev/null
}

# 3. The project: its machine is the newest image OBS built; its job runs when OBS published it.
mkdir -p "$root/projects/kiwi"
cat > "$root/projects/kiwi/hangar.yml" <<YAML
machines:
  default:
    image:
      obs:
        project: devel:kanku:images
        package: JeOS
        repository: images_leap
        arch: x86_64
        api: http://127.0.0.1:$obs_port/public                 # openSUSE's: https://api.opensuse.org/public
        download: http://127.0.0.1:$obs_port/repositories      # openSUSE's: https://download.opensuse.org/repositories
    memory: 512M
jobs:
  test:
    triggers: [{ obs: default }]
    tasks:
      - run: echo "testing \$HANGAR_OBS_PACKAGE of \$HANGAR_OBS_PROJECT on \$(uname -sr)"
YAML
export HANGAR_STATE_DIR="$root/state" HANGAR_CACHE_DIR="$root/cache"
token="$("$hangar" token create --role operator --name demo)"
port="$(free_port)"
"$hangar" serve --projects "$root/projects" --port "$port" --bus "amqp://guest:guest@127.0.0.1:$amqp_port" > "$root/serve.log" 2>&1 &
serve=$!
until curl -fs "http://127.0.0.1:$port/readyz" | grep -q "bus: connected"; do sleep 0.3; done
curl -fs "http://127.0.0.1:$port/readyz"

# 4. What OBS publishes when the package built, then when its repository was published.
echo "obs-demo: OBS says: JeOS built in devel:kanku:images images_leap/x86_64"
publish opensuse.obs.package.build_success \
    '{"project": "devel:kanku:images", "package": "JeOS", "repository": "images_leap", "arch": "x86_64", "bcnt": "1", "reason": "new build"}'
sleep 1
echo "obs-demo: OBS says: images_leap of devel:kanku:images is published"
publish opensuse.obs.repo.published '{"project": "devel:kanku:images", "repo": "images_leap", "buildid": "1"}'
export HANGAR_SERVER="http://127.0.0.1:$port" HANGAR_TOKEN="$token"
run=""
for _ in $(seq 100); do
    run="$("$hangar" remote runs --json --limit 1 | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r[0]["id"] if r else "")')"
    [[ -n "$run" ]] && break
    sleep 0.2
done
[[ -n "$run" ]] || { echo "obs-demo: no run started; the server said:"; cat "$root/serve.log"; exit 1; }
echo "obs-demo: run $run started (cause: OBS build); its log:"
"$hangar" remote logs "$run" -f
