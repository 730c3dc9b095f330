#!/usr/bin/env python3
"""Issue 16's table in one command: SPEC §12's operations on both backends, today's figures
beside the ones the issue was filed with.

    python3 bench/spec12.py [--households 2000] [--duration 20s] [--out bench/target/spec12.md]

Builds nothing: run `cargo build --release` at the root and in bench/ (CARGO_TARGET_DIR=target)
first. It runs kvar-bench (--spawn, both backends, 16 clients, case_get, case_list and
case_update) and `bench/wrk/ingest_batch.py` (10 batches of 500 Kronofogden events, each a new
person, household, case, notice, deadlines and receipt), then prints the Markdown table with
the issue's figures ("filed") and this run's ("now"), and beside them PostgreSQL alone running
kvar's statements for each request on the database the run wrote (`baseline/kvar_sql.py`,
pgbench -M prepared, 16 clients): the database's own limit. PostgreSQL on 127.0.0.1:5432 as for
kvar-bench. A report, never a test: the figures depend on the machine and its load.
"""
import argparse
import re
import subprocess
import sys
from pathlib import Path

import compare  # the one reader of kvar-bench's report table

sys.path.insert(0, str(Path(__file__).resolve().parent / "baseline"))
import kvar_sql  # noqa: E402  PostgreSQL alone on kvar's statements

HERE = Path(__file__).resolve().parent

# Issue 16 as filed (2026-11-24's machine, 16 clients, 2,000 households, release build).
FILED = {
    ("case_get", "SQLite"): "2,676/s p99 17 ms",
    ("case_get", "PostgreSQL"): "1,415/s p99 30 ms",
    ("case_list", "SQLite"): "820/s p99 32 ms",
    ("case_list", "PostgreSQL"): "627/s p99 64 ms",
    ("case_update", "SQLite"): "2,341/s p99 13 ms",
    ("case_update", "PostgreSQL"): "1,044/s p99 31 ms",
    ("ingest", "SQLite"): "1,379 events/s",
    ("ingest", "PostgreSQL"): "137 events/s",
}
TARGET = {
    "case_get": "≥ 5,000/s",
    "case_list": "≥ 2,000/s, p99 ≤ 10 ms",
    "case_update": "≥ 2,000/s SQLite, ≥ 1,400/s PG, p99 ≤ 20 ms",
    "ingest": "≥ 1,000 events/s",
}
LABEL = {
    "case_get": "case get",
    "case_list": "case list (filter, 50 rows)",
    "case_update": "case update (If-Match + audit)",
    "ingest": "batch ingest (new person, case, notice, deadlines, receipt)",
}
INGEST = re.compile(r"^(?P<backend>sqlite|postgres): .*= (?P<rate>\d+) events/s")


def bench_rows(report: str) -> dict:
    """{(scenario, backend): "ops/s p99 ms"} of a kvar-bench report's 16-client rows."""
    out = {}
    for (backend, scenario, clients), m in compare.measured(report).items():
        if clients == 16:
            cell = f"{m['ops']:,.0f}/s p99 {m['p99']:g} ms"
            out[(scenario, backend)] = cell + (f" ({m['errors']} errors)" if m["errors"] else "")
    return out


def ingest_rows(text: str) -> dict:
    """{("ingest", backend): "N events/s"} of ingest_batch.py's output."""
    names = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
    out = {}
    for line in text.splitlines():
        m = INGEST.match(line.strip())
        if m:
            out[("ingest", names[m["backend"]])] = f"{int(m['rate']):,} events/s"
    return out


def table(now: dict, alone: dict) -> str:
    lines = [
        "| operation | SQLite filed → now | PostgreSQL filed → now | PostgreSQL alone on kvar's "
        "statements (pgbench) | §12 target |",
        "|---|---|---|---|---|",
    ]
    for op in ("case_get", "case_list", "case_update", "ingest"):
        cells = [
            f"{FILED[(op, b)]} → **{now.get((op, b), 'not measured')}**"
            for b in ("SQLite", "PostgreSQL")
        ]
        floor = f"{alone[op]:,.0f}/s" if op in alone else "–"
        lines.append(f"| {LABEL[op]} | {cells[0]} | {cells[1]} | {floor} | {TARGET[op]} |")
    return "\n".join(lines)


KEPT_DB = re.compile(r"PostgreSQL database (?P<db>kvar_bench_\w+)")
KEPT_DIR = re.compile(r"kvar-bench: kept (?P<dir>\S+)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", default="2000")
    ap.add_argument("--duration", default="20s", help="per scenario, in whole seconds")
    ap.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432",
                    help="the PostgreSQL server kvar-bench spawns on")
    ap.add_argument("--out", default=str(HERE / "target" / "spec12.md"))
    a = ap.parse_args()
    bench = HERE / "target" / "release" / "kvar-bench"
    server = HERE.parent / "target" / "release" / "kvar"
    for binary in (bench, server):
        if not binary.exists():
            print(f"spec12: {binary} is missing: build it first (see --help)", file=sys.stderr)
            return 2
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    report = Path(a.out).with_suffix(".bench.md")
    # Kept, so that PostgreSQL alone can run kvar's statements on the database kvar wrote.
    run = subprocess.run(
        [str(bench), "--spawn", "--keep", "--backends", "sqlite,postgres", "--households",
         a.households, "--concurrency", "16", "--scenarios", "case_get,case_list,case_update",
         "--warmup", "2s", "--duration", a.duration, "--out", str(report)],
        stderr=subprocess.PIPE, text=True,
    )
    print(run.stderr, end="", file=sys.stderr)
    kept_db = KEPT_DB.search(run.stderr)
    alone = {}
    try:
        if run.returncode != 0:
            return run.returncode
        if kept_db:
            alone = kvar_sql.measure(f"{a.pg}/{kept_db['db']}", 16, int(a.duration.rstrip("s")))
    finally:
        if kept_db:
            subprocess.run(["dropdb", "--if-exists", f"--maintenance-db={a.pg}/postgres", kept_db["db"]],
                           check=False)
        for m in KEPT_DIR.finditer(run.stderr):
            subprocess.run(["rm", "-rf", "--", m["dir"]], check=False)
    ingest = subprocess.run(
        [sys.executable, str(HERE / "wrk" / "ingest_batch.py")],
        check=True, capture_output=True, text=True,
    ).stdout
    print(ingest, end="")
    now = bench_rows(report.read_text(encoding="utf-8")) | ingest_rows(ingest)
    out = table(now, alone) + f"\n\nkvar-bench's full report: {report}\n"
    Path(a.out).write_text(out, encoding="utf-8")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
