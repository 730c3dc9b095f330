#!/usr/bin/env bash
# Schemathesis against kvar's own OpenAPI document, once per principal (security table row 4).
# Makes (or reuses) a virtualenv in target/schemathesis-venv from tests/fuzz/requirements.txt,
# builds target/debug/kvar if it is missing, then runs tests/fuzz/run.py with the arguments
# given. KVAR_FUZZ_EXAMPLES sets the examples per operation (default 200: the long run).
#
#   tests/fuzz/schemathesis.sh                      # the long run, SQLite, every principal
#   KVAR_FUZZ_EXAMPLES=5 tests/fuzz/schemathesis.sh # what CI runs
#   tests/fuzz/schemathesis.sh --database postgres  # on a scratch PostgreSQL database
#   tests/fuzz/schemathesis.sh --principals caseworker,anonymous --kvar target/release/kvar
set -euo pipefail
cd "$(dirname "$0")/../.."

# CPython 3.11.0-3.11.7 and 3.12.0-3.12.1 raise "AST constructor recursion depth mismatch" inside
# hypothesis (CPython gh-106905), which schemathesis reports as errors: take an interpreter
# without that bug (pyenv's 3.13 on the project's machines), else python3 as it is.
fixed_python() {
  local c
  for c in python3.13 /root/.pyenv/versions/3.13*/bin/python3 "$(command -v pyenv >/dev/null && pyenv root)"/versions/3.1[3-9]*/bin/python3 python3.12 python3; do
    if "$c" -c 'import sys; v = sys.version_info[:3]; sys.exit(not ((3, 11, 8) <= v < (3, 12) or v >= (3, 12, 2)))' 2>/dev/null; then
      echo "$c"
      return
    fi
  done
  echo python3
}

venv=target/schemathesis-venv
py=$(fixed_python)
ver='import sys; print(sys.version.split()[0])'
want="schemathesis $(sed -n 's/^schemathesis==//p' tests/fuzz/requirements.txt) on $("$py" -c "$ver")"
# (Nothing there yet on a fresh machine: the probes may fail.)
have="$({ "$venv/bin/schemathesis" --version 2>/dev/null || true; } | sed -n 's/.*version /schemathesis /p') on $("$venv/bin/python" -c "$ver" 2>/dev/null || true)"
if [ "$have" != "$want" ]; then
  echo "fuzz: installing $want into $venv"
  mkdir -p target
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/fuzz/requirements.txt
fi
if [ ! -x target/debug/kvar ]; then
  cargo build --quiet
fi
# The custom checks can fail (a few unit tests, under a second).
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests/fuzz/test_hooks.py
export SCHEMATHESIS="$PWD/$venv/bin/schemathesis"
exec "$venv/bin/python" tests/fuzz/run.py "$@"
