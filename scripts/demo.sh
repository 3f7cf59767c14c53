#!/usr/bin/env bash
# The README's first command: install, build, build the tiny test guest, and run a demo job in it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build-test-guest.sh .build/test-guest
demo=.build/demo
mkdir -p "$demo"
guest="$(pwd)/.build/test-guest"
cat > "$demo/hangar.yml" <<YAML
# The demo: Hangar's own test guest (Debian's cloud kernel + busybox + dropbear), booted from its disk
# image; Hangar injects a fresh SSH key with a cloud-init seed and shares this folder at /hangar.
machines:
  default:
    image: $guest/disk.qcow2
    memory: 512M
    share: .
jobs:
  demo:
    tasks:
      - run: echo "hello from \$(hostname), kernel \$(uname -r)"; cat /hangar/hangar.yml | head -n 2
      - run: mkdir -p /tmp/results && uptime > /tmp/results/uptime.txt
      - use: collect
        with: { paths: ["/tmp/results/*.txt"] }
YAML
cd "$demo"
exec ../debug/hangar run demo
