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
  offline:
    description: fails as a job does when the package mirror is down (a known infrastructure issue)
    tasks:
      - run: 'echo "E: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Could not resolve host: deb.debian.org"; exit 100'
YAML
# Known failures, one file each: a failed run whose log matches is labelled, and retried.
mkdir -p "$root/signatures"
cat > "$root/signatures/mirror-down.yml" <<YAML
kind: infrastructure
pattern: 'Could not resolve host: deb\.debian\.org'
issue: https://tracker.example.org/issues/1
retries: 1
delay: 10s
description: the Debian mirror did not answer
YAML
export HANGAR_STATE_DIR="$root/state"
token="$(.build/debug/hangar token create --role operator --name demo)"
echo "Open http://127.0.0.1:8400 and sign in with this operator token:"
echo "  $token"
echo "Or from a shell: HANGAR_TOKEN=$token .build/debug/hangar remote trigger demo/demo -f"
exec .build/debug/hangar serve --projects "$root/projects" --signatures "$root/signatures" "$@"
