#!/usr/bin/env bash
# The fixed-rate load baseline and the soak (security table rows 32 and 33), on a release build,
# each backend in turn, with kvar-bench's `mixed` scenario (80 % reads: case get and list; 20 %
# writes: case update with If-Match and note append; each kind its own row):
#
#   bash bench/load.sh baseline [sqlite,postgres]   # 200 requests/s, 60 s, 32 connections
#   bash bench/load.sh soak [sqlite,postgres] [30m] # 50 % of the closed-loop maximum, 30 min
#
# Limits (row 32): 0 errors, read p99 ≤ 150 ms, write p99 ≤ 300 ms. Row 33: RSS growth < 10 %
# over the window, 0 errors, the audit chain verifies after the load (kvar-bench fails if not).
# The Markdown report goes to bench/target/<mode>-<date>.md; `check` below reads it.
set -euo pipefail
cd "$(dirname "$0")"
mode="${1:?baseline or soak}"
backends="${2:-sqlite,postgres}"
# The soak warms up for 2 minutes first: SQLite's page caches (2 MiB per pooled connection,
# 32 MiB for the writer) fill in the first minute and are bounded, and row 33 asks whether
# memory grows under a steady load, not whether caches fill.
case "$mode" in
  baseline) args=(--warmup 5s --rate 200 --duration "${3:-60s}") ;;
  soak) args=(--warmup 2m --rate 50% --duration "${3:-30m}") ;;
  *) echo "load.sh: baseline or soak, not $mode" >&2; exit 2 ;;
esac
out="target/$mode-$(date -u +%Y%m%dT%H%M).md"
(cd .. && cargo build --release --quiet)
CARGO_TARGET_DIR=target cargo build --release --quiet
target/release/kvar-bench --spawn --backends "$backends" --households 1000 --concurrency 32 \
  --scenarios mixed "${args[@]}" --out "$out"
python3 - "$out" "$mode" <<'PY'
import re, sys
path, mode = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
bad = []
backend = None
for line in text.splitlines():
    if line.startswith("### "):
        backend = line[4:]
    m = re.match(r"^\|\s*(mixed (read|write)[^|]*?)\s*\|\s*\d+\s*\|[^|]*\|[^|]*\|[^|]*\|\s*([\d,.]+)\s*\|[^|]*\|\s*(\d+)\s*\|", line)
    if m and "closed loop" not in m[1]:
        name, kind, p99, errors = m[1], m[2], float(m[3].replace(",", "")), int(m[4])
        limit = 150 if kind == "read" else 300
        if errors or (mode == "baseline" and p99 > limit):
            bad.append(f"{backend}: {name}: p99 {p99} ms (limit {limit}), {errors} errors")
    g = re.search(r"RSS (\d+) MB at the start of the window, (\d+) MB at its end \(([-+\d.]+) %\)", line)
    if g and mode == "soak" and float(g[3]) >= 10:
        bad.append(f"{backend}: RSS grew {g[3]} % ({g[1]} -> {g[2]} MB)")
print("\n".join(bad) if bad else f"{mode}: every limit met ({path})")
sys.exit(1 if bad else 0)
PY
