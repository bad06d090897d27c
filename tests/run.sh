#!/usr/bin/env bash
# The whole test suite, from a clean clone: installs Debian's chromium for the Playwright tests when it is missing,
# restores, builds and runs every test project and the labelling pages' node unit tests (tests/js), then prints one
# closing line "N passed, N failed" over both.
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

# The labelling pages' pure modules, with node's own test runner (no npm packages needed). TAP: "# pass N", "# fail N".
node_status=0
if command -v node >/dev/null 2>&1; then
    set +e
    node --test --test-reporter=tap tests/js/ | tee "$results/node.tap"
    node_status=${PIPESTATUS[0]}
    set -e
    np=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$results/node.tap" | tail -n 1)
    nf=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$results/node.tap" | tail -n 1)
    passed=$((passed + ${np:-0}))
    failed=$((failed + ${nf:-0}))
    if [ "$node_status" -ne 0 ] && [ "${nf:-0}" -eq 0 ]; then
        echo "node --test exited with status $node_status without a failed test" >&2
        failed=$((failed + 1))
    fi
else
    echo "node is not on PATH: the tests in tests/js did not run" >&2
    failed=$((failed + 1))
    node_status=1
fi

echo "$passed passed, $failed failed"
if [ "$status" -eq 0 ] && [ "$node_status" -ne 0 ]; then
    status=$node_status
fi
exit "$status"
