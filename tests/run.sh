#!/usr/bin/env bash
# The whole test suite, from a clean clone: installs Debian's chromium for the Playwright tests and Debian's
# postgresql when they are missing, restores, builds and runs every test project on SQLite, then the tests that touch a
# database (tests/database-tests.sh) again on a throw-away PostgreSQL cluster, and the labelling pages' node unit tests
# (tests/js); prints one closing line "N passed, N failed" over all of them.
# LABELPLATFORM_SKIP_POSTGRES=1 leaves the PostgreSQL pass out (it then counts as one failure: nothing is hidden).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then
    echo "Installing Debian chromium for the browser tests..." >&2
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "Installing Debian postgresql for the PostgreSQL pass..." >&2
    # No packaged cluster: the pass starts its own and removes it afterwards.
    $sudo mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.conf >/dev/null
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
fi

# npm's s3rver (package.json devDependencies): the image-store tests start it as a real S3 server. Installed from the
# lock when node_modules is missing or older than the lock.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "Installing the npm test dependencies (npm ci)..." >&2
    npm ci --no-audit --no-fund >/dev/null
fi

results="TestResults/run"
rm -rf "$results"
mkdir -p "$results/sqlite" "$results/postgres"
export E2E_ARTIFACTS="${E2E_ARTIFACTS:-$PWD/TestResults/screenshots}"
# Test hosts never reload appsettings.json: each host's config watcher is an inotify instance, and a few dozen live
# hosts (plus other processes of the same user) reach the kernel's default limit of 128.
export DOTNET_hostBuilder__reloadConfigOnChange=false

set +e
dotnet test LabelPlatform.sln --logger "trx" --logger "console;verbosity=normal" --results-directory "$results/sqlite" "$@"
status=$?
set -e

# The PostgreSQL pass: a cluster in a temp directory, reachable only on its Unix socket there, stopped and removed
# whatever happens (trap). Each test class creates and drops its own database in it (see TestDatabase).
pg_status=0
if [ "${LABELPLATFORM_SKIP_POSTGRES:-0}" != "1" ]; then
    pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    pgdir=$(mktemp -d /tmp/labelplatform-pg.XXXXXX)
    as=()
    if [ "$(id -u)" -eq 0 ]; then
        # PostgreSQL refuses to run as root: its own system user (from the package), else nobody.
        pguser=postgres
        id -u "$pguser" >/dev/null 2>&1 || pguser=nobody
        chown "$pguser" "$pgdir"
        as=(runuser -u "$pguser" --)
    fi
    stop_pg() {
        "${as[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$pgdir"
    }
    trap stop_pg EXIT
    "${as[@]}" "$pgbin/initdb" -D "$pgdir/data" -U postgres --auth=trust --no-locale -E UTF8 >"$results/postgres/initdb.log" 2>&1
    # Durability off: the cluster lives for this run only.
    "${as[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w start \
        -o "-k $pgdir -c listen_addresses='' -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null
    set +e
    LABELPLATFORM_TEST_DATABASE="$pgdir" dotnet test tests/LabelPlatform.Tests --no-build --logger "trx" --logger "console;verbosity=normal" \
        --results-directory "$results/postgres" --filter "$(bash tests/database-tests.sh)"
    pg_status=$?
    set -e
    cp "$pgdir/server.log" "$results/postgres/server.log" 2>/dev/null || true
    stop_pg
    trap - EXIT
fi

passed=0
failed=0
pg_failed=0
for trx in "$results"/sqlite/*.trx "$results"/postgres/*.trx; do
    [ -e "$trx" ] || continue
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    p=$(printf '%s' "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')
    f=$(printf '%s' "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    case "$trx" in "$results"/postgres/*) pg_failed=$((pg_failed + ${f:-0})) ;; esac
done
# dotnet test failing without a failed test means a project did not build or a test host crashed: that is a
# failure too, never "0 failed" (one project's results must not hide another that never ran).
if [ "$status" -ne 0 ] && [ "$((failed - pg_failed))" -eq 0 ]; then
    echo "dotnet test exited with status $status without a failed test: a project did not build or a test host crashed" >&2
    failed=$((failed + 1))
fi

if [ "${LABELPLATFORM_SKIP_POSTGRES:-0}" = "1" ]; then
    echo "LABELPLATFORM_SKIP_POSTGRES=1: the PostgreSQL pass did not run" >&2
    failed=$((failed + 1))
elif [ "$pg_status" -ne 0 ] && [ "$pg_failed" -eq 0 ]; then
    echo "the PostgreSQL pass exited with status $pg_status without a failed test" >&2
    failed=$((failed + 1))
fi
if [ "$status" -eq 0 ] && [ "$pg_status" -ne 0 ]; then
    status=$pg_status
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
