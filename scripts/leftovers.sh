#!/usr/bin/env bash
# Lists what the tests started that is still running — Hangar's own binaries, QEMU, PostgreSQL,
# RabbitMQ and the test fixtures, found by the sandboxes' and fixtures' paths in their command
# lines — and fails if there is any. The watchdogs that stop a test cluster when the test process
# is gone need a second or two, so it looks again for up to 20 s first. Part of the test command.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pattern="\.build/(debug|release)/hangar|/hangar-test-|/hangar-pg-|/hangar-rabbit-|/hangar-served-|/hangar-forge-|$root/Tests/Fixtures/"
list() { ps -eo pid=,stat=,args= | awk '$2 !~ /^Z/' | grep -E -- "$pattern" | grep -vE "leftovers\.sh|grep -E"; }
for _ in $(seq 20); do
    left="$(list)"
    [[ -z "$left" ]] && { echo "leftovers: none: every process the tests started has stopped"; exit 0; }
    sleep 1
done
echo "leftovers: the tests left these running (pid, state, command):" >&2
echo "$left" >&2
exit 1
