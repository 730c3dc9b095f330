"""Shared helpers for the failure tests (Python 3.11 standard library only).

A real `kvar serve` process on a fresh database, an HTTP client that tells a definite answer
from an unknown outcome, direct SQL on SQLite (sqlite3 module) or PostgreSQL (psql), and the
set-up of a municipality, a caseworker and integration clients through the API.
"""

from __future__ import annotations

import base64
import datetime
import http.client
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field

ADMIN_PASSWORD = "failure-test-admin-password"
PASSWORD = "correct horse battery staple"
MUNICIPALITY = "0180"
ADDRESS = {"street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm",
           "municipality_code": MUNICIPALITY}
DEFAULT_PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def verdict(failures: list[str], headline: str = "FAILED:", limit: int | None = None) -> int:
    """Print PASS, or the headline and the failures (the first `limit`); the exit status."""
    if not failures:
        print("PASS")
        return 0
    print(headline)
    for f in failures[:limit]:
        print(f"  {f}")
    return 1


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def default_binary() -> str:
    return os.environ.get("KVAR_BIN", "target/release/kvar")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gen_keys() -> dict[str, str]:
    return {k: base64.b64encode(os.urandom(32)).decode() for k in
            ("KVAR_JWT_KEY", "KVAR_AUDIT_KEY", "KVAR_FIELD_KEY", "KVAR_BLIND_INDEX_KEY",
             "KVAR_CHECKPOINT_KEY")}


def luhn(digits: str) -> int:
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def personnummer(i: int) -> str:
    """A distinct, valid personnummer (`YYYYMMDD-NNNC`) for every i < 3 650 000."""
    day = datetime.date(1950, 1, 1) + datetime.timedelta(days=i // 999)
    nnn = f"{i % 999 + 1:03d}"
    ten = day.strftime("%y%m%d") + nnn
    return f"{day.strftime('%Y%m%d')}-{nnn}{luhn(ten)}"


# ---------------------------------------------------------------- HTTP


class Unknown(Exception):
    """The request may have reached the server but no answer came (reset, timeout, EOF).

    `fresh`: it was the first request on a new connection (not a reused keep-alive one)."""

    def __init__(self, msg: str, fresh: bool = False):
        super().__init__(msg)
        self.fresh = fresh


class NotSent(Exception):
    """The request cannot have reached the server (connection refused)."""


@dataclass
class Resp:
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float

    @property
    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class Client:
    """One keep-alive connection (one per thread)."""

    def __init__(self, port: int, timeout: float = 15.0):
        self.port = port
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, body=None, token: str | None = None,
                headers: dict[str, str] | None = None) -> Resp:
        hdrs = {"accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["content-type"] = "application/json"
        if token:
            hdrs["authorization"] = f"Bearer {token}"
        hdrs.update(headers or {})
        started = time.monotonic()
        fresh = self.conn is None
        if fresh:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.connect()
            except (ConnectionRefusedError, ConnectionResetError) as e:
                self.close()
                raise NotSent(str(e)) from e
            except OSError as e:
                self.close()
                raise NotSent(str(e)) from e
        try:
            self.conn.request(method, path, body=data, headers=hdrs)
            r = self.conn.getresponse()
            payload = r.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                TimeoutError, socket.timeout, http.client.HTTPException, OSError) as e:
            self.close()
            raise Unknown(f"{type(e).__name__}: {e}", fresh) from e
        resp = Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, payload,
                    time.monotonic() - started)
        if (resp.header("connection") or "").lower() == "close":
            self.close()
        return resp


def call(port: int, method: str, path: str, body=None, token=None, headers=None,
         timeout: float = 15.0) -> Resp:
    c = Client(port, timeout)
    try:
        return c.request(method, path, body, token, headers)
    finally:
        c.close()


def expect(resp: Resp, status: int, what: str) -> dict:
    if resp.status != status:
        raise AssertionError(f"{what}: expected {status}, got {resp.status}: {resp.body[:300]!r}")
    return resp.json


# ---------------------------------------------------------------- databases


class Database:
    """Direct SQL for the checks: the sqlite3 module, or psql for PostgreSQL."""

    def __init__(self, url: str):
        self.url = url

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite://")

    def query(self, sql: str) -> list[tuple]:
        if self.is_sqlite:
            path = self.url[len("sqlite://"):]
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
            try:
                return [tuple(None if v is None else str(v) for v in row)
                        for row in con.execute(sql).fetchall()]
            finally:
                con.close()
        out = subprocess.run(["psql", self.url, "-X", "-q", "-At", "-F", "\x1f", "-c", sql],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError(f"psql failed: {out.stderr.strip()}")
        return [tuple(line.split("\x1f")) for line in out.stdout.splitlines() if line != ""]

    def scalar(self, sql: str) -> str:
        rows = self.query(sql)
        return rows[0][0] if rows else ""


def psql_admin(admin_url: str, sql: str) -> None:
    out = subprocess.run(["psql", admin_url, "-X", "-q", "-c", sql], capture_output=True,
                         text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"psql {sql!r}: {out.stderr.strip()}")


def with_dbname(admin_url: str, name: str) -> str:
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


class PgDatabase:
    """A fresh database on a PostgreSQL server, dropped at close."""

    def __init__(self, admin_url: str, prefix: str):
        self.admin_url = admin_url
        self.name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        psql_admin(admin_url, f"CREATE DATABASE {self.name}")
        self.url = with_dbname(admin_url, self.name)

    def drop(self) -> None:
        try:
            psql_admin(self.admin_url, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        except RuntimeError as e:
            log(f"warning: could not drop {self.name}: {e}")


# ---------------------------------------------------------------- the server


class Server:
    """`kvar serve` on a given DATABASE_URL; restartable on the same database and keys."""

    def __init__(self, binary: str, database_url: str, workdir: str, extra_env=None):
        self.binary = os.path.abspath(binary)
        if not os.access(self.binary, os.X_OK):
            raise SystemExit(f"kvar binary not found: {self.binary} (build it, or pass --kvar)")
        self.workdir = workdir
        self.port = free_port()
        self.env = dict(os.environ)
        for k in list(self.env):
            if k.startswith("KVAR_") or k == "DATABASE_URL":
                del self.env[k]
        self.env.update(gen_keys())
        self.env.update({
            "DATABASE_URL": database_url,
            "KVAR_BIND": f"127.0.0.1:{self.port}",
            "KVAR_DATA_DIR": os.path.join(workdir, "data"),
            "KVAR_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "KVAR_AUTH_RATE_PER_MINUTE": "100000",
            "KVAR_ENV": "development",
            "RUST_LOG": os.environ.get("KVAR_FAILURE_RUST_LOG", "warn"),
            "MALLOC_MMAP_THRESHOLD_": "131072",
        })
        self.env.update(extra_env or {})
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.log_path = os.path.join(workdir, "kvar.log")

    def start(self, ready_timeout: float = 60.0) -> float:
        """Start and wait until /health/ready answers 200; returns the seconds it took."""
        assert self.proc is None or self.proc.poll() is not None
        self.starts += 1
        logf = open(self.log_path, "ab")
        logf.write(f"\n===== start {self.starts} =====\n".encode())
        logf.flush()
        t0 = time.monotonic()
        self.proc = subprocess.Popen([self.binary, "serve"], env=self.env, stdout=logf,
                                     stderr=subprocess.STDOUT, cwd=self.workdir)
        logf.close()
        deadline = t0 + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kvar exited with {self.proc.returncode} at start; "
                                   f"log tail:\n{self.log_tail()}")
            try:
                if call(self.port, "GET", "/health/ready", timeout=2).status == 200:
                    return time.monotonic() - t0
            except (Unknown, NotSent):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"kvar not ready within {ready_timeout}s; log tail:\n{self.log_tail()}")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def terminate(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([self.binary, *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout, cwd=self.workdir)

    def log_tail(self, n: int = 30) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""


def workdir(prefix: str) -> str:
    return tempfile.mkdtemp(prefix=f"kvar-{prefix}-")


# ---------------------------------------------------------------- the world


@dataclass
class World:
    admin_token: str
    org_id: str
    unit_id: str
    landlord_org_id: str
    worker_username: str
    landlord_client: dict
    kfm_client: dict
    case_ids: list[str] = field(default_factory=list)


def login(port: int, username: str, password: str) -> str:
    r = call(port, "POST", "/api/v1/auth/login", {"username": username, "password": password})
    return expect(r, 200, f"login {username}")["access_token"]


def client_token(port: int, client: dict) -> str:
    r = call(port, "POST", "/api/v1/auth/token",
             {"grant_type": "client_credentials", "client_id": client["client_id"],
              "client_secret": client["client_secret"]})
    return expect(r, 200, "client token")["access_token"]


def setup_world(port: int, staff_cases: int = 0) -> World:
    admin = login(port, "admin", ADMIN_PASSWORD)
    org = expect(call(port, "POST", "/api/v1/organizations",
                      {"kind": "municipality", "name": "Failure kommun",
                       "municipality_code": MUNICIPALITY}, admin), 201, "municipality")["id"]
    unit = expect(call(port, "POST", f"/api/v1/organizations/{org}/units",
                       {"name": "Intag"}, admin), 201, "unit")["id"]
    landlord = expect(call(port, "POST", "/api/v1/organizations",
                           {"kind": "landlord", "name": "Bostäder AB",
                            "org_number": "556000-0001"}, admin), 201, "landlord")["id"]
    kfm = expect(call(port, "POST", "/api/v1/organizations",
                      {"kind": "enforcement_authority", "name": "Kronofogden",
                       "org_number": "202100-5026"}, admin), 201, "kfm org")["id"]
    expect(call(port, "POST", "/api/v1/users",
                {"username": "worker", "password": PASSWORD, "display_name": "Worker",
                 "role": "caseworker", "organization_id": org, "unit_id": unit}, admin),
           201, "caseworker")
    lc = expect(call(port, "POST", "/api/v1/integration-clients",
                     {"organization_id": landlord, "name": "Hyressystem",
                      "scopes": ["landlord:submit", "landlord:receipts"]}, admin), 201,
                "landlord client")
    kc = expect(call(port, "POST", "/api/v1/integration-clients",
                     {"organization_id": kfm, "name": "KFM",
                      "scopes": ["enforcement:submit", "enforcement:receipts"]}, admin), 201,
                "kfm client")
    w = World(admin, org, unit, landlord, "worker", lc, kc)
    token = login(port, "worker", PASSWORD)
    for i in range(staff_cases):
        w.case_ids.append(open_case(port, token, landlord, 900_000 + i))
    return w


def open_case(port: int, token: str, landlord_org: str, person: int) -> str:
    h = expect(call(port, "POST", "/api/v1/households",
                    {"address": ADDRESS, "members": [
                        {"personnummer": personnummer(person), "name": f"Person {person}",
                         "relation": "self"}]}, token), 201, "household")
    t = expect(call(port, "POST", "/api/v1/tenancies",
                    {"household_id": h["id"], "landlord_organization_id": landlord_org,
                     "apartment_number": "1102", "address": ADDRESS, "monthly_rent": 8500,
                     "contract_type": "first_hand", "rooms": 2, "size_m2": 54}, token),
               201, "tenancy")
    c = expect(call(port, "POST", "/api/v1/cases",
                    {"household_id": h["id"], "tenancy_id": t["id"]}, token), 201, "case")
    return c["id"]


def landlord_notice(person: int, ref: str) -> dict:
    return {"kind": "termination_served", "served_on": datetime.date.today().isoformat(),
            "tenant": {"personnummer": personnummer(person), "name": f"Person {person}"},
            "address": ADDRESS, "municipality_code": MUNICIPALITY, "reference": ref}


def enforcement_event(person: int, number: str) -> dict:
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return {"event_type": "kfm_application_received",
            "occurred_at": now.isoformat().replace("+00:00", "Z"),
            "kfm_case_number": number, "municipality_code": MUNICIPALITY,
            "tenant": {"personnummer": personnummer(person), "name": f"Person {person}"},
            "address": ADDRESS}


def rng(seed: int | None) -> random.Random:
    seed = seed if seed is not None else int.from_bytes(os.urandom(4), "big")
    log(f"random seed {seed}")
    return random.Random(seed)


def advisory_keys() -> dict[str, int]:
    """kvar's advisory lock keys by name (`AccessSealer` → key), read from the one lock table,
    src/db/advisory.rs; empty when the file is not there."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "db",
                        "advisory.rs")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return {}
    return {n: int(v.replace("_", ""), 16)
            for n, v in re.findall(r"Lock::(\w+) => (0x[0-9a-fA-F_]+)", text)}
