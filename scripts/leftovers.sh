#!/usr/bin/env bash
# Lists what the tests started that is still running — Hangar's own binaries, QEMU, PostgreSQL,
# RabbitMQ and the test fixtures, found by the sandboxes' and fixtures' paths in their command
# lines — and fails if there is any. The watchdogs that stop a test cluster when the test process
# is gone need a second or two, so it looks again for up to 20 s first. Part of the test command.
# With a file listing the temporary folder's `hangar-*` entries before the tests (one per line,
# sorted), it also fails on those the tests left there (a sandbox, a cluster's folder).
set -uo pipefail
before="${1:-}"
temporary="${TMPDIR:-/tmp}"
root="$(cd "$(dirname "$0")/.." && pwd)"
pattern="\.build/(debug|release)/hangar|/hangar-test-|/hangar-pg-|/hangar-rabbit-|/hangar-served-|/hangar-forge-|$root/Tests/Fixtures/"
list() { ps -eo pid=,stat=,args= | awk '$2 !~ /^Z/' | grep -E -- "$pattern" | grep -vE "leftovers\.sh|grep -E"; }
files() { [[ -n "$before" ]] && comm -13 "$before" <(ls -d "$temporary"/hangar-* 2>/dev/null | sort); }
for _ in $(seq 20); do
    left="$(list)"
    [[ -z "$left" ]] && break
    sleep 1
done
if [[ -n "$left" ]]; then
    echo "leftovers: the tests left these running (pid, state, command):" >&2
    echo "$left" >&2
    exit 1
fi
echo "leftovers: none: every process the tests started has stopped"
left="$(files)"
if [[ -n "$left" ]]; then
    echo "leftovers: the tests left these in $temporary:" >&2
    echo "$left" >&2
    exit 1
fi
[[ -n "$before" ]] && echo "leftovers: none in $temporary either"
exit 0
