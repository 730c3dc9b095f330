#!/usr/bin/env python3
"""Sign-in enumeration by timing (security table row 13).

Against the release binary: 200 sign-ins with a wrong password for existing accounts and 200
for names no account has, interleaved (so drift on the machine hits both alike), each name
tried 4 times (under the 5 free failures, so neither side meets the throttle). Prints the
median and p90 of each and the median difference; exits 1 when the medians differ by 10 % or
more, or when any answer is not the same 401 problem. Not part of CI (a timing comparison
belongs on a quiet machine), documented in tests/failure/README.md.

    python3 tests/failure/enumeration.py [--backend sqlite|postgres] [--tries 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvarlib as k  # noqa: E402

PER_NAME = 4


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kvar", default=k.default_binary(), help="path to the kvar binary")
    p.add_argument("--backend", default="sqlite", choices=["sqlite", "postgres"])
    p.add_argument("--pg-url", default=os.environ.get("KVAR_TEST_POSTGRES_URL",
                                                      k.DEFAULT_PG_ADMIN_URL))
    p.add_argument("--tries", type=int, default=200)
    args = p.parse_args()
    work = k.workdir("enum")
    pg = None
    if args.backend == "postgres":
        pg = k.PgDatabase(args.pg_url, "kvar_enum")
        url = pg.url
    else:
        url = f"sqlite://{work}/kvar.db"
    server = k.Server(args.kvar, url, work)
    try:
        server.start()
        port = server.port
        admin = k.login(port, "admin", k.ADMIN_PASSWORD)
        org = k.expect(k.call(port, "POST", "/api/v1/organizations",
                              {"kind": "municipality", "name": "Enum kommun",
                               "municipality_code": k.MUNICIPALITY}, admin), 201, "org")["id"]
        names = (args.tries + PER_NAME - 1) // PER_NAME
        known = []
        for i in range(names):
            name = f"enum.user{i}"
            k.expect(k.call(port, "POST", "/api/v1/users",
                            {"username": name, "display_name": name, "role": "auditor",
                             "organization_id": org, "password": "a long enough password"},
                            admin), 201, "user")
            known.append(name)
        unknown = [f"enum.ghost{i}" for i in range(names)]
        client = k.Client(port, timeout=30)
        times: dict[str, list[float]] = {"existing account": [], "no such account": []}
        bodies: set[str] = set()
        # Warm-up: one of each, not counted.
        for name in ("enum.warm.user", "enum.warm.ghost"):
            client.request("POST", "/api/v1/auth/login", {"username": name, "password": "x"})
        for i in range(args.tries):
            for label, pool in (("existing account", known), ("no such account", unknown)):
                name = pool[i % names]
                t0 = time.perf_counter()
                r = client.request("POST", "/api/v1/auth/login",
                                   {"username": name, "password": "wrong password!"})
                times[label].append(time.perf_counter() - t0)
                if r.status != 401:
                    print(f"FAILED: {label} {name}: {r.status} {r.body[:200]}")
                    return 1
                body = dict(r.json)
                body.pop("request_id", None)
                bodies.add(repr(sorted(body.items())))
        print(f"| {args.backend} | tries | median ms | p90 ms |")
        print("|---|---|---|---|")
        med = {}
        for label, ts in times.items():
            ts.sort()
            med[label] = statistics.median(ts)
            print(f"| {label} | {len(ts)} | {med[label] * 1000:.1f} | "
                  f"{ts[int(len(ts) * 0.9)] * 1000:.1f} |")
        a, b = med["existing account"], med["no such account"]
        diff = abs(a - b) / max(a, b)
        print(f"\nmedian difference: {diff * 100:.1f} % (pass < 10 %); distinct bodies: {len(bodies)}")
        if len(bodies) != 1:
            print("FAILED: the bodies differ")
            return 1
        if diff >= 0.10:
            print("FAILED: the medians differ by 10 % or more")
            return 1
        print("PASS")
        return 0
    finally:
        server.stop()
        if pg:
            pg.drop()


if __name__ == "__main__":
    sys.exit(main())
