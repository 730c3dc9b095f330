#!/usr/bin/env python3
"""Time the two statistics series against a running kvar, as one analyst (issue 15's timing at
1,000,000 cases on a database kept by `kvar-bench --keep`, whose bench admin password is gone).

    KVAR_PROBE_PASSWORD=… python3 bench/stats_probe.py http://127.0.0.1:18081 USERNAME \\
        [--clients 1,4] [--seconds 30]

The requests are kvar-bench's `stats` scenario's (`bench/src/ops.rs`, `stats_path`): the
enforcement series by quarter over three years and the prevention series by month over this
year, alternating. Each level runs `--seconds` after a 2 s warm-up; prints requests/s, p50, p99
and max per level, and fails on any answer but 200. Python's client costs more than kvar-bench's,
so read the throughput at several clients as a floor; the latencies at one client are the figure.
"""
from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse


def paths() -> list[str]:
    y = datetime.date.today().year
    return [
        f"/api/v1/stats/enforcement?from={y - 2}-01-01&to={y}-12-31&period=quarter",
        f"/api/v1/stats/prevention?from={y}-01-01&to={y}-12-31&period=month",
    ]


def login(host: str, port: int, username: str, password: str) -> str:
    c = http.client.HTTPConnection(host, port, timeout=30)
    body = json.dumps({"username": username, "password": password})
    c.request("POST", "/api/v1/auth/login", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    if r.status != 200:
        raise SystemExit(f"stats_probe: sign-in answered {r.status}: {data[:200]!r}")
    return json.loads(data)["access_token"]


def level(host: str, port: int, token: str, clients: int, seconds: float) -> dict:
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = time.monotonic()
    measure_from = start + 2.0
    stop = measure_from + seconds
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def worker(n: int) -> None:
        c = http.client.HTTPConnection(host, port, timeout=60)
        mine: list[float] = []
        i = n
        while True:
            t0 = time.monotonic()
            if t0 >= stop:
                break
            c.request("GET", paths()[i % 2], headers=headers)
            r = c.getresponse()
            r.read()
            t1 = time.monotonic()
            i += 1
            if r.status != 200:
                with lock:
                    errors.append(str(r.status))
            elif t0 >= measure_from:
                mine.append(t1 - t0)
        with lock:
            lat.extend(mine)

    ts = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000  # noqa: E731
    return {"clients": clients, "n": len(lat), "rps": len(lat) / seconds, "p50": pick(0.5),
            "p99": pick(0.99), "max": lat[-1] * 1000 if lat else 0.0, "errors": errors}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("username")
    ap.add_argument("--clients", default="1,4")
    ap.add_argument("--seconds", type=float, default=30.0)
    a = ap.parse_args()
    u = urllib.parse.urlparse(a.base)
    password = os.environ.get("KVAR_PROBE_PASSWORD")
    if not password:
        raise SystemExit("stats_probe: set KVAR_PROBE_PASSWORD to the analyst's password")
    token = login(u.hostname or "127.0.0.1", u.port or 80, a.username, password)
    failed = False
    print("| clients | requests | requests/s | p50 ms | p99 ms | max ms | errors |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in (int(x) for x in a.clients.split(",")):
        r = level(u.hostname or "127.0.0.1", u.port or 80, token, n, a.seconds)
        failed |= bool(r["errors"]) or r["n"] == 0
        print(f"| {n} | {r['n']} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
              f"{r['max']:.1f} | {len(r['errors'])} |", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
