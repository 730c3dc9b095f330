#!/usr/bin/env python3
"""Pause the access log's sealer of a kvar-bench PostgreSQL database, for an A/B of the read
figures with and without sealing (security table row 22: "the bench's read figures do not drop
beyond noise").

    python3 bench/seal_pause.py [seconds]

Waits for the next kvar-bench PostgreSQL database to appear (`kvar_bench_…`, made after this
starts: start kvar-bench when this has printed that it waits), then holds the access sealer's advisory lock (`Lock::AccessSealer` in
src/db/advisory.rs) in that database from a psql session for the given time (default 600 s):
every instance's sealer then prepares one batch and waits at its commit, while the reads and
their access-log rows go on as usual. Nothing in kvar is switched off and no setting exists
for it: the lock is the one two instances already share. Run it beside
`kvar-bench --spawn --backends postgres … --scenarios case_get,case_list`, then the same run
without it (bench/README.md, "The access log's seal and the read figures").
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "failure"))
import kvarlib  # noqa: E402  (the one reader of src/db/advisory.rs)


def access_sealer_key() -> int:
    """`Lock::AccessSealer`'s key, read from the one lock table (src/db/advisory.rs)."""
    key = kvarlib.advisory_keys().get("AccessSealer")
    if key is None:
        raise SystemExit("seal_pause: no Lock::AccessSealer key in src/db/advisory.rs")
    return key


def psql(db: str, sql: str) -> str:
    return subprocess.run(["psql", "-XAtq", f"{PG_SERVER}/{db}", "-c", sql], check=True,
                          capture_output=True, text=True).stdout


def bench_databases() -> set[str]:
    out = psql("postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'kvar_bench_%'")
    return set(out.split())


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 600.0
    key = access_sealer_key()
    before = bench_databases()
    print(f"seal_pause: waiting for a new kvar_bench_ database ({len(before)} there now); "
          "start kvar-bench now", flush=True)
    deadline = time.monotonic() + 600
    while True:
        new = bench_databases() - before
        if new:
            db = sorted(new)[0]
            break
        if time.monotonic() > deadline:
            print("seal_pause: no new kvar_bench_ database within 10 minutes", file=sys.stderr)
            return 1
        time.sleep(0.2)
    # Migrations run first in the new database; the lock is per database, so take it there.
    sql = (f"SELECT pg_advisory_lock({key}); "
           f"SELECT 'sealer paused'; SELECT pg_sleep({seconds});")
    print(f"seal_pause: holding the access sealer's lock in {db} for {seconds:.0f} s", flush=True)
    proc = subprocess.run(["psql", "-XAtq", f"{PG_SERVER}/{db}", "-c", sql],
                          capture_output=True, text=True)
    if proc.returncode != 0 and "does not exist" not in proc.stderr:
        print(f"seal_pause: psql: {proc.stderr.strip()}", file=sys.stderr)
        return 1
    print("seal_pause: released", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
