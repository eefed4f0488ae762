#!/usr/bin/env bash
# Runs each unit test binary given, prints its own summary line and a total.
# Exits non-zero if any binary fails.
set -u
fail=0
for t in "$@"; do
	echo "== $t"
	if ! "$t"; then
		echo "FAILED: $t"
		fail=1
	fi
done
exit $fail
