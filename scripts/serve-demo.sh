#!/usr/bin/env bash
# Server mode in one step, after scripts/demo.sh: a projects folder holding the demo project, an
# operator token for you, and `hangar serve` on http://127.0.0.1:8400 (extra arguments go to serve).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .build/debug/hangar ] && [ -f .build/test-guest/disk.qcow2 ] || bash scripts/demo.sh
root="$(pwd)/.build/demo-server"
guest="$(pwd)/.build/test-guest"
mkdir -p "$root/projects/demo"
cat > "$root/projects/demo/hangar.yml" <<YAML
# The demo project: Hangar's test guest, booted from its disk with a cloud-init seed.
machines:
  default:
    image: $guest/disk.qcow2
    memory: 512M
jobs:
  demo:
    parameters:
      GREETING: { default: hello, description: what the guest says }
    triggers:
      - { cron: "0 3 * * *", timezone: UTC }
    tasks:
      - run: echo "\$GREETING from \$(hostname), kernel \$(uname -r)"
      - run: for step in 1 2 3 4 5; do echo "step \$step"; sleep 1; done
      - run: mkdir -p /tmp/results && uptime > /tmp/results/uptime.txt
      - use: collect
        with: { paths: ["/tmp/results/*.txt"] }
YAML
export HANGAR_STATE_DIR="$root/state"
token="$(.build/debug/hangar token create --role operator --name demo)"
echo "Open http://127.0.0.1:8400 and sign in with this operator token:"
echo "  $token"
echo "Or from a shell: HANGAR_TOKEN=$token .build/debug/hangar remote trigger demo/demo -f"
exec .build/debug/hangar serve --projects "$root/projects" "$@"
