#!/usr/bin/env bash
# The short failure tests for CI (about a minute on the 2-core machine): kill -9 durability,
# 3 rounds per backend; SIGTERM under load once on SQLite; a 10 s PostgreSQL outage on a private
# cluster; two instances on one PostgreSQL, one killed under load (one round). The full runs are
# in tests/failure/README.md.
#
#   tests/failure/ci.sh            # uses target/debug/kvar (KVAR_BIN overrides)
#
# PostgreSQL: the durability run uses KVAR_TEST_POSTGRES_URL (default
# postgres://postgres@127.0.0.1:5432/postgres) and creates and drops its own database there;
# the outage run never touches that server (it creates, stops and removes a cluster of its own,
# as user postgres when run as root).
set -euo pipefail
cd "$(dirname "$0")/../.."

export KVAR_BIN="${KVAR_BIN:-target/debug/kvar}"
export KVAR_TEST_POSTGRES_URL="${KVAR_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if [[ ! -x "$KVAR_BIN" ]]; then
    cargo build --bin kvar
fi

started=$SECONDS
status=0
run() {
    echo "== $*"
    local t=$SECONDS
    if ! python3 "$@"; then
        status=1
        echo "== FAILED: $*"
    fi
    echo "== $(( SECONDS - t )) s"
}

run tests/failure/durability.py --backend sqlite,postgres --rounds 3
run tests/failure/shutdown.py --backend sqlite --runs 1
run tests/failure/outage.py --outage 10 --before 3 --after 6
run tests/failure/instances.py --rounds 1 --min-run 1 --max-run 2 --after 1.5
echo "== failure tests: $(( SECONDS - started )) s, $([[ $status == 0 ]] && echo PASS || echo FAILED)"
exit $status
