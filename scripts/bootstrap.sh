#!/usr/bin/env bash
# Installs what Kassa's demo and test suite need on a fresh Debian machine, then the
# Python environment from uv.lock. Safe to run again: it only installs what is missing.
#   scripts/bootstrap.sh            Python environment only (enough for the demo)
#   scripts/bootstrap.sh --test     also Debian's chromium, postgresql, node and npm, and the
#                                   JavaScript checkers (tsc, biome) from package-lock.json
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_missing=()
have() { command -v "$1" >/dev/null 2>&1; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ "$want_test" = 1 ]; then
    have chromium || apt_missing+=(chromium)
    [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] || apt_missing+=(postgresql)
    have node || apt_missing+=(nodejs)
    # Debian ships npm as its own package (NodeSource's nodejs bundles it).
    have npm || apt_missing+=(npm)
fi
have python3 || apt_missing+=(python3 python3-venv python3-pip)

if [ "${#apt_missing[@]}" -gt 0 ]; then
    echo "bootstrap: installing Debian packages: ${apt_missing[*]}"
    sudo_ apt-get update -qq
    DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi

if ! have uv; then
    echo "bootstrap: installing uv"
    python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv \
        || python3 -m pip install --quiet --break-system-packages uv
    export PATH="$HOME/.local/bin:$PATH"
fi

uv sync --frozen --quiet

# The JavaScript checkers (make lint, make types); the demo needs none of them. npm ci starts
# from an empty node_modules each time, so it runs only when package-lock.json changed since.
if [ "$want_test" = 1 ] && ! cmp -s package-lock.json node_modules/.kassa-package-lock.json; then
    echo "bootstrap: installing the JavaScript checkers from package-lock.json"
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.kassa-package-lock.json
fi
