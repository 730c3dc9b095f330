#!/usr/bin/env python3
"""The machine's limit for each kvar-bench scenario (SPEC §12, issue 6 item 4).

The same SQL work as one kvar request, without HTTP, JSON, auth or access log, at the same
concurrency: through pgbench against PostgreSQL and through Python's sqlite3 (WAL,
synchronous=FULL, one writer at a time, like kvar) against SQLite. kvar-bench's figures divided by
these are the ratios bench/README.md reports.

    python3 bench/baseline/baseline.py [--cases 100000] [--clients 16] [--seconds 10]
        [--pg postgres://postgres@127.0.0.1:5432] [--backends sqlite,postgres]

Needs pgbench and psql on the PATH (Debian's postgresql-client) for PostgreSQL.
"""
import argparse, os, random, shutil, sqlite3, subprocess, tempfile, threading, time, uuid

SCHEMA = """
CREATE TABLE cases (id TEXT PRIMARY KEY, unit_id TEXT NOT NULL, status TEXT NOT NULL,
  risk_level TEXT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX cases_unit_status ON cases (unit_id, status, id);
CREATE TABLE audit_events (id {serial}, at TEXT NOT NULL, action TEXT NOT NULL,
  entity_id TEXT NOT NULL, changed TEXT NOT NULL);
CREATE TABLE audit_chain_head (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL);
INSERT INTO audit_chain_head VALUES (1, 0, 'genesis');
"""

def case_ids(n):
    # UUIDv7-like, time ordered, as kvar's ids.
    base = int(time.time() * 1000)
    return [f"{base + i:012x}-0000-7000-8000-{i:012x}"[:36] for i in range(n)]

# ---------------------------------------------------------------- PostgreSQL (pgbench)
PG_SCRIPTS = {
    "case_update (chained: head row locked to commit)": """
\\set k random(1, {n})
BEGIN;
UPDATE cases SET risk_level = 'high', version = version + 1, updated_at = now()::text WHERE id = (SELECT id FROM ids WHERE k = :k);
INSERT INTO audit_events (at, action, entity_id, changed) VALUES (now()::text, 'case.update', 'x', '["risk_level"]');
UPDATE audit_chain_head SET seq = seq + 1, hash = md5(hash) WHERE id = 1;
COMMIT;
""",
    "case_update (unchained)": """
\\set k random(1, {n})
BEGIN;
UPDATE cases SET risk_level = 'high', version = version + 1, updated_at = now()::text WHERE id = (SELECT id FROM ids WHERE k = :k);
INSERT INTO audit_events (at, action, entity_id, changed) VALUES (now()::text, 'case.update', 'x', '["risk_level"]');
COMMIT;
""",
    "case_get": """
\\set k random(1, {n})
SELECT * FROM cases WHERE id = (SELECT id FROM ids WHERE k = :k);
""",
    "case_list (50 rows, status filter)": """
SELECT * FROM cases WHERE unit_id = 'u1' AND status = 'new' ORDER BY id DESC LIMIT 50;
""",
}

def pg(args):
    db = f"kvar_baseline_{uuid.uuid4().hex[:8]}"
    url = args.pg.rstrip("/")
    subprocess.run(["psql", f"{url}/postgres", "-qc", f"CREATE DATABASE {db}"], check=True)
    try:
        sql = SCHEMA.format(serial="BIGSERIAL PRIMARY KEY")
        sql += f"""
CREATE TABLE ids (k INTEGER PRIMARY KEY, id TEXT NOT NULL);
INSERT INTO ids SELECT g, lpad(to_hex(g), 12, '0') || '-0000-7000-8000-' || lpad(to_hex(g), 12, '0') FROM generate_series(1, {args.cases}) g;
INSERT INTO cases SELECT id, 'u1', (ARRAY['new','triage','outreach','active','follow_up'])[1 + k % 5], 'medium', 1, now()::text FROM ids;
ANALYZE;
"""
        subprocess.run(["psql", f"{url}/{db}", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, stdout=subprocess.DEVNULL)
        out = {}
        with tempfile.TemporaryDirectory() as d:
            for name, script in PG_SCRIPTS.items():
                f = os.path.join(d, "s.sql")
                open(f, "w").write(script.format(n=args.cases))
                r = subprocess.run(["pgbench", "-n", "-M", "prepared", "-c", str(args.clients), "-j", "2",
                                    "-T", str(args.seconds), "-f", f, f"{url}/{db}"],
                                   check=True, capture_output=True, text=True)
                tps = [l for l in r.stdout.splitlines() if l.startswith("tps")]
                out[name] = float(tps[0].split("=")[1].split()[0]) if tps else 0.0
                print(f"  postgres {name}: {out[name]:,.0f}/s", flush=True)
        return out
    finally:
        subprocess.run(["psql", f"{url}/postgres", "-qc", f"DROP DATABASE IF EXISTS {db}"], check=False)

# ---------------------------------------------------------------- SQLite (sqlite3, threads)
def sqlite(args):
    d = tempfile.mkdtemp(prefix="kvar-baseline-")
    path = os.path.join(d, "b.db")
    try:
        c = sqlite3.connect(path, isolation_level=None)
        c.execute("PRAGMA journal_mode=WAL")
        c.executescript(SCHEMA.format(serial="INTEGER PRIMARY KEY AUTOINCREMENT"))
        ids = case_ids(args.cases)
        c.execute("BEGIN")
        statuses = ["new", "triage", "outreach", "active", "follow_up"]
        c.executemany("INSERT INTO cases VALUES (?, 'u1', ?, 'medium', 1, datetime('now'))",
                      [(i, statuses[k % 5]) for k, i in enumerate(ids)])
        c.execute("COMMIT")
        c.close()
        write_lock = threading.Lock()  # kvar's single writer: no busy polling

        def update(conn, rnd):
            with write_lock:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("UPDATE cases SET risk_level='high', version=version+1, updated_at=datetime('now') WHERE id=?", (rnd.choice(ids),))
                conn.execute("INSERT INTO audit_events (at, action, entity_id, changed) VALUES (datetime('now'), 'case.update', 'x', '[\"risk_level\"]')")
                conn.execute("UPDATE audit_chain_head SET seq = seq + 1, hash = hex(randomblob(16)) WHERE id = 1")
                conn.execute("COMMIT")

        def get(conn, rnd):
            conn.execute("SELECT * FROM cases WHERE id=?", (rnd.choice(ids),)).fetchall()

        def lst(conn, rnd):
            conn.execute("SELECT * FROM cases WHERE unit_id='u1' AND status='new' ORDER BY id DESC LIMIT 50").fetchall()

        out = {}
        for name, op in [("case_update (chained, one writer)", update), ("case_get", get),
                         ("case_list (50 rows, status filter)", lst)]:
            stop = time.monotonic() + args.seconds
            counts = [0] * args.clients

            def worker(k):
                conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA busy_timeout=5000")
                rnd = random.Random(k)
                while time.monotonic() < stop:
                    op(conn, rnd)
                    counts[k] += 1
                conn.close()
            threads = [threading.Thread(target=worker, args=(k,)) for k in range(args.clients)]
            [t.start() for t in threads]
            [t.join() for t in threads]
            out[name] = sum(counts) / args.seconds
            print(f"  sqlite {name}: {out[name]:,.0f}/s", flush=True)
        return out
    finally:
        shutil.rmtree(d, ignore_errors=True)

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, default=100_000)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    p.add_argument("--backends", default="sqlite,postgres")
    args = p.parse_args()
    rows = []
    if "postgres" in args.backends:
        for k, v in pg(args).items():
            rows.append(("PostgreSQL (pgbench -M prepared)", k, v))
    if "sqlite" in args.backends:
        for k, v in sqlite(args).items():
            rows.append(("SQLite (python sqlite3; the GIL caps reads)", k, v))
    print(f"\n| backend | transaction ({args.cases:,} cases, {args.clients} clients, {args.seconds} s) | per second |")
    print("|---|---|---:|")
    for b, k, v in rows:
        print(f"| {b} | {k} | {v:,.0f} |")

if __name__ == "__main__":
    main()
