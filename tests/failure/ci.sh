#!/usr/bin/env bash
# The short failure tests for CI (about a minute on the 2-core machine, and ~20 s for PgBouncer):
# kill -9 durability, 3 rounds per backend; SIGTERM under load once on SQLite; a 10 s PostgreSQL
# outage on a private cluster; two instances on one PostgreSQL, one killed under load (one
# round); two instances behind PgBouncer in session mode through a PgBouncer restart, and what
# transaction mode breaks. The full runs are in tests/failure/README.md.
#
#   tests/failure/ci.sh            # uses target/debug/kvar (KVAR_BIN overrides)
#
# PostgreSQL: the durability run uses KVAR_TEST_POSTGRES_URL (default
# postgres://postgres@127.0.0.1:5432/postgres) and creates and drops its own database there;
# the outage run never touches that server (it creates, stops and removes a cluster of its own,
# as user postgres when run as root). PgBouncer (Debian's package) is installed when missing; the
# PgBouncer run starts its own pgbouncer processes on free ports, never the system's service.
set -euo pipefail
cd "$(dirname "$0")/../.."

export KVAR_BIN="${KVAR_BIN:-target/debug/kvar}"
export KVAR_TEST_POSTGRES_URL="${KVAR_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if [[ ! -x "$KVAR_BIN" ]]; then
    cargo build --bin kvar
fi

if ! command -v pgbouncer >/dev/null && [[ ! -x /usr/sbin/pgbouncer ]]; then
    echo "ci: installing PgBouncer from Debian's packages"
    # On failure pgbouncer.py below says what is missing and fails: no silent skip.
    (export DEBIAN_FRONTEND=noninteractive
     apt-get update -qq && apt-get install -y -qq pgbouncer >/dev/null) ||
        echo "ci: could not install pgbouncer"
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
run tests/failure/pgbouncer.py --before 1.5 --down 1 --after 2 --tx-ready 5 --tx-load 1
echo "== failure tests: $(( SECONDS - started )) s, $([[ $status == 0 ]] && echo PASS || echo FAILED)"
exit $status
