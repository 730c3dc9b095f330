#!/usr/bin/env python3
"""The access log's seal delay under load (security table row 22): while a kvar-bench run reads,
sample every half second how old the oldest access-log row not yet covered by a seal is, and
print the largest age and how many rows were waiting at that moment.

    python3 bench/seal_delay.py sqlite:///tmp/kvar-bench-…-sqlite/kvar.db  [seconds]
    python3 bench/seal_delay.py postgres://postgres@127.0.0.1:5432/kvar_bench_…  [seconds]
    python3 bench/seal_delay.py newest [seconds]   # the newest kvar-bench database of either kind

It only reads (SQLite through Python's sqlite3, read-only; PostgreSQL through psql). Exit
status 1 if any sample was older than the bound (5 s, `access_seal::BOUND`). Run it beside
`kvar-bench --spawn --keep … --scenarios case_get,case_list` (see bench/README.md).
"""
from __future__ import annotations

import glob
import os
import sqlite3
import subprocess
import sys
import time

BOUND_S = 5.0
PG_SERVER = "postgres://postgres@127.0.0.1:5432"

PG_SQL = """
SELECT COALESCE(EXTRACT(EPOCH FROM (now() AT TIME ZONE 'utc') - MIN(at)), 0), COUNT(*)
FROM access_log WHERE id > (SELECT COALESCE(MAX(last_id), 0) FROM access_seals)
"""
SQLITE_SQL = """
SELECT COALESCE((julianday('now') - julianday(MIN(at))) * 86400.0, 0), COUNT(*)
FROM access_log WHERE id > (SELECT COALESCE(MAX(last_id), 0) FROM access_seals)
"""


def newest() -> str:
    """The most recent kvar-bench data directory's SQLite file or PostgreSQL database."""
    dirs = sorted(glob.glob("/tmp/kvar-bench-*"), key=os.path.getmtime)
    if not dirs:
        raise SystemExit("seal_delay: no /tmp/kvar-bench-* directory (start kvar-bench --spawn first)")
    d = dirs[-1]
    if d.endswith("-sqlite"):
        return f"sqlite://{d}/kvar.db"
    run_id = os.path.basename(d).split("-")[2]
    return f"{PG_SERVER}/kvar_bench_{run_id}"


def sampler(url: str):
    if url.startswith("sqlite://"):
        conn = sqlite3.connect(f"file:{url[len('sqlite://'):]}?mode=ro", uri=True, timeout=5)

        def sample() -> tuple[float, int]:
            age, waiting = conn.execute(SQLITE_SQL).fetchone()
            return float(age or 0), int(waiting)
        return sample

    def sample() -> tuple[float, int]:
        out = subprocess.run(["psql", url, "-Atq", "-F", " ", "-c", PG_SQL],
                             capture_output=True, text=True, check=True).stdout.split()
        return float(out[0]), int(out[1])
    return sample


def main() -> int:
    url = sys.argv[1] if len(sys.argv) > 1 else "newest"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    if url == "newest":
        url = newest()
    sample = sampler(url)
    worst, waiting_then, n, over = 0.0, 0, 0, 0
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        try:
            age, waiting = sample()
        except (sqlite3.OperationalError, subprocess.CalledProcessError):
            time.sleep(0.5)
            continue
        n += 1
        over += age > BOUND_S
        if age > worst:
            worst, waiting_then = age, waiting
        time.sleep(0.5)
    print(f"seal delay: {n} samples over {seconds:.0f} s on {url.split('@')[-1]}: oldest unsealed "
          f"row at most {worst:.2f} s old ({waiting_then} rows waiting then); "
          f"{over} samples over the {BOUND_S:.0f} s bound")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
