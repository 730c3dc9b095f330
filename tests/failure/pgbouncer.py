#!/usr/bin/env python3
"""kvar behind PgBouncer (issue 16 item 5): session pooling works, transaction pooling does not.

Needs the `pgbouncer` binary (Debian 12: `apt-get install pgbouncer`, version 1.18); the script
installs nothing and exits 2 when it is missing. It runs its own PgBouncer processes (its own ini
and userlist in a temporary directory, a free loopback port, `auth_type = trust`; as user
`postgres` when run as root, because PgBouncer refuses to run as root) in front of a fresh
database it creates on the PostgreSQL of `--pg-url` and drops at the end.

Session mode (`pool_mode = session`, what kvar needs), the checks that decide the exit status:

* the lock probe: client A takes a session advisory lock through PgBouncer and stays connected,
  idle; client B, through the same PgBouncer, tries the same lock and must not get it; after A
  disconnects without unlocking, the lock must be gone (PgBouncer's `DISCARD ALL` on release);
* two `kvar serve` started at the same moment through PgBouncer on the empty database both come
  up (migrations under the session lock): one admin, one platform organization, every migration
  recorded once;
* writer threads alternate idempotent landlord notices between the two instances; PgBouncer is
  killed (SIGKILL) and started again on the same port `--restarts` times; a writer re-sends every
  submission with the same `Idempotency-Key` until it is acknowledged (503 and 409 are retried).
  Every answer is 2xx, 503 or 409 (no 500, no connection error from kvar); both instances answer
  2xx again within 5 s of PgBouncer accepting connections; every submission is acknowledged;
* every acknowledged submission is stored exactly once (notice by its own reference, idempotency
  row, receipt) and re-sending it replays the identical answer with `Idempotent-Replayed: true`;
* the audit chain is gap-free and `kvar audit verify` (the CLI, through PgBouncer) says ok n=N.

Transaction mode (`pool_mode = transaction`): why it is not supported, measured and reported.
The same lock probe (client B gets the lock client A holds: both run on the same server
connection; the lock outlives both clients) must show the breakage, or the run fails; then two
`kvar serve` are started through it and driven briefly, and what they answered and logged (the
"prepared statement" errors of diesel's named statements) is printed, not asserted.

    python3 tests/failure/pgbouncer.py                       # ~35 s with a debug build
    python3 tests/failure/pgbouncer.py --restarts 5 --before 5 --after 10
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import instances  # noqa: E402  (start_together, check_start, check_chain)
import kvarlib as k  # noqa: E402

PATH = "/api/v1/landlord/notices"
REF_PREFIX = "pgb-"
PROBE_KEY = 4242  # the lock probe's advisory lock; kvar's keys are far above it
RECOVERY = 5.0  # seconds after PgBouncer is back within which both instances answer 2xx
INSTALL = ("pgbouncer not found. Install Debian's package (1.18 on Debian 12):\n"
           "    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y pgbouncer\n"
           "or pass --pgbouncer PATH.")


def find_pgbouncer(given: str | None) -> str:
    for candidate in [given] if given else (shutil.which("pgbouncer"), "/usr/sbin/pgbouncer"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    print(INSTALL, file=sys.stderr)
    raise SystemExit(2)


# ---------------------------------------------------------------- PgBouncer


class PgBouncer:
    """One PgBouncer process in front of one database; restartable on the same port."""

    def __init__(self, binary: str, server_url: str, dbname: str, mode: str, pool_size: int,
                 max_client_conn: int = 200):
        server = urllib.parse.urlsplit(server_url)
        self.binary = binary
        self.user = server.username or "postgres"
        self.dir = tempfile.mkdtemp(prefix=f"kvar-pgbouncer-{mode}-")
        self.port = k.free_port()
        self.mode = mode
        self.dbname = dbname
        self.log_path = os.path.join(self.dir, "pgbouncer.log")
        self.ini = os.path.join(self.dir, "pgbouncer.ini")
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        target = f"host={server.hostname or '127.0.0.1'} port={server.port or 5432} " \
                 f"dbname={dbname}"
        with open(os.path.join(self.dir, "userlist.txt"), "w") as f:
            f.write(f'"{self.user}" ""\n')
        with open(self.ini, "w") as f:
            f.write(f"""[databases]
{dbname} = {target}
; the lock probe: a pool of its own, two server connections at most
probe = {target} pool_size=2

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.dir}/userlist.txt
pool_mode = {mode}
default_pool_size = {pool_size}
max_client_conn = {max_client_conn}
logfile = {self.log_path}
""")
        # PgBouncer exits with "PgBouncer should not run as root"; -u switches user.
        self.as_user = ["-u", "postgres"] if os.geteuid() == 0 else []
        if self.as_user:
            for p in (self.dir, *[os.path.join(self.dir, n) for n in os.listdir(self.dir)]):
                shutil.chown(p, "postgres")

    def url(self, db: str | None = None) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{db or self.dbname}"

    def start(self, timeout: float = 15.0) -> None:
        assert self.proc is None or self.proc.poll() is not None
        self.starts += 1
        self.proc = subprocess.Popen([self.binary, *self.as_user, self.ini],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pgbouncer exited with {self.proc.returncode}; log tail:\n"
                                   f"{self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"pgbouncer not listening within {timeout}s:\n{self.log_tail()}")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_tail(self, n: int = 15) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""


# ---------------------------------------------------------------- the lock probe


def lock_probe(bouncer: PgBouncer, direct: k.Database) -> dict:
    """A takes a session advisory lock through PgBouncer and stays connected (idle, outside a
    transaction) for 2 s; meanwhile B tries the same lock; then A leaves without unlocking.

    Returns whether B got the lock, B's and the holder's server process ids, and whether the lock
    was still held once both clients had disconnected."""
    held_sql = (f"SELECT coalesce(string_agg(pid::text, ','), '') FROM pg_locks "
                f"WHERE locktype = 'advisory' AND granted AND classid = 0 "
                f"AND objid = {PROBE_KEY} AND objsubid = 1 "
                f"AND database = (SELECT oid FROM pg_database WHERE datname = "
                f"'{bouncer.dbname}')")
    url = bouncer.url("probe")
    a = subprocess.Popen(["psql", url, "-X", "-q", "-At", "-c",
                          f"SELECT pg_advisory_lock({PROBE_KEY})", "-c", "\\! sleep 2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    holder = ""
    deadline = time.monotonic() + 10
    while not holder and time.monotonic() < deadline:
        holder = direct.scalar(held_sql)
        time.sleep(0.05)
    b = subprocess.run(["psql", url, "-X", "-q", "-At", "-F", " ", "-c",
                        f"SELECT pg_try_advisory_lock({PROBE_KEY}), pg_backend_pid()"],
                       capture_output=True, text=True, timeout=30)
    a_out, a_err = a.communicate(timeout=30)
    got, _, b_pid = b.stdout.strip().partition(" ")
    after = ""
    for _ in range(20):  # PgBouncer resets a released server connection asynchronously
        after = direct.scalar(held_sql)
        if not after:
            break
        time.sleep(0.05)
    return {"a_ok": a.returncode == 0 and bool(holder), "a_err": a_err.strip(),
            "holder_pid": holder, "b_got": got == "t", "b_pid": b_pid,
            "b_err": b.stderr.strip(), "held_after": after}


def describe_probe(p: dict) -> str:
    return (f"A's lock held by server pid {p['holder_pid'] or '-'}; B (server pid "
            f"{p['b_pid'] or '-'}) pg_try_advisory_lock = {'t' if p['b_got'] else 'f'}; "
            f"after both disconnected the lock is "
            f"{'still held by pid ' + p['held_after'] if p['held_after'] else 'released'}")


# ---------------------------------------------------------------- load


@dataclass
class Sub:
    key: str
    ref: str
    body: dict
    port: int
    status: int = 0
    response: bytes = b""
    attempts: list[tuple[str, int]] = field(default_factory=list)  # (phase, status; 0 = none)


class Load:
    """Writers alternating between the instances; each retries its submission, same key, until
    it is acknowledged or `settle` seconds have passed."""

    def __init__(self, ports: list[int], token: str, first_person: int, settle: float):
        self.ports = ports
        self.token = token
        self.settle = settle
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.phase = "before"
        self.person = first_person
        self.subs: list[Sub] = []
        self.errors: list[str] = []
        self.ok_at: dict[int, list[float]] = {p: [] for p in ports}  # when each port said 2xx

    def new_sub(self, port: int) -> Sub:
        with self.lock:
            self.person += 1
            n = self.person
        key = str(uuid.uuid4())
        ref = f"{REF_PREFIX}{key[:18]}"
        s = Sub(key, ref, k.landlord_notice(n, ref), port)
        with self.lock:
            self.subs.append(s)
        return s

    def submit(self, c: k.Client, s: Sub) -> None:
        deadline = None
        while True:
            phase = self.phase
            try:
                r = c.request("POST", PATH, s.body, self.token, {"idempotency-key": s.key})
            except (k.NotSent, k.Unknown) as e:
                s.attempts.append((phase, 0))
                with self.lock:
                    self.errors.append(f"{s.key}: no answer from :{s.port} ({e})")
                r = None
            if r is not None:
                s.attempts.append((phase, r.status))
                if 200 <= r.status < 300:
                    s.status, s.response = r.status, r.body
                    with self.lock:
                        self.ok_at[s.port].append(time.monotonic())
                    return
                if r.status not in (503, 409):
                    with self.lock:
                        self.errors.append(f"{s.key} answered {r.status} in phase {phase}: "
                                           f"{r.body[:200]!r}")
                    return
            if self.stop.is_set():
                deadline = deadline or time.monotonic() + self.settle
                if time.monotonic() > deadline:
                    return
            time.sleep(0.1)

    def writer(self, first: int) -> None:
        clients = {p: k.Client(p, timeout=30) for p in self.ports}
        i = first
        while not self.stop.is_set():
            port = self.ports[i % len(self.ports)]
            i += 1
            self.submit(clients[port], self.new_sub(port))
        for c in clients.values():
            c.close()


def check_stored(db: k.Database, subs: list[Sub], fails: list[str]) -> None:
    notices = dict(db.query(f"SELECT external_ref, count(*) FROM notices "
                            f"WHERE external_ref LIKE '{REF_PREFIX}%' GROUP BY external_ref"))
    idem = dict(db.query("SELECT idem_key, count(*) FROM idempotency_keys GROUP BY idem_key"))
    receipts = {r[0] for r in db.query("SELECT id FROM receipts")}
    for s in subs:
        n, rows = int(notices.get(s.ref, 0)), int(idem.get(s.key, 0))
        if not 200 <= s.status < 300:
            fails.append(f"{s.key} never acknowledged (answers {s.attempts[-5:]}); "
                         f"{n} notices, {rows} idempotency rows")
        elif n != 1 or rows != 1:
            fails.append(f"acknowledged {s.key}: {n} notices, {rows} idempotency rows")
        elif k.json.loads(s.response)["receipt_id"] not in receipts:
            fails.append(f"acknowledged {s.key}: receipt missing")


def replay(ports: list[int], token: str, subs: list[Sub], fails: list[str]) -> None:
    clients = {p: k.Client(p) for p in ports}
    for i, s in enumerate(x for x in subs if 200 <= x.status < 300):
        port = ports[i % len(ports)]  # alternate: the answer is in the database
        r = clients[port].request("POST", PATH, s.body, token, {"idempotency-key": s.key})
        if (r.status, r.body) != (s.status, s.response) or \
                r.header("idempotent-replayed") != "true":
            fails.append(f"replay of {s.key} on :{port} answered {r.status} "
                         f"replayed={r.header('idempotent-replayed')}")
    for c in clients.values():
        c.close()


def make_servers(args, url: str, wd: str, pool: int, n: int = 2) -> list[k.Server]:
    servers: list[k.Server] = []
    for name in "abcdefgh"[:n]:
        d = os.path.join(wd, name)
        os.makedirs(d, exist_ok=True)
        # No timing floor and no shutdown grace: both are other tests' subjects.
        env = {"KVAR_DATA_DIR": os.path.join(d, "data"), "KVAR_SUBMISSION_FLOOR_MS": "0",
               "KVAR_SHUTDOWN_GRACE_MS": "0", "KVAR_DB_POOL_SIZE": str(pool)}
        if servers:
            env.update({v: servers[0].env[v] for v in instances.KEY_VARS})
        servers.append(k.Server(args.kvar, url, d, env))
    return servers


# ---------------------------------------------------------------- session mode


def restart(bouncer: PgBouncer, load: Load, n: int, args, fails: list[str]) -> float:
    """Kill PgBouncer under load, start it again after `args.down` s, run `args.after` s; the
    seconds until both instances answered 2xx again."""
    load.phase = "down"
    bouncer.kill9()
    k.log(f"restart {n}: PgBouncer killed (SIGKILL) after "
          f"{sum(1 for s in load.subs if s.status)} acknowledged submissions")
    time.sleep(args.down)
    bouncer.start()
    back = time.monotonic()
    load.phase = f"after {n}"
    k.log(f"restart {n}: PgBouncer listening again after {args.down:.1f} s")
    time.sleep(args.after)
    first = {p: min((t - back for t in load.ok_at[p] if t >= back), default=None)
             for p in load.ports}
    if any(f is None or f > RECOVERY for f in first.values()):
        fails.append(f"restart {n}: not both instances answered 2xx within {RECOVERY} s of "
                     f"PgBouncer being back (first 2xx after, by port: {first})")
    return max((f for f in first.values() if f is not None), default=float("nan"))


def session_phase(args, binary: str, fails: list[str]) -> dict:
    wd = k.workdir("pgbouncer")
    pg = k.PgDatabase(args.pg_url, "kvar_pgbouncer")
    db = k.Database(pg.url)
    # default_pool_size ≥ KVAR_DB_POOL_SIZE × instances + the CLI: in session mode every kvar
    # connection holds a server connection for its whole life.
    bouncer = PgBouncer(binary, args.pg_url, pg.name, args.pool_mode, args.pool * 2 + 4)
    servers: list[k.Server] = []
    stats: dict = {}
    try:
        bouncer.start()
        probe = lock_probe(bouncer, db)
        k.log(f"{args.pool_mode} mode lock probe: {describe_probe(probe)}")
        if not probe["a_ok"] or probe["b_got"] or probe["held_after"]:
            fails.append(f"lock probe: {describe_probe(probe)} "
                         f"{probe['a_err']} {probe['b_err']}".strip())
        servers = make_servers(args, bouncer.url(), wd, args.pool)
        errs = instances.start_together(servers)
        fails += errs
        if errs:
            return stats
        instances.check_start(db, fails)
        fails += [f"after the start: {line}" for line in advisory_locks(db, pg.name)
                  if "Migrations" in line]
        a, b = servers
        world = k.setup_world(a.port)
        token = k.client_token(b.port, world.landlord_client)
        load = Load([a.port, b.port], token, 300_000, args.settle)
        threads = [threading.Thread(target=load.writer, args=(i,)) for i in range(args.threads)]
        for t in threads:
            t.start()
        time.sleep(args.before)
        recoveries = [restart(bouncer, load, n, args, fails) for n in range(1, args.restarts + 1)]
        load.stop.set()
        for t in threads:
            t.join()
        fails += load.errors[:20]
        check_stored(db, load.subs, fails)
        replay([a.port, b.port], token, load.subs, fails)
        check_stored(db, load.subs, fails)
        instances.check_chain(db, a, fails)
        answers = collections.Counter((ph.split()[0], st) for s in load.subs
                                      for ph, st in s.attempts)
        stats = {"submissions": len(load.subs),
                 "acknowledged": sum(200 <= s.status < 300 for s in load.subs),
                 "retried": sum(len(s.attempts) > 1 for s in load.subs),
                 "answers": dict(sorted(answers.items())),
                 "recovery_s": [round(r, 2) for r in recoveries],
                 "audit": a.cli("audit", "verify").stdout.strip()}
        k.log(f"{args.pool_mode} mode: {stats}")
    finally:
        for s in servers:
            if s.alive():
                s.terminate()
        for s in servers:
            s.stop()
        bouncer.stop()
        if fails:
            k.log(f"kept {wd} and {bouncer.dir}")
        else:
            shutil.rmtree(wd, ignore_errors=True)
            shutil.rmtree(bouncer.dir, ignore_errors=True)
        pg.drop()
    return stats


# ---------------------------------------------------------------- transaction mode


def start_within(servers: list[k.Server], timeout: float) -> dict[int, str]:
    """Start every server at the same moment; port → "up" or why not."""
    result: dict[int, str] = {}
    go = threading.Barrier(len(servers))

    def one(s: k.Server) -> None:
        go.wait()
        try:
            result[s.port] = f"up in {s.start(ready_timeout=timeout):.1f} s"
        except RuntimeError as e:
            last = [ln for ln in s.log_tail(5).splitlines() if ln.strip()][-1:]
            result[s.port] = f"{str(e).splitlines()[0].removesuffix('; log tail:')}: {last}"

    ts = [threading.Thread(target=one, args=(s,)) for s in servers]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return result


def lock_names() -> dict[int, str]:
    """kvar's advisory lock keys by name, the other way round (for the report)."""
    return {key: name for name, key in k.advisory_keys().items()}


def advisory_locks(db: k.Database, dbname: str) -> list[str]:
    """The one-key advisory locks in `dbname` now: who holds or waits, and is the holder busy."""
    names = {**lock_names(), PROBE_KEY: "of the lock probe"}
    rows = db.query("SELECT (l.classid::bigint << 32) | l.objid::bigint, l.granted, l.pid, "
                    "a.state FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.database = "
                    f"(SELECT oid FROM pg_database WHERE datname = '{dbname}') ORDER BY 1, 2 DESC")
    return [f"advisory lock {names.get(int(key), hex(int(key)))} "
            f"{'held' if granted == 't' else 'waited for'} by server pid {pid} ({state})"
            for key, granted, pid, state in rows]


def drive(up: list[k.Server], seconds: float) -> collections.Counter:
    """Sign in as the admin, then read /me and /users on every instance that came up."""
    statuses: collections.Counter = collections.Counter()
    token = None
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        s = up[n % len(up)]
        try:
            if token is None:
                r = k.call(s.port, "POST", "/api/v1/auth/login",
                           {"username": "admin", "password": k.ADMIN_PASSWORD})
                token = r.json["access_token"] if r.status == 200 else None
            else:
                r = k.call(s.port, "GET", "/api/v1/me" if n % 2 else "/api/v1/users", token=token)
            statuses[r.status] += 1
        except (k.NotSent, k.Unknown):
            statuses["no answer"] += 1
    return statuses


PREPARED = re.compile(r"prepared statement \S+ (does not exist|already exists)|"
                      r"bind message supplies \d+ parameters, but prepared statement \S+ "
                      r"(requires) \d+")


def transaction_phase(args, binary: str, fails: list[str]) -> None:
    wd = k.workdir("pgbouncer-tx")
    pg = k.PgDatabase(args.pg_url, "kvar_pgbouncer_tx")
    db = k.Database(pg.url)
    # Fewer server connections than kvar connections: what transaction pooling is for.
    bouncer = PgBouncer(binary, args.pg_url, pg.name, "transaction", 4)
    servers: list[k.Server] = []
    started: dict[int, str] = {}
    try:
        bouncer.start()
        probe = lock_probe(bouncer, db)
        k.log(f"transaction mode lock probe: {describe_probe(probe)}")
        if not probe["a_ok"] or not (probe["b_got"] or probe["held_after"]):
            fails.append(f"transaction mode: the lock probe did not show the breakage "
                         f"({describe_probe(probe)} {probe['a_err']} {probe['b_err']})")
        servers = make_servers(args, bouncer.url(), wd, 8)
        started = start_within(servers, args.tx_ready)
        for s in servers:
            k.log(f"transaction mode: instance :{s.port} {started[s.port]}")
        for line in advisory_locks(db, pg.name):
            k.log(f"transaction mode: {line}")
        up = [s for s in servers if s.alive() and started[s.port].startswith("up")]
        if up:
            statuses = drive(up, args.tx_load)
            k.log(f"transaction mode: {sum(statuses.values())} requests (sign-in, /me, "
                  f"/users) answered {dict(sorted(statuses.items(), key=str))}")
        seen: collections.Counter = collections.Counter()
        example: dict[str, str] = {}
        for s in servers:
            for line in s.log_tail(100_000).splitlines():
                for m in PREPARED.finditer(line):
                    kind = m.group(1) or m.group(2)
                    seen[kind] += 1
                    example.setdefault(kind, m.group(0))
        for kind, count in seen.most_common():
            k.log(f"transaction mode: kvar logged {count} × \"{example[kind]}\" (or another "
                  f"statement number)")
        if not seen:
            k.log("transaction mode: no prepared-statement error in kvar's logs")
    finally:
        for s in servers:
            if s.alive() and started.get(s.port, "").startswith("up"):
                s.stop()
            elif s.alive():
                s.kill9()  # still waiting at start: it would not answer SIGTERM soon
        bouncer.stop()
        shutil.rmtree(wd, ignore_errors=True)
        shutil.rmtree(bouncer.dir, ignore_errors=True)
        pg.drop()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kvar", default=k.default_binary(), help="path to the kvar binary")
    p.add_argument("--pgbouncer", help="path to the pgbouncer binary (default: on PATH)")
    p.add_argument("--pg-url", default=os.environ.get("KVAR_TEST_POSTGRES_URL",
                                                      k.DEFAULT_PG_ADMIN_URL))
    p.add_argument("--threads", type=int, default=4, help="writer threads")
    p.add_argument("--pool", type=int, default=8, help="KVAR_DB_POOL_SIZE per instance")
    p.add_argument("--before", type=float, default=3.0, help="seconds of load before a restart")
    p.add_argument("--down", type=float, default=2.0, help="seconds PgBouncer stays down")
    p.add_argument("--after", type=float, default=4.0, help="seconds of load after a restart")
    p.add_argument("--restarts", type=int, default=1)
    p.add_argument("--settle", type=float, default=30.0,
                   help="seconds a writer keeps re-sending after the load stops")
    p.add_argument("--tx-ready", type=float, default=10.0,
                   help="transaction mode: seconds to wait for an instance to come up")
    p.add_argument("--tx-load", type=float, default=3.0,
                   help="transaction mode: seconds of submissions")
    p.add_argument("--no-transaction", action="store_true", help="skip the transaction phase")
    p.add_argument("--pool-mode", default="session", choices=("session", "transaction"),
                   help="the pool mode of the checked phase (transaction: watch them fail)")
    args = p.parse_args()
    binary = find_pgbouncer(args.pgbouncer)
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    k.log(version.splitlines()[0] if version else binary)
    started = time.monotonic()
    fails: list[str] = []
    session_phase(args, binary, fails)
    if not args.no_transaction:
        transaction_phase(args, binary, fails)
    print(f"\n{time.monotonic() - started:.0f} s")
    return k.verdict(fails, f"FAILED: {len(fails)} failure(s)", 20)


if __name__ == "__main__":
    sys.exit(main())
