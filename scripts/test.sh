#!/usr/bin/env bash
# The README's test command (and CI's): install, check the format, build, build the test guests,
# run every test, then fuzz the API from its OpenAPI document.
set -euo pipefail
cd "$(dirname "$0")/.."
# Whatever happens, it ends by listing what the tests left running, and fails if they left anything.
finish() {
    local status=$?
    bash scripts/leftovers.sh || status=1
    exit "$status"
}
trap finish EXIT
bash scripts/setup.sh
swift format lint --strict -r Sources Tests Benchmarks Package.swift
bash scripts/build-test-guest.sh .build/test-guest
bash scripts/build-debian-guest.sh .build/debian-guest
swift build --build-tests
# The tests that measure how promptly something comes back (a cancel, an exit, a refused connection)
# run first and alone, so the other suites' load on two cores does not decide them.
prompt='CommandTests|remoteSaysAtOnceThatNothingAnswers'
# Then, alone: the Debian guest's boot (systemd, cloud-init, 1 GiB under TCG), which beside the
# other suites took over 5 minutes.
heavy='DebianGuestTests'
export HANGAR_TEST_GUEST="$(pwd)/.build/test-guest" HANGAR_DEBIAN_GUEST="$(pwd)/.build/debian-guest"
swift test --skip-build --disable-xctest --filter "$prompt"
swift test --skip-build --disable-xctest --no-parallel --filter "$heavy"
swift test --skip-build --disable-xctest --skip "$prompt|$heavy"
bash scripts/fuzz-api.sh 60
