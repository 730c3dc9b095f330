#!/usr/bin/env python3
"""Database outage under load (security table row 29), PostgreSQL only.

Creates a PRIVATE PostgreSQL cluster (initdb into a temporary directory, its own port and socket
directory; the shared server on 5432 is never touched), runs `kvar serve` on it, puts load on it
from a few threads (case reads, case list, notes, idempotent landlord notices) and a health
poller, then stops PostgreSQL with `pg_ctl stop -m immediate` for --outage seconds and starts it
again. Asserts:

* during the outage every API answer is 503 `application/problem+json` with `Retry-After`,
  0 × 500, 0 connection errors, no request slower than 6 s; `/health/ready` 503 while
  `/health/live` 200;
* after PostgreSQL is back, the first successful request within 5 s, and every request started
  5 s after that succeeds;
* kvar was not restarted (same pid, one start in its log);
* every acknowledged write is in the database; submissions answered 503 re-sent with the same
  Idempotency-Key are there exactly once.

    python3 tests/failure/outage.py --outage 30
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvarlib as k  # noqa: E402

MAX_LATENCY = 6.0
RECOVERY = 5.0


def pg_bindir() -> str:
    versions = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(x) for x in v.split(".")
                                                                    if x.isdigit()]) \
        if os.path.isdir("/etc/postgresql") else []
    for v in reversed(versions):
        d = f"/usr/lib/postgresql/{v}/bin"
        if os.path.exists(f"{d}/pg_ctl"):
            return d
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return os.path.dirname(found[-1])
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        return os.path.dirname(pg_ctl)
    raise SystemExit("PostgreSQL server binaries (pg_ctl, initdb) not found")


class PrivateCluster:
    """A throw-away PostgreSQL cluster owned by user postgres (when run as root)."""

    def __init__(self, port: int):
        self.bindir = pg_bindir()
        self.port = port
        self.base = tempfile.mkdtemp(prefix="kvar-outage-pg-")
        self.data = os.path.join(self.base, "data")
        self.sock = self.base
        self.logfile = os.path.join(self.base, "postgres.log")
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.base, "postgres", "postgres")
        self._run(["initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                   "--no-sync"])
        self.start()
        subprocess.run(["psql", self.admin_url, "-X", "-q", "-c", "CREATE DATABASE kvar"],
                       check=True, capture_output=True, timeout=60)

    @property
    def admin_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/kvar"

    def _run(self, cmd: list[str], timeout: float = 120) -> None:
        out = subprocess.run(self.as_postgres + [os.path.join(self.bindir, cmd[0]), *cmd[1:]],
                             capture_output=True, text=True, timeout=timeout)
        if out.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed: {out.stdout[-500:]} {out.stderr[-500:]}")

    def start(self) -> None:
        self._run(["pg_ctl", "-D", self.data, "-l", self.logfile, "-w", "-t", "60", "-o",
                   f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1", "start"])

    def stop(self, mode: str = "immediate") -> None:
        self._run(["pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"])

    def remove(self) -> None:
        try:
            self.stop("fast")
        except Exception:  # noqa: BLE001 - it may be down already
            pass
        shutil.rmtree(self.base, ignore_errors=True)


@dataclass
class Rec:
    kind: str
    start: float
    end: float
    status: int  # 0 = no answer
    ctype: str = ""
    retry_after: str | None = None
    error: str = ""


class Load:
    def __init__(self, port: int, tokens: dict, case_ids: list[str]):
        self.port = port
        self.tokens = tokens
        self.case_ids = case_ids
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.recs: list[Rec] = []
        self.notes: list[tuple[str, str, int, str]] = []  # (case, marker, status, id)
        self.subs: list[dict] = []
        self.person = 50_000

    def _do(self, c: k.Client, kind: str, method: str, path: str, body=None, token=None,
            headers=None) -> k.Resp | None:
        t0 = time.monotonic()
        try:
            r = c.request(method, path, body, token, headers)
        except (k.Unknown, k.NotSent) as e:
            rec = Rec(kind, t0, time.monotonic(), 0, error=str(e))
            with self.lock:
                self.recs.append(rec)
            return None
        with self.lock:
            self.recs.append(Rec(kind, t0, time.monotonic(), r.status,
                                 r.header("content-type") or "", r.header("retry-after")))
        return r

    def reader(self, i: int) -> None:
        c = k.Client(self.port, timeout=30)
        n = i
        while not self.stop.is_set():
            n += 1
            if n % 3 == 0:
                self._do(c, "read", "GET", "/api/v1/cases?limit=20", token=self.tokens["worker"])
            else:
                case = self.case_ids[n % len(self.case_ids)]
                self._do(c, "read", "GET", f"/api/v1/cases/{case}", token=self.tokens["worker"])
            time.sleep(0.02)

    def writer(self, i: int) -> None:
        c = k.Client(self.port, timeout=30)
        n = 0
        while not self.stop.is_set():
            n += 1
            if n % 2 == 0:
                case = self.case_ids[(n + i) % len(self.case_ids)]
                marker = f"outage-{uuid.uuid4().hex}"
                r = self._do(c, "write", "POST", f"/api/v1/cases/{case}/notes", {"body": marker},
                             self.tokens["worker"])
                with self.lock:
                    self.notes.append((case, marker, r.status if r else 0,
                                       r.json["id"] if r is not None and r.status == 201 else ""))
            else:
                with self.lock:
                    self.person += 1
                    person = self.person
                key = str(uuid.uuid4())
                body = k.landlord_notice(person, f"outage-{key[:18]}")
                r = self._do(c, "write", "POST", "/api/v1/landlord/notices", body,
                             self.tokens["landlord"], {"idempotency-key": key})
                with self.lock:
                    self.subs.append({"key": key, "body": body, "status": r.status if r else 0,
                                      "response": r.body if r else b""})
            time.sleep(0.05)

    def health(self) -> None:
        c = k.Client(self.port, timeout=30)
        while not self.stop.is_set():
            self._do(c, "ready", "GET", "/health/ready")
            self._do(c, "live", "GET", "/health/live")
            time.sleep(0.2)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kvar", default=k.default_binary())
    p.add_argument("--outage", type=float, default=30.0, help="seconds PostgreSQL stays down")
    p.add_argument("--before", type=float, default=5.0, help="seconds of load before the outage")
    p.add_argument("--after", type=float, default=10.0, help="seconds of load after it")
    p.add_argument("--port", type=int, default=0, help="port of the private cluster")
    p.add_argument("--readers", type=int, default=2)
    p.add_argument("--writers", type=int, default=2)
    args = p.parse_args()

    failures: list[str] = []
    cluster = PrivateCluster(args.port or k.free_port())
    k.log(f"private PostgreSQL cluster on 127.0.0.1:{cluster.port} ({cluster.base})")
    wd = k.workdir("outage")
    server = k.Server(args.kvar, cluster.url, wd)
    figures = {}
    try:
        server.start()
        pid = server.proc.pid
        world = k.setup_world(server.port, staff_cases=4)
        tokens = {"worker": k.login(server.port, world.worker_username, k.PASSWORD),
                  "landlord": k.client_token(server.port, world.landlord_client)}
        load = Load(server.port, tokens, world.case_ids)
        threads = [threading.Thread(target=load.reader, args=(i,)) for i in range(args.readers)]
        threads += [threading.Thread(target=load.writer, args=(i,)) for i in range(args.writers)]
        threads.append(threading.Thread(target=load.health))
        for t in threads:
            t.start()
        time.sleep(args.before)
        k.log("stopping PostgreSQL (-m immediate)")
        t_stop_cmd = time.monotonic()
        cluster.stop("immediate")
        t_down = time.monotonic()
        time.sleep(args.outage)
        k.log("starting PostgreSQL")
        t_up_cmd = time.monotonic()
        cluster.start()
        t_up = time.monotonic()
        k.log(f"PostgreSQL accepts connections again after {t_up - t_up_cmd:.2f} s")
        time.sleep(args.after)
        load.stop.set()
        for t in threads:
            t.join(timeout=60)

        recs = load.recs
        api = [r for r in recs if r.kind in ("read", "write")]
        during = [r for r in api if r.start >= t_down and r.end <= t_up_cmd]
        ready_during = [r for r in recs if r.kind == "ready" and r.start >= t_down + 0.1
                        and r.end <= t_up_cmd]
        live_during = [r for r in recs if r.kind == "live" and r.start >= t_down
                       and r.end <= t_up_cmd]
        before = [r for r in api if r.end <= t_stop_cmd]
        bad_during = [r for r in during if not (
            r.status == 503 and r.ctype.startswith("application/problem+json") and r.retry_after)]
        count_500 = sum(r.status >= 500 and r.status != 503 for r in recs)
        conn_errors = [r for r in recs if r.status == 0]
        max_latency = max((r.end - r.start for r in recs), default=0.0)
        max_latency_during = max((r.end - r.start for r in during), default=0.0)
        ok_after = [r for r in api if r.start >= t_up and 200 <= r.status < 300]
        first_ok = min((r.end for r in ok_after), default=None)
        recovery = (first_ok - t_up) if first_ok is not None else None
        ready_after = [r for r in recs if r.kind == "ready" and r.start >= t_up and r.status == 200]
        ready_recovery = (min(r.end for r in ready_after) - t_up) if ready_after else None
        late_failures = [r for r in api if recovery is not None
                         and r.start >= t_up + recovery + 5 and not 200 <= r.status < 300]
        figures = {
            "requests": len(api), "before": len(before),
            "before_ok": sum(200 <= r.status < 300 for r in before),
            "during": len(during), "during_503": sum(r.status == 503 for r in during),
            "500": count_500, "conn_errors": len(conn_errors),
            "max_latency": max_latency, "max_latency_during": max_latency_during,
            "ready_503": f"{sum(r.status == 503 for r in ready_during)}/{len(ready_during)}",
            "live_200": f"{sum(r.status == 200 for r in live_during)}/{len(live_during)}",
            "recovery": recovery, "ready_recovery": ready_recovery,
        }
        if not before or figures["before_ok"] != len(before):
            failures.append(f"before the outage {len(before) - figures['before_ok']} of "
                            f"{len(before)} requests failed")
        if not during:
            failures.append("no request fell within the outage")
        if bad_during:
            sample = [(r.kind, r.status, r.ctype, r.retry_after, r.error) for r in bad_during[:5]]
            failures.append(f"{len(bad_during)} answers during the outage were not 503 "
                            f"problem+json with Retry-After: {sample}")
        if count_500:
            failures.append(f"{count_500} answers 5xx other than 503")
        if conn_errors:
            failures.append(f"{len(conn_errors)} requests without an answer: "
                            f"{[(r.kind, r.error) for r in conn_errors[:5]]}")
        if max_latency > MAX_LATENCY:
            failures.append(f"slowest request {max_latency:.2f} s > {MAX_LATENCY} s")
        if not ready_during or any(r.status != 503 for r in ready_during):
            failures.append(f"/health/ready during the outage: {figures['ready_503']} were 503")
        if not live_during or any(r.status != 200 for r in live_during):
            failures.append(f"/health/live during the outage: {figures['live_200']} were 200")
        if recovery is None or recovery > RECOVERY:
            failures.append(f"first success after PostgreSQL returned: {recovery}")
        if late_failures:
            failures.append(f"{len(late_failures)} requests failed after recovery: "
                            f"{[(r.kind, r.status) for r in late_failures[:5]]}")
        if not server.alive() or server.proc.pid != pid:
            failures.append("kvar did not survive the outage")
        with open(server.log_path, "rb") as f:
            starts = f.read().count(b"kvar listening on")
        if starts != 1:
            failures.append(f"kvar started {starts} times")

        # Acknowledged writes are all there; 503'd submissions settle to exactly once.
        db = k.Database(cluster.url)
        worker = k.login(server.port, world.worker_username, k.PASSWORD)
        landlord = k.client_token(server.port, world.landlord_client)
        c = k.Client(server.port)
        refused = [s for s in load.subs if not 200 <= s["status"] < 300]
        for s in refused:
            r = c.request("POST", "/api/v1/landlord/notices", s["body"], landlord,
                          {"idempotency-key": s["key"]})
            if r.status != 202:
                failures.append(f"re-sending {s['key']} answered {r.status}")
        refs = {row[0]: int(row[1]) for row in db.query(
            "SELECT external_ref, count(*) FROM notices WHERE external_ref LIKE 'outage-%' "
            "GROUP BY external_ref")}
        acked_subs = [s for s in load.subs if 200 <= s["status"] < 300]
        lost = sum(refs.get(s["body"]["reference"], 0) != 1 for s in acked_subs)
        lost += sum(refs.get(s["body"]["reference"], 0) != 1 for s in refused)
        note_ids = {row[0] for row in db.query("SELECT id FROM notes")}
        acked_notes = [n for n in load.notes if n[2] == 201]
        lost += sum(n[3] not in note_ids for n in acked_notes)
        bodies: dict[str, int] = {}
        for case in world.case_ids:
            cursor = None
            while True:
                q = f"/api/v1/cases/{case}/notes?limit=100" + (f"&cursor={cursor}" if cursor else "")
                page = k.expect(c.request("GET", q, token=worker), 200, "notes")
                for n in page["items"]:
                    bodies[n["body"]] = bodies.get(n["body"], 0) + 1
                cursor = page.get("next_cursor")
                if not cursor:
                    break
        committed_503 = sum(bodies.get(n[1], 0) for n in load.notes if n[2] != 201)
        duplicates = sum(v > 1 for v in bodies.values())
        figures.update({"acked_writes": len(acked_subs) + len(acked_notes), "lost": lost,
                        "resent": len(refused), "notes_503_committed": committed_503,
                        "duplicates": duplicates})
        if lost:
            failures.append(f"{lost} acknowledged (or re-sent) writes missing")
        if duplicates:
            failures.append(f"{duplicates} notes stored twice")
        out = server.cli("audit", "verify")
        figures["chain"] = out.stdout.strip()
        if out.returncode != 0 or not out.stdout.startswith("ok"):
            failures.append(f"audit verify: {out.stdout.strip()} {out.stderr.strip()[:200]}")
        server.stop()
        if server.proc.returncode != 0:
            failures.append(f"kvar exited {server.proc.returncode} on SIGTERM")
    except Exception as e:  # noqa: BLE001 - report and clean up
        failures.append(f"{type(e).__name__}: {e}")
        k.log(server.log_tail())
    finally:
        if server.alive():
            server.kill9()
        cluster.remove()
        shutil.rmtree(wd, ignore_errors=True)

    def fmt(v):
        return f"{v:.2f} s" if isinstance(v, float) else str(v)

    print()
    print(f"| figure | value |\n|---|---|\n| outage | {args.outage:.0f} s |")
    for key, v in figures.items():
        print(f"| {key} | {fmt(v)} |")
    return k.verdict(failures)


if __name__ == "__main__":
    sys.exit(main())
