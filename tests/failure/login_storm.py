#!/usr/bin/env python3
"""Security table row 11: a login storm against the real binary. Many clients sign in at once
(wrong passwords for fresh names, some right ones) for a while; the process's resident memory is
sampled throughout. Passes when the peak stays within base + permits x 19 MiB (argon2id's m) +
64 MiB, and the hashes that ran at once (the `/metrics` high-water mark) never exceeded the
permits.

    python3 tests/failure/login_storm.py [--kvar target/debug/kvar] [--clients 64] [--seconds 20]

Figures are printed; SQLite, a database of its own in a temporary directory.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import uuid

import kvarlib as k

ARGON2_MIB = 19


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def gauge(port: int, name: str) -> float:
    body = k.call(port, "GET", "/metrics").body.decode()
    for line in body.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise RuntimeError(f"{name} not in /metrics")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kvar", default=k.default_binary())
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()
    wd = k.workdir("storm")
    server = k.Server(args.kvar, f"sqlite://{wd}/kvar.db", wd)
    server.start()
    failures: list[str] = []
    try:
        w = k.setup_world(server.port, staff_cases=3)
        token = k.login(server.port, w.worker_username, k.PASSWORD)
        for _ in range(50):  # warm the read path so the base includes it
            k.call(server.port, "GET", "/api/v1/cases", token=token)
        pid = server.proc.pid
        base = rss_mib(pid)
        permits = gauge(server.port, "kvar_password_hash_permits")
        before = gauge(server.port, "kvar_password_verifications")
        stop = time.monotonic() + args.seconds
        statuses: dict[int, int] = {}
        lock = threading.Lock()

        def client(i: int) -> None:
            c = k.Client(server.port, timeout=120)
            n = 0
            while time.monotonic() < stop:
                n += 1
                right = n % 10 == 1
                body = {"username": w.worker_username if right else f"storm-{uuid.uuid4().hex}",
                        "password": k.PASSWORD if right else "a wrong password"}
                try:
                    r = c.request("POST", "/api/v1/auth/login", body)
                    s = r.status
                except (k.Unknown, k.NotSent):
                    s = -1
                with lock:
                    statuses[s] = statuses.get(s, 0) + 1
            c.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        peak, read_ms = base, []
        while any(t.is_alive() for t in threads):
            peak = max(peak, rss_mib(pid))
            t0 = time.monotonic()
            k.call(server.port, "GET", "/api/v1/cases", token=token, timeout=60)
            read_ms.append((time.monotonic() - t0) * 1000)
            time.sleep(0.1)
        for t in threads:
            t.join()
        verified = gauge(server.port, "kvar_password_verifications") - before
        high = gauge(server.port, "kvar_password_hashes_in_flight_max")
        bound = base + permits * ARGON2_MIB + 64
        read_ms.sort()
        p99 = read_ms[int(len(read_ms) * 0.99) - 1] if read_ms else 0
        k.log(f"clients={args.clients} seconds={args.seconds} statuses={statuses} "
              f"verifications={verified:.0f} permits={permits:.0f} high_water={high:.0f}")
        k.log(f"RSS base={base:.1f} MiB peak={peak:.1f} MiB bound={bound:.1f} MiB "
              f"(base + {permits:.0f} x {ARGON2_MIB} + 64); case-list p99 during the storm "
              f"{p99:.0f} ms over {len(read_ms)} reads; load average {os.getloadavg()}")
        if high > permits:
            failures.append(f"{high:.0f} hashes at once with {permits:.0f} permits")
        if peak > bound:
            failures.append(f"RSS peak {peak:.1f} MiB over the bound {bound:.1f} MiB")
        if set(statuses) - {200, 401}:
            failures.append(f"unexpected answers {statuses}")
    finally:
        server.stop()
    return k.verdict(failures)


if __name__ == "__main__":
    raise SystemExit(main())
