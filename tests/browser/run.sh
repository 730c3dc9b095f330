#!/usr/bin/env bash
# The web client in a real browser: headless Chromium from Debian's packages driven by Selenium
# (pinned in requirements.txt) through /usr/bin/chromedriver, against `kvar serve` on a fresh
# database seeded by `kvar demo`. axe-core (vendored) checks every screen; screenshots go to
# target/browser-artifacts/. Nothing leaves the machine: the driver's path is given (Selenium
# Manager never runs), its statistics are off, and Chromium resolves no host but loopback.
#
#   tests/browser/run.sh                      # SQLite
#   tests/browser/run.sh --database postgres  # a scratch PostgreSQL database
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -x /usr/bin/chromedriver ] || ! command -v chromium >/dev/null; then
  echo "browser: installing chromium and chromium-driver from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
fi

venv=target/browser-venv
want="selenium $(sed -n 's/^selenium==//p' tests/browser/requirements.txt)"
have="$("$venv/bin/python" -c 'import selenium; print("selenium", selenium.__version__)' 2>/dev/null || true)"
if [ "$have" != "$want" ]; then
  echo "browser: installing $want into $venv"
  mkdir -p target
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/browser/requirements.txt
fi
if [ ! -x target/debug/kvar ] || [ "${KVAR_BROWSER_BUILD:-1}" = 1 ]; then
  cargo build --quiet
fi
export SE_AVOID_STATS=true SE_OFFLINE=true
exec "$venv/bin/python" tests/browser/test_web.py --kvar target/debug/kvar "$@"
