#!/usr/bin/env bash
# The whole test suite, from a clean clone: installs Debian's chromium for the Playwright tests when it is missing,
# restores, builds and runs every test project, then prints one closing line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then
    echo "Installing Debian chromium for the browser tests..." >&2
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

results="TestResults/run"
rm -rf "$results"
mkdir -p "$results"
export E2E_ARTIFACTS="${E2E_ARTIFACTS:-$PWD/TestResults/screenshots}"

set +e
dotnet test LabelPlatform.sln --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" "$@"
status=$?
set -e

passed=0
failed=0
found=0
for trx in "$results"/*.trx; do
    [ -e "$trx" ] || continue
    found=1
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    p=$(printf '%s' "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')
    f=$(printf '%s' "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
done
# A build that fails before any test runs is a failure, not "no tests".
if [ "$found" -eq 0 ] && [ "$status" -ne 0 ]; then
    failed=1
fi

echo "$passed passed, $failed failed"
exit "$status"
