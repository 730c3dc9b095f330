#!/usr/bin/env python3
"""Landlord submissions by timing: does kvar's answer tell a landlord whether social services
already hold the tenant? (issue 13 item 6)

Against the release binary: landlord notices for tenants the municipality already knows (one
earlier submission made each a person with an open case: the next one matches) and for tenants
it does not (the submission creates person, household, tenancy and case), interleaved so that
drift on the machine hits both alike. Prints the median and p90 of each and the median
difference; exits 1 when the medians differ by 10 % or more, or when the answers differ in
anything but their ids and times. Run once with the default floor (KVAR_SUBMISSION_FLOOR_MS,
150 ms) and once with `--floor 0` to see the difference the floor hides. Not part of CI (a
timing comparison belongs on a quiet machine), documented in tests/failure/README.md.

    python3 tests/failure/submission_timing.py [--backend sqlite|postgres] [--tries 100] [--floor MS]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvarlib as k  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kvar", default=k.default_binary(), help="path to the kvar binary")
    p.add_argument("--backend", default="sqlite", choices=["sqlite", "postgres"])
    p.add_argument("--pg-url", default=os.environ.get("KVAR_TEST_POSTGRES_URL",
                                                      k.DEFAULT_PG_ADMIN_URL))
    p.add_argument("--tries", type=int, default=100)
    p.add_argument("--floor", type=int, default=None,
                   help="KVAR_SUBMISSION_FLOOR_MS for the server (default: kvar's default)")
    args = p.parse_args()
    work = k.workdir("subtiming")
    pg = None
    if args.backend == "postgres":
        pg = k.PgDatabase(args.pg_url, "kvar_subtiming")
        url = pg.url
    else:
        url = f"sqlite://{work}/kvar.db"
    extra = {} if args.floor is None else {"KVAR_SUBMISSION_FLOOR_MS": str(args.floor)}
    server = k.Server(args.kvar, url, work, extra_env=extra)
    try:
        server.start()
        port = server.port
        w = k.setup_world(port)
        token = k.client_token(port, w.landlord_client)
        client = k.Client(port, timeout=30)

        def send(person: int, key: str) -> tuple[float, k.Resp]:
            t0 = time.perf_counter()
            r = client.request("POST", "/api/v1/landlord/notices",
                               k.landlord_notice(person, key), token=token,
                               headers={"Idempotency-Key": key})
            return time.perf_counter() - t0, r

        known = [700_000 + i for i in range(args.tries)]
        unknown = [800_000 + i for i in range(args.tries)]
        for person in known:  # each becomes a person with an open case
            _, r = send(person, f"first-{person}")
            if r.status != 202:
                print(f"FAILED: setup {person}: {r.status} {r.body[:200]}")
                return 1
        send(600_000, "warm-1")  # warm-up, not counted
        send(600_000, "warm-2")
        times: dict[str, list[float]] = {"known to the municipality": [],
                                         "unknown to it": []}
        shapes: set[str] = set()
        for i in range(args.tries):
            for label, person in (("known to the municipality", known[i]),
                                  ("unknown to it", unknown[i])):
                dt, r = send(person, f"t-{label[:5]}-{i}")
                times[label].append(dt)
                if r.status != 202:
                    print(f"FAILED: {label} {person}: {r.status} {r.body[:200]}")
                    return 1
                body = dict(r.json)
                for volatile in ("receipt_id", "received_at"):
                    body.pop(volatile, None)
                shapes.add(repr(sorted(body.items())))
        print(f"| {args.backend}, floor {args.floor if args.floor is not None else 'default'} "
              f"| tries | median ms | p90 ms |")
        print("|---|---|---|---|")
        med = {}
        for label, ts in times.items():
            ts.sort()
            med[label] = statistics.median(ts)
            print(f"| {label} | {len(ts)} | {med[label] * 1000:.1f} | "
                  f"{ts[int(len(ts) * 0.9)] * 1000:.1f} |")
        a, b = med["known to the municipality"], med["unknown to it"]
        diff = abs(a - b) / max(a, b)
        print(f"\nmedian difference: {diff * 100:.1f} % (pass < 10 %); "
              f"distinct answers: {len(shapes)}")
        if len(shapes) != 1:
            print("FAILED: the answers differ")
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
