#!/usr/bin/env python3
"""Two `kvar serve` on one PostgreSQL database, one killed with SIGKILL under load (issue 16).

Both instances start at the same moment on an empty database (both must come up: migrations,
the data steps and the platform admin's bootstrap run under advisory locks). Client threads
alternate between the two ports (round-robin) with idempotent landlord notices, each under a
fresh `Idempotency-Key`; a duplicate thread sends the same key to both instances at once. After
a random moment one instance gets SIGKILL; a client whose request meets a connection error
re-sends it to the other instance with the same key (the client's job). Then:

* both came up from the simultaneous start; one admin, one platform organization, every
  migration applied once;
* every acknowledged submission is stored exactly once (its notice by its own reference, its
  idempotency row, its receipt), re-sending it replays the same answer; one sent with an
  unknown outcome is there at most once and re-sending it settles it to exactly once;
* the same key sent to both instances at once: one notice, and every 2xx answer the same body
  (the other answers 409 while the first is in flight, as one instance does);
* the survivor answered every request it got with 2xx (or 409 for an in-flight duplicate)
  throughout, before and after the kill;
* the audit chain is gap-free (seq 1..N, N = every audit event) and `kvar audit verify` (the CLI)
  reports ok n=N.

    python3 tests/failure/instances.py --rounds 5        # the longer run
    python3 tests/failure/instances.py --throughput 10   # one instance against two, no kill
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import threading
import time
import uuid
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvarlib as k  # noqa: E402

PATH = "/api/v1/landlord/notices"
KEY_VARS = ("KVAR_JWT_KEY", "KVAR_AUDIT_KEY", "KVAR_FIELD_KEY", "KVAR_BLIND_INDEX_KEY",
            "KVAR_CHECKPOINT_KEY")


@dataclass
class Sub:
    key: str
    ref: str
    body: dict
    outcome: str = "pending"  # acked | unknown
    status: int = 0
    response: bytes = b""


class Load:
    """Writers alternating between the instances; survivors' answers are checked live."""

    def __init__(self, ports: list[int], token: str, first_person: int):
        self.ports = ports
        self.token = token
        self.dead: set[int] = set()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.person = first_person
        self.subs: list[Sub] = []
        self.dups: list[tuple[Sub, list[tuple[int, bytes]]]] = []
        self.errors: list[str] = []
        self.sent = {p: 0 for p in ports}
        self.retried = 0

    def next_person(self) -> int:
        with self.lock:
            self.person += 1
            return self.person

    def new_sub(self) -> Sub:
        n = self.next_person()
        key = str(uuid.uuid4())
        return Sub(key, f"inst-{key[:18]}", k.landlord_notice(n, f"inst-{key[:18]}"))

    def send(self, clients: dict[int, k.Client], port: int, s: Sub) -> k.Resp | None:
        """Send `s` to `port`; on a connection error, to the other instance (same key)."""
        order = [port] + [p for p in self.ports if p != port]
        for p in order:
            for _ in range(50):
                try:
                    r = clients[p].request("POST", PATH, s.body, self.token,
                                           {"idempotency-key": s.key})
                except (k.NotSent, k.Unknown) as e:
                    if p not in self.dead:
                        with self.lock:
                            self.errors.append(f"instance :{p} (not killed) failed: {e}")
                    s.outcome = "unknown"
                    with self.lock:
                        self.retried += 1
                    break
                with self.lock:
                    self.sent[p] += 1
                if r.status == 409:  # in flight elsewhere: wait for it, then replay
                    time.sleep(0.05)
                    continue
                return r
        return None

    def writer(self, first: int) -> None:
        clients = {p: k.Client(p) for p in self.ports}
        i = first
        while not self.stop.is_set():
            s = self.new_sub()
            with self.lock:
                self.subs.append(s)
            port = self.ports[i % len(self.ports)]
            i += 1
            r = self.send(clients, port, s)
            if r is None:
                self.errors.append(f"{s.key}: no instance answered")
                continue
            s.status, s.response = r.status, r.body
            if 200 <= r.status < 300:
                s.outcome = "acked"
            else:
                self.errors.append(f"{s.key} answered {r.status}: {r.body[:200]!r}")
        for c in clients.values():
            c.close()

    def duplicates(self) -> None:
        """The same key to both instances at the same moment."""
        while not self.stop.is_set():
            s = self.new_sub()
            answers: list[tuple[int, bytes]] = []
            go = threading.Barrier(len(self.ports))

            def one(port: int) -> None:
                c = k.Client(port)
                try:
                    go.wait(timeout=5)
                    r = c.request("POST", PATH, s.body, self.token, {"idempotency-key": s.key})
                    answers.append((r.status, r.body))
                except (k.NotSent, k.Unknown, threading.BrokenBarrierError):
                    pass
                finally:
                    c.close()

            ts = [threading.Thread(target=one, args=(p,)) for p in self.ports
                  if p not in self.dead]
            if len(ts) < 2:
                return
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            with self.lock:
                self.dups.append((s, answers))


def start_together(servers: list[k.Server]) -> list[str]:
    """Start every server at the same moment; the failures (an empty list: all came up)."""
    errors: list[str] = []
    go = threading.Barrier(len(servers))

    def one(s: k.Server) -> None:
        try:
            go.wait()
            t = s.start(ready_timeout=120)
            k.log(f"instance :{s.port} ready in {t:.2f} s")
        except Exception as e:  # noqa: BLE001 - reported
            errors.append(f"instance :{s.port} did not come up: {e}")

    ts = [threading.Thread(target=one, args=(s,)) for s in servers]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return errors


def check_start(db: k.Database, fails: list[str]) -> None:
    admins = db.scalar("SELECT count(*) FROM users WHERE username = 'admin'")
    platform = db.scalar("SELECT count(*) FROM organizations WHERE kind = 'platform'")
    if (admins, platform) != ("1", "1"):
        fails.append(f"bootstrap: {admins} admin users, {platform} platform organizations")
    versions = db.query("SELECT version, count(*) FROM __diesel_schema_migrations GROUP BY 1")
    twice = [v for v, n in versions if n != "1"]
    if twice or not versions:
        fails.append(f"migrations recorded {len(versions)} versions, twice: {twice}")


def check_stored(db: k.Database, subs: list[Sub], fails: list[str], settle: bool) -> None:
    notices = dict(db.query("SELECT external_ref, count(*) FROM notices "
                            "WHERE external_ref LIKE 'inst-%' GROUP BY external_ref"))
    idem = dict(db.query("SELECT idem_key, count(*) FROM idempotency_keys GROUP BY idem_key"))
    receipts = {r[0] for r in db.query("SELECT id FROM receipts")}
    for s in subs:
        n, rows = int(notices.get(s.ref, 0)), int(idem.get(s.key, 0))
        if s.outcome == "acked":
            if n != 1 or rows != 1:
                fails.append(f"acknowledged {s.key}: {n} notices, {rows} idempotency rows")
            elif k.json.loads(s.response)["receipt_id"] not in receipts:
                fails.append(f"acknowledged {s.key}: receipt missing")
        elif n > 1 or rows > 1 or (settle and n != 1):
            fails.append(f"{s.outcome} {s.key}: {n} notices, {rows} idempotency rows")


def check_duplicates(db: k.Database, dups, fails: list[str]) -> None:
    notices = dict(db.query("SELECT external_ref, count(*) FROM notices "
                            "WHERE external_ref LIKE 'inst-%' GROUP BY external_ref"))
    for s, answers in dups:
        ok = [b for st, b in answers if 200 <= st < 300]
        other = [st for st, _ in answers if not (200 <= st < 300 or st == 409)]
        if other or len(set(ok)) > 1:
            fails.append(f"same key on both instances {s.key}: answers {[a[0] for a in answers]}"
                         f", {len(set(ok))} different bodies")
        stored = int(notices.get(s.ref, 0))
        if stored > 1 or (ok and stored != 1):
            fails.append(f"same key on both instances {s.key}: {stored} notices")


def resend(port: int, token: str, subs: list[Sub], fails: list[str]) -> None:
    c = k.Client(port)
    for s in subs:
        r = c.request("POST", PATH, s.body, token, {"idempotency-key": s.key})
        if s.outcome == "acked":
            if (r.status, r.body) != (s.status, s.response) or \
                    r.header("idempotent-replayed") != "true":
                fails.append(f"replay of {s.key} answered {r.status} "
                             f"replayed={r.header('idempotent-replayed')}")
        elif r.status != 202:
            fails.append(f"re-sending {s.outcome} {s.key} answered {r.status}")
        else:
            s.outcome, s.status, s.response = "acked", r.status, r.body
    c.close()


def check_chain(db: k.Database, server: k.Server, fails: list[str]) -> None:
    for _ in range(10):
        out = server.cli("audit", "verify")
        total = db.scalar("SELECT count(*) FROM audit_events")
        seqs = db.query("SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) "
                        "FROM audit_chain")[0]
        gap_free = seqs == (total, "1", total)
        if out.returncode == 0 and gap_free and \
                re.fullmatch(rf"ok n={total}( checkpoints=\d+)?( access_batches=\d+ access_rows=\d+)?",
                             out.stdout.strip()):
            return
        time.sleep(1)
    fails.append(f"audit chain: verify rc={out.returncode} {out.stdout.strip()} "
                 f"{out.stderr.strip()[:200]}; chain (count, min, max) {seqs}, events {total}")


def servers_on(args, url: str, wd: str, n: int) -> list[k.Server]:
    first = k.Server(args.kvar, url, os.path.join(wd, "a"), _dirs(wd, "a"))
    shared = {v: first.env[v] for v in KEY_VARS}
    rest = [k.Server(args.kvar, url, os.path.join(wd, name), {**_dirs(wd, name), **shared})
            for name in "bcdefgh"[:n - 1]]
    return [first, *rest]


def _dirs(wd: str, name: str) -> dict:
    os.makedirs(os.path.join(wd, name), exist_ok=True)
    # No timing floor: the replays after the kill are many, and the floor is another test's.
    return {"KVAR_DATA_DIR": os.path.join(wd, name, "data"), "KVAR_SUBMISSION_FLOOR_MS": "0"}


def run_round(args, rnd, round_no: int, fails: list[str]) -> dict:
    wd = k.workdir("instances")
    pg = k.PgDatabase(args.pg_url, "kvar_instances")
    db = k.Database(pg.url)
    servers = servers_on(args, pg.url, wd, 2)
    stats = {}
    try:
        errs = start_together(servers)
        fails += [f"round {round_no}: {e}" for e in errs]
        if errs:
            return stats
        check_start(db, fails)
        a, b = servers
        world = k.setup_world(a.port)
        token = k.client_token(b.port, world.landlord_client)
        load = Load([a.port, b.port], token, round_no * 100_000)
        threads = [threading.Thread(target=load.writer, args=(i,)) for i in range(args.threads)]
        threads.append(threading.Thread(target=load.duplicates))
        for t in threads:
            t.start()
        time.sleep(rnd.uniform(args.min_run, args.max_run))
        victim, survivor = rnd.choice([(a, b), (b, a)])
        load.dead.add(victim.port)
        victim.kill9()
        before = load.sent[survivor.port]
        k.log(f"round {round_no}: SIGKILL :{victim.port} after {sum(load.sent.values())} "
              f"answers")
        time.sleep(args.after)
        load.stop.set()
        for t in threads:
            t.join()
        fails += [f"round {round_no}: {e}" for e in load.errors]
        if load.sent[survivor.port] == before or before == 0:
            fails.append(f"round {round_no}: the survivor answered {before} requests before "
                         f"the kill and {load.sent[survivor.port] - before} after")
        check_stored(db, load.subs, fails, settle=False)
        check_duplicates(db, load.dups, fails)
        resend(survivor.port, token, load.subs, fails)
        check_stored(db, load.subs, fails, settle=True)
        check_chain(db, survivor, fails)
        stats = {"acked": sum(s.outcome == "acked" for s in load.subs),
                 "retried": load.retried, "dups": len(load.dups),
                 "survivor": load.sent[survivor.port]}
        k.log(f"round {round_no}: {stats}")
    finally:
        for s in servers:
            s.stop()
        if not fails:
            shutil.rmtree(wd, ignore_errors=True)
        else:
            k.log(f"kept {wd}")
        pg.drop()
    return stats


def throughput(args, seconds: float) -> int:
    """Idempotent submissions per second against one instance, then two (no kill)."""
    rates = {}
    for n in (1, 2):
        wd = k.workdir("instances-tp")
        pg = k.PgDatabase(args.pg_url, "kvar_instances_tp")
        servers = servers_on(args, pg.url, wd, n)
        try:
            errs = start_together(servers)
            if errs:
                print("\n".join(errs))
                return 1
            world = k.setup_world(servers[0].port)
            token = k.client_token(servers[0].port, world.landlord_client)
            load = Load([s.port for s in servers], token, 0)
            ts = [threading.Thread(target=load.writer, args=(i,)) for i in range(args.threads)]
            for t in ts:
                t.start()
            time.sleep(seconds)
            load.stop.set()
            for t in ts:
                t.join()
            done = sum(s.outcome == "acked" for s in load.subs)
            rates[n] = done / seconds
            k.log(f"{n} instance(s): {done} submissions in {seconds:.0f} s, "
                  f"{rates[n]:.1f}/s, errors {len(load.errors)}")
        finally:
            for s in servers:
                s.stop()
            shutil.rmtree(wd, ignore_errors=True)
            pg.drop()
    load1 = os.getloadavg()
    print(f"two instances / one: {rates[2] / rates[1]:.2f} "
          f"(load average {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f})")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kvar", default=k.default_binary(), help="path to the kvar binary")
    p.add_argument("--pg-url", default=os.environ.get("KVAR_TEST_POSTGRES_URL",
                                                      k.DEFAULT_PG_ADMIN_URL))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", type=int, default=4, help="writer threads")
    p.add_argument("--min-run", type=float, default=1.0, help="seconds of load before the kill")
    p.add_argument("--max-run", type=float, default=4.0)
    p.add_argument("--after", type=float, default=2.0, help="seconds of load after the kill")
    p.add_argument("--throughput", type=float, help="measure 1 against 2 instances instead")
    p.add_argument("--seed", type=int)
    args = p.parse_args()
    if args.throughput:
        return throughput(args, args.throughput)
    rnd = k.rng(args.seed)
    fails: list[str] = []
    started = time.monotonic()
    totals = {"acked": 0, "retried": 0, "dups": 0, "survivor": 0}
    for r in range(1, args.rounds + 1):
        for key, v in run_round(args, rnd, r, fails).items():
            totals[key] += v
    print(f"\n{args.rounds} round(s), {time.monotonic() - started:.0f} s: {totals['acked']} "
          f"acknowledged submissions, {totals['retried']} re-sent to the survivor after a "
          f"connection error, {totals['dups']} keys sent to both instances at once, "
          f"{totals['survivor']} answers from the survivors")
    return k.verdict(fails, f"FAILED: {len(fails)} failure(s)", 20)


if __name__ == "__main__":
    sys.exit(main())
