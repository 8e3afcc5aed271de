#!/usr/bin/env bash
# Install what Tonegate needs on Debian/Ubuntu: Apertium with its language pairs, redis-server,
# and a virtual environment in .venv with the project. Safe to run again.
#   scripts/setup.sh         the gateway (Apertium engines, lingua, Redis)
#   scripts/setup.sh test    plus the neural engines (CPU torch) and the test tools
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3 python3-venv python3-dev
  redis-server
  apertium apertium-eng-spa apertium-fr-es apertium-es-pt apertium-spa-ita apertium-eng-cat
)
# The web app tests drive Debian's Chromium (Playwright never downloads a browser of its own);
# wrk is the load generator of bench/webhooks.py.
[ "${1:-}" = "test" ] && APT_PACKAGES+=(chromium fonts-dejavu-core wrk)
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The distribution's service is not used: the gateway starts its own redis-server child.

PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "${1:-}" = "test" ]; then
  # torch first and pinned: an unpinned torch pulled in by transformers is a multi-GB CUDA build.
  .venv/bin/pip install -q "torch==2.13.0"
  .venv/bin/pip install -q -e ".[test]"
else
  .venv/bin/pip install -q -e .
fi
echo "ready: .venv/bin/tonegate --help"
