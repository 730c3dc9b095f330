#!/usr/bin/env python3
"""kill -9 under load (security table row 27).

Several threads write through the API (idempotent landlord notices and Kronofogden events with
an `Idempotency-Key`; case PATCH with If-Match and notes from a caseworker), the server is
killed with SIGKILL at a random moment, restarted on the same database, and after every round:

* every acknowledged write (2xx received) is in the database exactly once: its idempotency row,
  its receipt, its notice (counted by the submission's own reference, so a second notice for the
  same submission would show), its note, its case version;
* a write whose outcome is unknown (reset, EOF) is there at most once, and re-sending it with
  the same key settles it to exactly once; re-sending an acknowledged key replays the same answer;
* every change has exactly one audit event (notice.create, note.create, case.update: the case's
  version moves by one per audit event), no audit event or receipt points at a missing object;
* `kvar audit verify` (the CLI, same DATABASE_URL and keys) exits 0 with `ok n=N checkpoints=K`,
  N = all events (the chain also holds to every signed checkpoint written before the kill).

    python3 tests/failure/durability.py --backend sqlite,postgres --rounds 20
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import re
import itertools
import os
import shutil
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvarlib as k  # noqa: E402

RISKS = ["low", "high", "critical", "medium"]


@dataclass
class Submission:
    kind: str  # landlord | kfm
    key: str
    ref: str
    body: dict
    round: int
    outcome: str = "pending"  # acked | unknown | refused
    status: int = 0
    response: bytes = b""


@dataclass
class Note:
    case: str
    marker: str
    round: int
    outcome: str = "pending"
    note_id: str = ""


@dataclass
class CaseState:
    id: str
    acked_version: int = 1  # the last acknowledged (or, at round start, stored) version
    acked_risk: str = "medium"
    events_at_start: int = 0  # case.update events when the round started
    acked_this_round: int = 0
    last_outcome: str = "acked"  # outcome of the last PATCH attempt that was sent


@dataclass
class Stats:
    rounds: int = 0
    acked: int = 0
    unknown: int = 0
    refused: int = 0
    lost: int = 0
    duplicates: int = 0
    audit_missing: int = 0
    orphans: int = 0
    replay_failures: int = 0
    chain_ok: int = 0
    failures: list[str] = field(default_factory=list)

    def fail(self, msg: str) -> None:
        self.failures.append(msg)
        k.log(f"FAIL: {msg}")


class Load:
    """One round of writes until the server dies."""

    def __init__(self, port: int, tokens: dict, cases: list[CaseState], round_no: int,
                 person_counter, rnd):
        self.port = port
        self.tokens = tokens
        self.cases = cases
        self.round = round_no
        self.persons = person_counter
        self.rnd = rnd
        self.lock = threading.Lock()
        self.killed = threading.Event()
        self.submissions: list[Submission] = []
        self.notes: list[Note] = []
        self.errors: list[str] = []
        self.unknown_reasons: list[str] = []

    def _next_person(self) -> int:
        with self.lock:
            return next(self.persons)

    def integration(self, kind: str) -> None:
        c = k.Client(self.port)
        path = "/api/v1/landlord/notices" if kind == "landlord" else "/api/v1/enforcement/events"
        token = self.tokens[kind]
        while not self.killed.is_set():
            person = self._next_person()
            key = str(uuid.uuid4())
            ref = f"dur-{key[:18]}"
            body = (k.landlord_notice(person, ref) if kind == "landlord"
                    else k.enforcement_event(person, ref))
            s = Submission(kind, key, ref, body, self.round)
            with self.lock:
                self.submissions.append(s)
            try:
                r = c.request("POST", path, body, token, {"idempotency-key": key})
            except k.NotSent:
                with self.lock:
                    self.submissions.remove(s)
                if self.killed.is_set():
                    return
                time.sleep(0.05)
                continue
            except k.Unknown as e:
                s.outcome = "unknown"
                self.unknown_reasons.append(f"{kind}: {e}")
                continue
            s.status = r.status
            if 200 <= r.status < 300:
                s.outcome, s.response = "acked", r.body
            else:
                s.outcome = "refused"
                if r.status not in (409, 503):
                    self.errors.append(f"{kind} answered {r.status}: {r.body[:200]!r}")

    def staff(self, mine: list[CaseState]) -> None:
        c = k.Client(self.port)
        token = self.tokens["worker"]
        etags: dict[str, str] = {}
        n = 0
        while not self.killed.is_set():
            case = mine[n % len(mine)]
            n += 1
            try:
                if n % 2 == 0:
                    marker = f"dur-note-{uuid.uuid4().hex}"
                    note = Note(case.id, marker, self.round)
                    with self.lock:
                        self.notes.append(note)
                    try:
                        r = c.request("POST", f"/api/v1/cases/{case.id}/notes",
                                      {"body": marker}, token)
                    except k.Unknown:
                        note.outcome = "unknown"
                        continue
                    except k.NotSent:
                        with self.lock:
                            self.notes.remove(note)
                        raise
                    if r.status == 201:
                        note.outcome, note.note_id = "acked", r.json["id"]
                    else:
                        note.outcome = "refused"
                        if r.status != 503:
                            self.errors.append(f"note answered {r.status}: {r.body[:200]!r}")
                    continue
                if case.id not in etags:
                    r = c.request("GET", f"/api/v1/cases/{case.id}", token=token)
                    if r.status != 200:
                        continue
                    etags[case.id] = r.header("etag")
                    current = r.json["risk_level"]
                else:
                    current = case.acked_risk
                risk = self.rnd.choice([x for x in RISKS if x != current])
                previous, case.last_outcome = case.last_outcome, "pending"
                try:
                    r = c.request("PATCH", f"/api/v1/cases/{case.id}", {"risk_level": risk},
                                  token, {"if-match": etags[case.id]})
                except k.Unknown:
                    case.last_outcome = "unknown"
                    etags.pop(case.id, None)
                    continue
                except k.NotSent:
                    case.last_outcome = previous
                    raise
                if r.status == 200:
                    case.last_outcome = "acked"
                    case.acked_version = r.json["version"]
                    case.acked_risk = r.json["risk_level"]
                    case.acked_this_round += 1
                    etags[case.id] = r.header("etag")
                else:
                    case.last_outcome = "refused"
                    etags.pop(case.id, None)
                    if r.status not in (412, 503):
                        self.errors.append(f"PATCH answered {r.status}: {r.body[:200]!r}")
            except k.NotSent:
                if self.killed.is_set():
                    return
                time.sleep(0.05)
            except k.Unknown:
                etags.pop(case.id, None)


def tokens_for(port: int, world: k.World) -> dict:
    return {"landlord": k.client_token(port, world.landlord_client),
            "kfm": k.client_token(port, world.kfm_client),
            "worker": k.login(port, world.worker_username, k.PASSWORD)}


def list_note_bodies(port: int, token: str, case_id: str) -> list[str]:
    bodies, cursor = [], None
    while True:
        q = f"/api/v1/cases/{case_id}/notes?limit=100" + (f"&cursor={cursor}" if cursor else "")
        r = k.expect(k.call(port, "GET", q, token=token), 200, "list notes")
        bodies += [n["body"] for n in r["items"]]
        cursor = r.get("next_cursor")
        if not cursor:
            return bodies


def kfm_case_index(server: k.Server, organization_id: str, number: str) -> str:
    """The blind index kvar stores for a Kronofogden case number (the number itself is sealed
    under the case's data key): HMAC-SHA256 with the blind-index key over the purpose
    `kfm_case_number/{org}`, a zero byte and the number (key version 1: bare hex)."""
    key = base64.b64decode(server.env["KVAR_BLIND_INDEX_KEY"])
    msg = f"kfm_case_number/{organization_id}".encode() + b"\0" + number.strip().encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def counts(db: k.Database, sql: str) -> dict[str, int]:
    return {row[0]: int(row[1]) for row in db.query(sql)}


def check(db: k.Database, server: k.Server, tokens: dict, subs: list[Submission],
          notes: list[Note], cases: list[CaseState], stats: Stats, round_no: int,
          settle: bool) -> None:
    """The invariants; with `settle`, unknown submissions must be there at most once."""
    by_ref = counts(db, "SELECT external_ref, count(*) FROM notices "
                        "WHERE external_ref IS NOT NULL GROUP BY external_ref")
    by_index = counts(db, "SELECT kfm_case_index, count(*) FROM notices "
                          "WHERE source = 'enforcement_authority' GROUP BY kfm_case_index")
    org = db.scalar(f"SELECT id FROM organizations WHERE kind = 'municipality' "
                    f"AND municipality_code = '{k.MUNICIPALITY}'")
    by_ref.update({s.ref: by_index.get(kfm_case_index(server, org, s.ref), 0)
                   for s in subs if s.kind != "landlord"})
    idem = {}
    for key, status, body in db.query("SELECT idem_key, response_status, response_body "
                                      "FROM idempotency_keys"):
        idem.setdefault(key, []).append((status, body))
    receipts = dict(db.query("SELECT id, notice_id FROM receipts"))
    notices = {r[0] for r in db.query("SELECT id FROM notices")}
    notice_audit = counts(db, "SELECT entity_id, count(*) FROM audit_events "
                              "WHERE action = 'notice.create' GROUP BY entity_id")
    for s in subs:
        n = by_ref.get(s.ref, 0)
        if s.outcome == "acked":
            rows = idem.get(s.key, [])
            if n == 0 or not rows:
                stats.lost += 1
                stats.fail(f"round {round_no}: acknowledged {s.kind} {s.key} lost "
                           f"(notices {n}, idempotency rows {len(rows)})")
                continue
            if n > 1 or len(rows) > 1:
                stats.duplicates += 1
                stats.fail(f"round {round_no}: {s.kind} {s.key} present {n}× "
                           f"(idempotency rows {len(rows)})")
            receipt_id = k.json.loads(s.response)["receipt_id"]
            notice_id = receipts.get(receipt_id)
            if notice_id is None or notice_id not in notices:
                stats.lost += 1
                stats.fail(f"round {round_no}: receipt {receipt_id} of {s.key} missing")
            elif notice_audit.get(notice_id, 0) != 1:
                stats.audit_missing += 1
                stats.fail(f"round {round_no}: notice {notice_id} has "
                           f"{notice_audit.get(notice_id, 0)} notice.create events")
        elif n > 1 or len(idem.get(s.key, [])) > 1:
            stats.duplicates += 1
            stats.fail(f"round {round_no}: {s.outcome} {s.kind} {s.key} present {n}×")
        elif settle and n != 1:
            stats.lost += 1
            stats.fail(f"round {round_no}: {s.outcome} {s.kind} {s.key} re-sent but present {n}×")
    # Every notice has its event, every event and receipt its notice.
    orphan_events = set(notice_audit) - notices
    missing_events = [n for n in notices if notice_audit.get(n, 0) != 1]
    orphan_receipts = [r for r, n in receipts.items() if n is not None and n not in notices]
    note_ids = {r[0] for r in db.query("SELECT id FROM notes")}
    note_audit = counts(db, "SELECT entity_id, count(*) FROM audit_events "
                            "WHERE action = 'note.create' GROUP BY entity_id")
    orphan_events |= set(note_audit) - note_ids
    missing_events += [n for n in note_ids if note_audit.get(n, 0) != 1]
    if orphan_events or orphan_receipts:
        stats.orphans += len(orphan_events) + len(orphan_receipts)
        stats.fail(f"round {round_no}: orphan audit events {sorted(orphan_events)[:5]}, "
                   f"orphan receipts {orphan_receipts[:5]}")
    # Every submission matched its case with one intake.match event; every case has its
    # creation event (case.create, or intake.match for a case made by a submission).
    intake = int(db.scalar("SELECT count(*) FROM audit_events WHERE action = 'intake.match'"))
    if intake != len(receipts):
        missing_events.append(f"{intake} intake.match events for {len(receipts)} receipts")
    missing_events += [r[0] for r in db.query(
        "SELECT id FROM cases WHERE id NOT IN (SELECT entity_id FROM audit_events "
        "WHERE action IN ('case.create', 'intake.match') AND entity_id IS NOT NULL)")]
    if missing_events:
        stats.audit_missing += len(missing_events)
        stats.fail(f"round {round_no}: objects without exactly one create event: "
                   f"{missing_events[:5]}")
    # Notes: acknowledged ids stored, markers (decrypted through the API) at most once.
    bodies: dict[str, int] = {}
    for case in cases:
        for b in list_note_bodies(server.port, tokens["worker"], case.id):
            bodies[b] = bodies.get(b, 0) + 1
    for note in notes:
        n = bodies.get(note.marker, 0)
        if note.outcome == "acked" and (n == 0 or note.note_id not in note_ids):
            stats.lost += 1
            stats.fail(f"round {round_no}: acknowledged note {note.note_id} lost")
        elif n > 1:
            stats.duplicates += 1
            stats.fail(f"round {round_no}: note {note.marker} present {n}×")
    # Cases: the version moves by exactly one audit event per committed update, never back.
    updates = counts(db, "SELECT entity_id, count(*) FROM audit_events "
                         "WHERE action = 'case.update' GROUP BY entity_id")
    rows = {r[0]: (int(r[1]), r[2]) for r in
            db.query("SELECT id, version, risk_level FROM cases WHERE id IN (%s)"
                     % ",".join(f"'{c.id}'" for c in cases))}
    for case in cases:
        version, risk = rows[case.id]
        events = updates.get(case.id, 0)
        if version < case.acked_version:
            stats.lost += 1
            stats.fail(f"round {round_no}: case {case.id} at version {version}, "
                       f"acknowledged {case.acked_version}")
        if case.last_outcome in ("acked", "refused") and (version, risk) != (
                case.acked_version, case.acked_risk):
            stats.lost += 1
            stats.fail(f"round {round_no}: case {case.id} is ({version}, {risk}), last "
                       f"acknowledged ({case.acked_version}, {case.acked_risk})")
        if events != version - 1 or events - case.events_at_start < case.acked_this_round:
            stats.audit_missing += 1
            stats.fail(f"round {round_no}: case {case.id} version {version} but {events} "
                       f"case.update events ({case.events_at_start} before the round, "
                       f"{case.acked_this_round} acknowledged in it)")


def resend(port: int, tokens: dict, subs: list[Submission], stats: Stats, round_no: int):
    c = k.Client(port)
    for s in subs:
        path = "/api/v1/landlord/notices" if s.kind == "landlord" else "/api/v1/enforcement/events"
        r = c.request("POST", path, s.body, tokens[s.kind], {"idempotency-key": s.key})
        if s.outcome == "acked":
            if (r.status, r.body) != (s.status, s.response) or \
                    r.header("idempotent-replayed") != "true":
                stats.replay_failures += 1
                stats.fail(f"round {round_no}: replay of {s.key} answered {r.status} "
                           f"{r.body[:120]!r} replayed={r.header('idempotent-replayed')}")
        elif r.status != 202:
            stats.fail(f"round {round_no}: re-sending {s.outcome} {s.key} answered {r.status}")
    c.close()


def verify_chain(db: k.Database, server: k.Server, stats: Stats, round_no: int) -> None:
    for attempt in range(5):
        out = server.cli("audit", "verify")
        total = db.scalar("SELECT count(*) FROM audit_events")
        # "ok n=N checkpoints=K access_batches=B access_rows=R": every event in the chain, held
        # to K signed checkpoints; the access log's sealed batches verify too.
        if out.returncode == 0 and re.fullmatch(
                rf"ok n={total}( checkpoints=\d+)?( access_batches=\d+ access_rows=\d+)?",
                out.stdout.strip()):
            stats.chain_ok += 1
            return
        k.log(f"round {round_no}: audit verify attempt {attempt + 1}: rc={out.returncode} "
              f"{out.stdout.strip()} {out.stderr.strip()[:200]} (events {total})")
        time.sleep(2)
    stats.fail(f"round {round_no}: kvar audit verify did not report ok")


def run_backend(backend: str, args, rnd) -> Stats:
    stats = Stats()
    wd = k.workdir(f"durability-{backend}")
    pg = None
    if backend == "sqlite":
        url = f"sqlite://{wd}/kvar.db"
    else:
        pg = k.PgDatabase(args.pg_url, "kvar_durability")
        url = pg.url
    server = k.Server(args.kvar, url, wd)
    db = k.Database(url)
    try:
        server.start()
        world = k.setup_world(server.port, staff_cases=args.staff_threads * 2)
        cases = [CaseState(c) for c in world.case_ids]
        persons = itertools.count(1)
        all_subs: list[Submission] = []
        all_notes: list[Note] = []
        for round_no in range(1, args.rounds + 1):
            tokens = tokens_for(server.port, world)
            load = Load(server.port, tokens, cases, round_no, persons, rnd)
            threads = []
            for i in range(args.integration_threads):
                kind = "landlord" if i % 2 == 0 else "kfm"
                threads.append(threading.Thread(target=load.integration, args=(kind,)))
            for i in range(args.staff_threads):
                threads.append(threading.Thread(target=load.staff, args=(cases[i::args.staff_threads],)))
            for t in threads:
                t.start()
            time.sleep(rnd.uniform(args.min_run, args.max_run))
            server.kill9()
            load.killed.set()
            for t in threads:
                t.join(timeout=60)
            subs, notes = load.submissions, load.notes
            for s in subs + notes:
                if s.outcome == "pending":  # the thread was inside the call when it ended
                    s.outcome = "unknown"
            for c in cases:
                if c.last_outcome == "pending":
                    c.last_outcome = "unknown"
            patch_acked = sum(c.acked_this_round for c in cases)
            acked = sum(s.outcome == "acked" for s in subs + notes) + patch_acked
            unknown = sum(s.outcome == "unknown" for s in subs + notes) + sum(
                c.last_outcome == "unknown" for c in cases)
            refused = sum(s.outcome == "refused" for s in subs + notes)
            stats.refused += refused
            if args.verbose:
                for e in load.unknown_reasons:
                    k.log(f"  unknown: {e}")
            for e in load.errors:
                stats.fail(f"round {round_no}: {e}")
            restart = server.start()
            tokens = tokens_for(server.port, world)
            before = (stats.lost, stats.duplicates, stats.audit_missing, len(stats.failures))
            all_subs += subs
            all_notes += notes
            check(db, server, tokens, all_subs, all_notes, cases, stats, round_no, settle=False)
            resend(server.port, tokens, subs, stats, round_no)
            for s in subs:
                if s.outcome != "acked":
                    s.outcome = "settled"
            check(db, server, tokens, all_subs, all_notes, cases, stats, round_no, settle=True)
            verify_chain(db, server, stats, round_no)
            stats.rounds += 1
            stats.acked += acked
            stats.unknown += unknown
            ok = (stats.lost, stats.duplicates, stats.audit_missing, len(stats.failures)) == before
            k.log(f"{backend} round {round_no}: acked {acked} (submissions "
                  f"{sum(s.outcome == 'acked' for s in subs)}, notes "
                  f"{sum(n.outcome == 'acked' for n in notes)}, case updates {patch_acked}), "
                  f"unknown {unknown}, refused {refused}, restart {restart:.2f}s, "
                  f"{'ok' if ok else 'FAILED'}")
            # The next round starts from what is stored.
            stored = {r[0]: (int(r[1]), r[2]) for r in db.query(
                "SELECT id, version, risk_level FROM cases")}
            for c in cases:
                c.acked_version, c.acked_risk = stored[c.id]
                c.events_at_start, c.acked_this_round, c.last_outcome = c.acked_version - 1, 0, "acked"
            if args.fail_fast and stats.failures:
                break
        server.stop()
        if server.proc and server.proc.returncode != 0:
            stats.fail(f"kvar exited {server.proc.returncode} on SIGTERM")
    except Exception as e:  # noqa: BLE001 - report and clean up
        stats.fail(f"{backend}: {type(e).__name__}: {e}")
        if server.alive():
            server.kill9()
    finally:
        if server.alive():
            server.stop()
        if stats.failures and args.keep:
            k.log(f"kept {wd} (log {server.log_path})")
        else:
            shutil.rmtree(wd, ignore_errors=True)
        if pg:
            pg.drop()
    return stats


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kvar", default=k.default_binary(), help="path to the kvar binary")
    p.add_argument("--backend", default="sqlite,postgres")
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--pg-url", default=os.environ.get("KVAR_TEST_POSTGRES_URL",
                                                      k.DEFAULT_PG_ADMIN_URL))
    p.add_argument("--integration-threads", type=int, default=4)
    p.add_argument("--staff-threads", type=int, default=2)
    p.add_argument("--min-run", type=float, default=0.3, help="seconds of load before the kill")
    p.add_argument("--max-run", type=float, default=2.5)
    p.add_argument("--seed", type=int)
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--fail-fast", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the data dir of a failed run")
    args = p.parse_args()
    rnd = k.rng(args.seed)
    results = {}
    started = time.monotonic()
    for backend in args.backend.split(","):
        results[backend] = run_backend(backend, args, rnd)
    print()
    print("| backend | rounds | acknowledged writes | unknown outcome | refused (503/409) "
          "| lost | duplicates | audit missing | orphans | replay failures | chain ok |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for b, s in results.items():
        print(f"| {b} | {s.rounds} | {s.acked} | {s.unknown} | {s.refused} | {s.lost} | "
              f"{s.duplicates} | {s.audit_missing} | {s.orphans} | {s.replay_failures} | "
              f"{s.chain_ok}/{s.rounds} |")
    print(f"\n{time.monotonic() - started:.0f} s")
    failed = [f for s in results.values() for f in s.failures]
    short = [b for b, s in results.items() if s.rounds < args.rounds]
    if short and not failed:
        failed = [f"rounds short on {short}"]
    return k.verdict(failed, f"FAILED: {len(failed)} failure(s); rounds short on {short}", 20)


if __name__ == "__main__":
    sys.exit(main())
