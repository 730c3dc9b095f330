#!/usr/bin/env python3
"""Schemathesis against kvar's own OpenAPI document, once per principal (security table row 4).

Starts `kvar serve` on a fresh database, seeds a small world through the API (a municipality with
a unit, a user of every role, a landlord organization with a landlord user, an integration client
of each kind, a household with a tenancy and a case), then runs `schemathesis run` with every
check and every phase (examples, coverage, fuzzing, stateful) once per principal and once
anonymously. Exits non-zero on any failure, on a server that died or panicked, or on a run that
tested nothing.

Usage (normally through tests/fuzz/schemathesis.sh, which makes the virtualenv):

  run.py [--kvar target/debug/kvar] [--examples N] [--principals admin,caseworker,...]
         [--database sqlite|postgres] [--report-dir DIR]

Environment: KVAR_FUZZ_EXAMPLES (default 200), KVAR_FUZZ_SEED, KVAR_FUZZ_DATABASE (sqlite),
KVAR_FUZZ_POSTGRES_URL (an admin URL of a PostgreSQL server where a scratch database may be
created; default postgres://postgres@127.0.0.1:5432/postgres), KVAR_FUZZ_MAX_TIME (seconds per
principal, optional cap), SCHEMATHESIS (the schemathesis executable).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ADMIN_PASSWORD = "fuzz-admin-" + uuid.uuid4().hex
STAFF_PASSWORD = "fuzz-staff-" + uuid.uuid4().hex
# Skatteverket's test numbers (fictional people), as in tests/api/casework.rs.
HEAD_PNR = "19811228-9874"
CHILD_PNR = "201501022386"

PRINCIPALS = [
    "admin",
    "supervisor",
    "caseworker",
    "auditor",
    "analyst",
    "landlord",
    "landlord_client",
    "enforcement_client",
    "anonymous",
]

# Every check schemathesis 4.x has. None is excluded; where kvar and a check disagree the reason
# is written here (none so far).
CHECKS = "all"
# Replaced by kvar_positive_data_acceptance in hooks.py (see BEYOND_SCHEMA there for why).
EXCLUDED_CHECKS = "positive_data_acceptance"
PHASES = "examples,coverage,fuzzing,stateful"


def log(msg: str) -> None:
    print(f"fuzz: {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, base: str):
        self.base = base

    def call(self, method: str, path: str, token: str | None = None, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        h = {"content-type": "application/json"} if body is not None else {}
        if token:
            h["authorization"] = f"Bearer {token}"
        h.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, headers=h, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None), r.headers
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, (json.loads(raw) if raw else None), e.headers

    def ok(self, method: str, path: str, token=None, body=None, want=(200, 201, 202)):
        status, js, _ = self.call(method, path, token, body)
        if status not in want:
            # The problem body names no secrets; the request body (passwords) is not printed.
            raise SystemExit(f"fuzz: seeding {method} {path} answered {status}: {js}")
        return js

    def login(self, username: str, password: str) -> str:
        body = {"username": username, "password": password}
        return self.ok("POST", "/api/v1/auth/login", body=body)["access_token"]


def seed(api: Api) -> dict:
    """A small world; returns the sign-in data of every principal (never printed) and the ids
    of what was made (hooks.py puts them into half of the positive cases)."""
    admin = api.login("admin", ADMIN_PASSWORD)
    org = api.ok(
        "POST",
        "/api/v1/organizations",
        admin,
        {"kind": "municipality", "name": "Fuzzby kommun", "municipality_code": "0180"},
    )["id"]
    unit = api.ok("POST", f"/api/v1/organizations/{org}/units", admin, {"name": "Försörjningsstöd"})[
        "id"
    ]
    landlord_org = api.ok(
        "POST",
        "/api/v1/organizations",
        admin,
        {"kind": "landlord", "name": "Fuzz Bostäder AB", "org_number": "556000-0001"},
    )["id"]
    kfm = api.ok(
        "POST",
        "/api/v1/organizations",
        admin,
        {"kind": "enforcement_authority", "name": "Kronofogden"},
    )["id"]

    def user(role: str, org_id: str, unit_id=None) -> dict:
        name = f"fuzz.{role}"
        api.ok(
            "POST",
            "/api/v1/users",
            admin,
            {
                "username": name,
                "password": STAFF_PASSWORD,
                "display_name": name,
                "role": role,
                "organization_id": org_id,
                "unit_id": unit_id,
            },
        )
        return {"kind": "user", "username": name, "password": STAFF_PASSWORD}

    def client(org_id: str, scopes: list) -> dict:
        c = api.ok(
            "POST",
            "/api/v1/integration-clients",
            admin,
            {"organization_id": org_id, "name": "fuzz client", "scopes": scopes},
        )
        return {"kind": "client", "client_id": c["client_id"], "client_secret": c["client_secret"]}

    people = {
        "admin": {"kind": "user", "username": "admin", "password": ADMIN_PASSWORD},
        "supervisor": user("supervisor", org, unit),
        "caseworker": user("caseworker", org, unit),
        "auditor": user("auditor", org),
        "analyst": user("analyst", org),
        "landlord": user("landlord", landlord_org),
        "landlord_client": client(landlord_org, ["landlord:submit", "landlord:receipts"]),
        "enforcement_client": client(kfm, ["enforcement:submit", "enforcement:receipts"]),
    }

    # Some case work, so reads by id and lists have something to find.
    worker = api.login("fuzz.caseworker", STAFF_PASSWORD)
    address = {
        "street": "Storgatan 1",
        "postal_code": "111 22",
        "city": "Stockholm",
        "municipality_code": "0180",
    }
    household = api.ok(
        "POST",
        "/api/v1/households",
        worker,
        {
            "address": address,
            "members": [
                {"personnummer": HEAD_PNR, "name": "Kerstin Testsson", "relation": "self"},
                {
                    "personnummer": CHILD_PNR,
                    "name": "Olle Testsson",
                    "relation": "child",
                    "residence": "permanent",
                },
            ],
        },
    )["id"]
    tenancy = api.ok(
        "POST",
        "/api/v1/tenancies",
        worker,
        {
            "household_id": household,
            "landlord_organization_id": landlord_org,
            "apartment_number": "1102",
            "address": address,
            "monthly_rent": 8500,
            "contract_type": "first_hand",
        },
    )["id"]
    case = api.ok("POST", "/api/v1/cases", worker, {"household_id": household, "tenancy_id": tenancy})
    api.ok(
        "POST",
        f"/api/v1/cases/{case['id']}/notes",
        worker,
        {"body": "Första kontakt per telefon."},
    )
    ids = {
        "org": org,
        "unit": unit,
        "landlord_org": landlord_org,
        "household": household,
        "tenancy": tenancy,
        "case": case["id"],
        "municipality_code": "0180",
    }
    return people, ids


class Server:
    def __init__(self, kvar: str, database: str, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.pg = None
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("KVAR_") and k not in ("DATABASE_URL", "RUST_LOG")
        }
        env.update(
            {
                "KVAR_BIND": f"127.0.0.1:{self.port}",
                "KVAR_DATA_DIR": str(workdir / "data"),
                "KVAR_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
                "KVAR_AUTH_RATE_PER_MINUTE": "1000000",
                "KVAR_SEARCH_RATE_PER_MINUTE": "1000000",
                "RUST_LOG": "warn",
            }
        )
        if database == "postgres":
            self.pg = PgScratch(os.environ.get("KVAR_FUZZ_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
            env["DATABASE_URL"] = self.pg.url
        self.log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen([kvar, "serve"], env=env, stdout=self.log_file, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"fuzz: kvar exited at start:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(self.base + "/health/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.2)
        raise SystemExit("fuzz: kvar did not become ready in 60 s")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def rss_mib(self) -> int | None:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) // 1024
        except OSError:
            return None
        return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()
        if self.pg:
            self.pg.drop()


class PgScratch:
    """A fresh database on a PostgreSQL server, dropped at the end (uses psql)."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url
        self.name = "kvar_fuzz_" + uuid.uuid4().hex[:12]
        self._psql(f"CREATE DATABASE {self.name}")
        base = admin_url.rsplit("/", 1)[0]
        self.url = f"{base}/{self.name}"

    def _psql(self, sql: str) -> None:
        if not shutil.which("psql"):
            raise SystemExit("fuzz: --database postgres needs psql on PATH")
        subprocess.run(["psql", "-q", "-d", self.admin_url, "-c", sql], check=True)

    def drop(self) -> None:
        self._psql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


def run_schemathesis(server: Server, principal: str, creds: dict | None, ids: dict, args, report_dir: Path) -> dict:
    exe = os.environ.get("SCHEMATHESIS", "schemathesis")
    junit = report_dir / f"{principal}.xml"
    cmd = [
        exe,
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{server.base}/openapi.json",
        "--checks",
        CHECKS,
        "--exclude-checks",
        EXCLUDED_CHECKS,
        "--phases",
        PHASES,
        "--max-examples",
        str(args.examples),
        "--seed",
        str(args.seed),
        "--workers",
        str(args.workers),
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "junit,ndjson",
        "--report-junit-path",
        str(junit),
        "--report-ndjson-path",
        str(report_dir / f"{principal}.ndjson"),
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "too_slow",
    ]
    if args.max_time:
        cmd += ["--max-time", str(args.max_time)]
    env = dict(os.environ)
    env["SCHEMATHESIS_HOOKS"] = str(HERE / "hooks.py")
    env["KVAR_FUZZ_IDS"] = json.dumps(ids)
    env.pop("KVAR_FUZZ_PRINCIPAL", None)
    if creds is not None:
        env["KVAR_FUZZ_PRINCIPAL"] = json.dumps(dict(creds, base=server.base))
    log(f"--- {principal}: schemathesis, {args.examples} examples per operation, all checks, phases {PHASES}")
    started = time.time()
    out_path = report_dir / f"{principal}.log"
    with open(out_path, "w") as out:
        rc = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=report_dir).returncode
    elapsed = time.time() - started
    text = out_path.read_text()
    # The summary block at the end is what a human wants to see.
    tail = text[text.rfind("=" * 10 + " SUMMARY") :] if "SUMMARY" in text else text[-4000:]
    print(tail.strip(), flush=True)
    cases = count_cases(report_dir / f"{principal}.ndjson")
    return {"principal": principal, "rc": rc, "seconds": round(elapsed), "cases": cases, "log": str(out_path)}


def count_cases(ndjson: Path) -> dict:
    """Test cases sent, by phase, and the fewest fuzzing cases any operation got, from the
    run's ndjson event stream."""
    by_phase: dict = {}
    per_op: dict = {}
    try:
        for line in ndjson.read_text().splitlines():
            sf = json.loads(line).get("ScenarioFinished")
            if sf is None:
                continue
            n = len(sf.get("recorder", {}).get("cases", {}))
            by_phase[sf["phase"]] = by_phase.get(sf["phase"], 0) + n
            if sf["phase"] == "fuzzing":
                label = sf["recorder"].get("label")
                per_op[label] = per_op.get(label, 0) + n
    except (OSError, ValueError, KeyError):
        pass
    return {
        "total": sum(by_phase.values()),
        "by_phase": by_phase,
        "fuzzing_per_op": per_op,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kvar", default=str(ROOT / "target" / "debug" / "kvar"))
    ap.add_argument("--examples", type=int, default=int(os.environ.get("KVAR_FUZZ_EXAMPLES", "200")))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("KVAR_FUZZ_SEED", "20260101")))
    ap.add_argument("--workers", default=os.environ.get("KVAR_FUZZ_WORKERS", "2"))
    ap.add_argument("--max-time", type=int, default=int(os.environ.get("KVAR_FUZZ_MAX_TIME", "0")) or None)
    ap.add_argument("--principals", default=",".join(PRINCIPALS))
    ap.add_argument("--database", default=os.environ.get("KVAR_FUZZ_DATABASE", "sqlite"), choices=["sqlite", "postgres"])
    ap.add_argument("--report-dir", default=None)
    args = ap.parse_args()

    wanted = [p.strip() for p in args.principals.split(",") if p.strip()]
    unknown = [p for p in wanted if p not in PRINCIPALS]
    if unknown:
        ap.error(f"unknown principals {unknown}; known: {PRINCIPALS}")
    # The admin may change other users; it goes last so the others see the world as seeded.
    wanted.sort(key=lambda p: (p == "admin", PRINCIPALS.index(p)))

    workdir = Path(tempfile.mkdtemp(prefix="kvar-fuzz-"))
    report_dir = Path(args.report_dir).resolve() if args.report_dir else workdir / "reports"
    report_dir.mkdir(parents=True, exist_ok=True)
    log(f"kvar {args.kvar} on {args.database}; reports in {report_dir}")
    server = Server(args.kvar, args.database, workdir)
    results = []
    failed = False
    try:
        people, ids = seed(Api(server.base))
        log(f"seeded; kvar at {server.base}")
        for p in wanted:
            r = run_schemathesis(server, p, people.get(p), ids, args, report_dir)
            r["rss_mib"] = server.rss_mib()
            results.append(r)
            if not server.alive():
                log(f"kvar died during the {p} run (exit status {server.proc.returncode})")
                failed = True
                break
    finally:
        server.stop()
        shutil.copy(server.log_path, report_dir / "server.log")
    panics = [line for line in (report_dir / "server.log").read_text(errors="replace").splitlines() if "panicked" in line]
    if panics:
        log(f"{len(panics)} panic line(s) in the server log, e.g. {panics[0][:300]}")
        failed = True

    log(f"principal            exit  seconds  cases (coverage/fuzzing/stateful)  ops with >= {args.examples} fuzzing cases  server RSS (MiB)")
    short_ops = set()
    for r in results:
        c = r["cases"]
        ph = c["by_phase"]
        split = f"{c['total']} ({ph.get('coverage', 0)}/{ph.get('fuzzing', 0)}/{ph.get('stateful', 0)})"
        per_op = c["fuzzing_per_op"]
        full = sum(1 for n in per_op.values() if n >= args.examples)
        short_ops.update(f"{op} ({n})" for op, n in per_op.items() if n < args.examples)
        log(f"{r['principal']:<20} {r['rc']:>4}  {r['seconds']:>7}  {split:<33}  {full:>3}/{len(per_op):<25}  {r['rss_mib']}")
        if r["rc"] != 0:
            failed = True
        if not c["total"]:
            log(f"{r['principal']}: no test case ran")
            failed = True
    if short_ops:
        # Hypothesis stops early when an operation has fewer distinct inputs (the health
        # endpoints take none) or when most drawn bodies are filtered out.
        log("fewer fuzzing cases than asked (operation (cases), any principal): " + ", ".join(sorted(short_ops)))
    if len(results) != len(wanted):
        failed = True
    if failed:
        log(f"FAILED; see the logs in {report_dir}")
        return 1
    shutil.rmtree(workdir / "data", ignore_errors=True)
    log(f"{len(results)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
