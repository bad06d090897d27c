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
for trx in "$results"/*.trx; do
    [ -e "$trx" ] || continue
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    p=$(printf '%s' "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')
    f=$(printf '%s' "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
done
# dotnet test failing without a failed test means a project did not build or a test host crashed: that is a
# failure too, never "0 failed" (one project's results must not hide another that never ran).
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    echo "dotnet test exited with status $status without a failed test: a project did not build or a test host crashed" >&2
    failed=1
fi

echo "$passed passed, $failed failed"
exit "$status"
