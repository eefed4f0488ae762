#!/usr/bin/env bash
# The dashboard's tests: Vitest (API client, formatting, state), then the
# end-to-end run against the real build/lab-fleet in headless chromium.
# The last line is the end-to-end summary: "ui-e2e: N passed, M failed".
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

"$root/scripts/build-ui.sh" || exit 1
cd "$root/ui"

echo "== vitest"
if ! timeout 120 npx --no-install vitest run; then
	echo "ui: vitest failed"
	vitest_failed=1
else
	vitest_failed=0
fi

echo "== end-to-end (chromium, build/lab-fleet --dev)"
timeout --kill-after=10 180 node tests/e2e/run.mjs
e2e=$?
if [ $e2e -eq 124 ] || [ $e2e -eq 137 ]; then
	echo "ui-e2e: 0 passed, 1 failed"
fi
[ $vitest_failed -eq 0 ] && [ $e2e -eq 0 ]
