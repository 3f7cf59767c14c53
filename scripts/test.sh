#!/usr/bin/env bash
# The README's test command (and CI's): install, build, build the test guest, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build-test-guest.sh .build/test-guest
swift build --build-tests
HANGAR_TEST_GUEST="$(pwd)/.build/test-guest" swift test --skip-build --disable-xctest
