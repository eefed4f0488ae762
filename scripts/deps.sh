#!/usr/bin/env bash
# Installs the Debian packages lab-fleet needs to build, test, run and
# benchmark, but only those that are missing, so a second run is instant.
set -euo pipefail

pkgs=(build-essential clang pkg-config libmicrohttpd-dev libjansson-dev
	libsqlite3-dev libsodium-dev libcurl4-openssl-dev check python3
	sqlite3 chromium wrk nginx-light curl)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing+=("$p")
	fi
done
# Node.js may come from elsewhere on the machine; install Debian's only
# when there is none at all.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	missing+=(nodejs npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}" >&2
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
fi
