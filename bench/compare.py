#!/usr/bin/env python3
"""Compare a kvar-bench report with the last recorded one (security table row 32).

    python3 bench/compare.py NEW.md [--against bench/recorded/max-throughput.md] [--drop 20]

Both files are Markdown reports written by `kvar-bench --out`. Every (backend, scenario,
clients) row present in both is compared by ops/s; a drop of more than --drop percent (default
20) is flagged and makes the exit status 1. A report, not a timed test: run it by hand or from a
release checklist on a quiet machine, never in CI.
"""
import argparse
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# | scenario | clients | ops | ops/s | p50 ms | p99 ms | max ms | errors | …
ROW = re.compile(
    r"^\|\s*(?P<scenario>[^|]+?)\s*\|\s*(?P<clients>\d+)\s*\|\s*[\d,]+\s*\|"
    r"\s*(?P<ops>[\d,.]+)\s*\|\s*[\d,.]+\s*\|\s*(?P<p99>[\d,.]+)\s*\|\s*[\d,.]+\s*\|"
    r"\s*(?P<errors>\d+)\s*\|"
)


def measured(text):
    """{(backend, scenario, clients): {"ops", "p99", "errors"}} of a kvar-bench report's text."""
    out, backend = {}, None
    for line in text.splitlines():
        if line.startswith("### "):
            backend = line[4:].strip()
            continue
        m = ROW.match(line)
        if m and backend:
            out[(backend, m["scenario"], int(m["clients"]))] = {
                "ops": float(m["ops"].replace(",", "")),
                "p99": float(m["p99"].replace(",", "")),
                "errors": int(m["errors"]),
            }
    return out


def rows(path):
    """{(backend, scenario, clients): ops/s} of one report."""
    return {k: v["ops"] for k, v in measured(Path(path).read_text(encoding="utf-8")).items()}


def compare(new, old, drop_pct):
    """Lines of the comparison and whether any row dropped by more than drop_pct."""
    lines, failed = [], False
    for key in sorted(set(new) & set(old)):
        before, after = old[key], new[key]
        ratio = after / before if before else float("inf")
        flag = ratio < 1 - drop_pct / 100
        failed |= flag
        backend, scenario, clients = key
        lines.append(
            f"{'DROP' if flag else 'ok  '} {backend:<11} {scenario:<45} {clients:>3} clients: "
            f"{before:>10,.0f} -> {after:>10,.0f} /s ({ratio:.2f}x)"
        )
    return lines, failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("new")
    ap.add_argument("--against", default=str(HERE / "recorded" / "max-throughput.md"))
    ap.add_argument("--drop", type=float, default=20.0)
    a = ap.parse_args()
    new, old = rows(a.new), rows(a.against)
    lines, failed = compare(new, old, a.drop)
    if not lines:
        print(f"compare: no row of {a.new} is in {a.against}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    missing = sorted(set(old) - set(new))
    if missing:
        print(f"({len(missing)} recorded rows not in the new report)")
    print(f"{'FAIL' if failed else 'PASS'}: max-throughput drop > {a.drop:.0f} % "
          f"{'found' if failed else 'not found'} ({len(lines)} rows compared)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
