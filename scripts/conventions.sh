#!/usr/bin/env bash
# Conventions the compiler does not check (part of the test command): no error code is compared
# with a string (compare `HangarError.Code`'s members, ErrorCodes.swift), and no state name is
# typed out in SQL (`RunState.queued.sql`, `RunState.endedBadly.sqlList`: Database/StateNames.swift),
# and nothing sleeps but on a clock it was given (`clock.sleep`) or in `Poll` (HangarCore/Support/Poll.swift),
# which waits on the world outside Hangar.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
codes="$(grep -rnE 'code[[:space:]]*(==|!=)[[:space:]]*"|\["[a-z]+\.[a-z.-]+"[^]]*\]\.contains\([a-z$0]+\.code\)' Sources)"
if [[ -n "$codes" ]]; then
    echo "conventions: error codes compared with strings (use HangarError.Code's members):" >&2
    echo "$codes" >&2
    status=1
fi
states="$(grep -rnE "'(queued|running|passed|failed|error|cancelled|timed-out|skipped|pending|lost|fail|pass)'" Sources/HangarStore | grep -vE '^[^:]+:[0-9]+:[[:space:]]*//')"
if [[ -n "$states" ]]; then
    echo "conventions: state names typed out in SQL (use RunState.X.sql or .sqlList):" >&2
    echo "$states" >&2
    status=1
fi
sleeps="$(grep -rn 'Task\.sleep' Sources | grep -v '^Sources/HangarCore/Support/Poll.swift:')"
if [[ -n "$sleeps" ]]; then
    echo "conventions: Task.sleep outside Poll (sleep on an injected clock, or Poll.until for the outside world):" >&2
    echo "$sleeps" >&2
    status=1
fi
[[ $status -eq 0 ]] && echo "conventions: error codes are typed; state names in SQL come from their enums; sleeps are on a given clock"
exit $status
