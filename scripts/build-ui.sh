#!/usr/bin/env bash
# Builds the dashboard into ui/dist, doing only what is out of date:
# `npm ci` when ui/node_modules is missing or older than package-lock.json,
# `vite build` when ui/dist is missing or older than any of its sources.
set -euo pipefail
cd "$(dirname "$0")/../ui"

if ! command -v npm >/dev/null 2>&1; then
	echo "build-ui: npm is missing (run scripts/deps.sh)" >&2
	exit 1
fi

stamp=node_modules/.package-lock.json
if [ ! -d node_modules ] || [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
	echo "build-ui: npm ci" >&2
	npm ci --no-audit --no-fund --loglevel=error
fi

sources=(src index.html package.json package-lock.json vite.config.ts svelte.config.js tsconfig.json)
[ -d public ] && sources+=(public)
if [ ! -f dist/index.html ] ||
	[ -n "$(find "${sources[@]}" -newer dist/index.html -print -quit 2>/dev/null)" ]; then
	echo "build-ui: vite build" >&2
	npm run --silent build
else
	echo "build-ui: ui/dist is up to date" >&2
fi
