#!/usr/bin/env bash
# Prints a `dotnet test --filter` expression naming the test classes of tests/LabelPlatform.Tests that touch a database:
# those whose file uses a database fixture or the platform's data services, and, transitively, those that use a helper
# defined in such a file. tests/run.sh runs these a second time against PostgreSQL; pure unit tests run once.
set -euo pipefail
cd "$(dirname "$0")/LabelPlatform.Tests"

pattern='PlatformFactory|CorePlatform|TestDatabase|DatabaseInitializer|PlatformDbContext|AddPlatformCore|PlatformCli\.RunAsync|LabelPlatform\.(Web|Worker)\.dll'
files=""
while :; do
    found=$(grep -rlE --include='*.cs' "$pattern" . | grep -v '/obj/\|/bin/' | sort)
    # Classes (and records) declared in those files become part of the pattern: a test using such a helper touches the database too.
    names=$(grep -hoE '^\s*(public |internal )?(sealed |static |abstract )*(partial )?(class|record) [A-Z][A-Za-z0-9_]*' $found | awk '{print $NF}' | sort -u | paste -sd'|')
    [ "$found" = "$files" ] && break
    files=$found
    pattern="$pattern|\\b($names)\\b"
done

filter=""
for f in $files; do
    ns=$(sed -n 's/^namespace \([A-Za-z0-9_.]*\);.*/\1/p' "$f" | head -n 1)
    for class in $(grep -oE '^\s*public (sealed )?(partial )?class [A-Z][A-Za-z0-9_]*' "$f" | awk '{print $NF}'); do
        # Only classes with tests of their own (a fixture alone matches nothing and would only lengthen the filter).
        if grep -qE '\[(Fact|Theory)' "$f"; then
            filter="${filter:+$filter|}FullyQualifiedName~$ns.$class."
        fi
    done
done
printf '%s\n' "$filter"
