#!/usr/bin/env python3
"""The database's own limit for kvar's requests on PostgreSQL (issue 16 item 2).

`baseline.py` measures the machine on a toy schema. This runs the statements one kvar request
sends, on a database kvar wrote (its tables, indexes, triggers and rows), through
`pgbench -M prepared` at the same concurrency: what PostgreSQL alone does for kvar's get, list and
update, without HTTP, JSON, tokens, decryption or kvar's thread hand-offs. kvar-bench's figure
divided by this one is kvar's share of the database's limit.

    python3 bench/baseline/kvar_sql.py --db postgres://postgres@127.0.0.1:5432/kvar_bench_XXXX
        [--clients 16] [--seconds 10]

The database: one kept by `kvar-bench --spawn --backends postgres --keep` (it names it at the
end). The run adds access-log rows and audit events to it and bumps case versions, as kvar would;
its helper table `baseline_ids` is dropped afterwards.

Per request, as kvar sends them on 2026-11-30 (pg_stat_statements over kvar-bench; a simplification
where noted: the access-log rows of a get are 3, the worklist refresh reads no assignee row):
- get: the user row (every request re-reads its user), the case with its tenancy, pending closure
  request and closures (one statement), the household's members with their persons, and the
  access-log rows (the case and each member: 3 rows here, the bench's median household);
- list: the user row, 51 cases of the unit by status, newest first, and 50 access-log rows;
- update: the user row, then in one transaction the case in scope, the versioned update
  (RETURNING the row), the worklist columns' inputs (legal deadlines, pending rent commitments),
  the worklist columns, the audit event (its trigger queues it for the sealer).
"""
import argparse, os, subprocess, tempfile

ACCESS_COLUMNS = ("at, actor_id, actor_role, operation, subject_type, subject_id, case_id, "
                  "request_id, decision, actor_unit_id, protected, list_read")


def access_rows(n, subject, case, op, list_read):
    row = (f"(now(), :user, 'supervisor', '{op}', '{{kind}}', {subject}, {case}, "
           f"'bench-request', 'granted', :unit, false, {list_read})")
    return ", ".join(row.format(kind="case" if i == 0 else "person") for i in range(n))


def scripts(n):
    user = "SELECT * FROM users WHERE id = :user;"
    get = f"""\\set k random(1, {n})
{user}
SELECT c.*, t.*, r.id, k.* FROM cases c
  LEFT JOIN tenancies t ON t.id = c.tenancy_id
  LEFT JOIN closure_requests r ON r.case_id = c.id AND r.status = 'pending'
  LEFT JOIN case_closures k ON k.case_id = c.id
  WHERE c.id = (SELECT case_id FROM baseline_ids WHERE k = :k) AND c.unit_id = :unit
  ORDER BY k.closed_at, k.id;
SELECT m.*, p.* FROM household_members m JOIN persons p ON p.id = m.person_id
  WHERE m.household_id = (SELECT household_id FROM baseline_ids WHERE k = :k)
  ORDER BY m.created_at, m.id;
INSERT INTO access_log ({ACCESS_COLUMNS}) VALUES {access_rows(3, "(SELECT case_id FROM baseline_ids WHERE k = :k)", "(SELECT case_id FROM baseline_ids WHERE k = :k)", "get_case", "false")};
"""
    lst = f"""{user}
SELECT * FROM cases WHERE unit_id = :unit AND status = 'new' ORDER BY id DESC LIMIT 51;
INSERT INTO access_log ({ACCESS_COLUMNS}) VALUES {access_rows(50, "'case-id'", "'case-id'", "list_cases", "true")};
"""
    update = f"""\\set k random(1, {n})
{user}
BEGIN;
SELECT * FROM cases WHERE id = (SELECT case_id FROM baseline_ids WHERE k = :k) AND unit_id = :unit;
UPDATE cases SET risk_level = CASE risk_level WHEN 'high' THEN 'medium' ELSE 'high' END,
  version = version + 1, updated_at = now(), last_activity_at = now()
  WHERE id = (SELECT case_id FROM baseline_ids WHERE k = :k) RETURNING id, organization_id, unit_id,
  household_id, tenancy_id, status, legal_stage, risk_level, children_involved, assigned_to,
  outcome, homelessness_situation, closed_at, last_activity_at, version, created_at, updated_at;
SELECT kind, due_on, alternative_due_on, status, provisional FROM deadlines
  WHERE case_id = (SELECT case_id FROM baseline_ids WHERE k = :k) AND status <> 'void'
  AND kind IN ('reinstatement_end', 'rent_commitment_due', 'kfm_order_review_end', 'eviction_date');
SELECT count(*) FROM rent_commitments
  WHERE case_id = (SELECT case_id FROM baseline_ids WHERE k = :k)
  AND (status = 'pending' OR (status = 'approved' AND delivered_on IS NULL));
UPDATE cases SET next_due_on = NULL, escalation_due_on = NULL, worklist_key = 'bench'
  WHERE id = (SELECT case_id FROM baseline_ids WHERE k = :k);
INSERT INTO audit_events (at, actor_type, actor_id, actor_role, actor_unit_id, action, entity_type,
  entity_id, case_id, request_id, changed_fields, before_json, after_json)
  VALUES (now(), 'user', :user, 'supervisor', :unit, 'case.update', 'case',
  (SELECT case_id FROM baseline_ids WHERE k = :k), (SELECT case_id FROM baseline_ids WHERE k = :k),
  'bench-request', '["risk_level"]', '{{"risk_level":"medium"}}', '{{"risk_level":"high"}}');
COMMIT;
"""
    return {"case_get": get, "case_list": lst, "case_update": update}


def psql(db, sql):
    out = subprocess.run(["psql", db, "-qtAX", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def measure(db, clients=16, seconds=10):
    """{scenario: requests/s} of PostgreSQL alone running kvar's statements on `db`."""
    unit = psql(db, "SELECT unit_id FROM cases GROUP BY unit_id ORDER BY count(*) DESC LIMIT 1")
    user = psql(db, f"SELECT id FROM users WHERE unit_id = '{unit}' AND role = 'supervisor' "
                    "ORDER BY id LIMIT 1")
    if not unit or not user:
        raise SystemExit("no unit with cases and a supervisor in this database")
    psql(db, "DROP TABLE IF EXISTS baseline_ids; CREATE TABLE baseline_ids AS SELECT "
             "(row_number() OVER (ORDER BY id))::int AS k, id AS case_id, household_id "
             f"FROM cases WHERE unit_id = '{unit}'; ALTER TABLE baseline_ids ADD PRIMARY KEY (k); "
             "ANALYZE baseline_ids")
    n = int(psql(db, "SELECT count(*) FROM baseline_ids"))
    print(f"kvar's statements through pgbench -M prepared: {n} cases in the unit, {clients} "
          f"clients, {seconds} s each")
    out = {}
    try:
        with tempfile.TemporaryDirectory() as d:
            for name, script in scripts(n).items():
                f = os.path.join(d, f"{name}.sql")
                open(f, "w").write(script)
                r = subprocess.run(["pgbench", "-n", "-M", "prepared", "-c", str(clients),
                                    "-j", "2", "-T", str(seconds), "-D", f"user={user}",
                                    "-D", f"unit={unit}", "-f", f, db],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    raise SystemExit(f"pgbench {name} failed:\n{r.stderr[-2000:]}")
                tps = [l for l in r.stdout.splitlines() if l.startswith("tps")]
                lat = [l for l in r.stdout.splitlines() if l.startswith("latency average")]
                out[name] = float(tps[0].split("=")[1].split()[0])
                print(f"  {name}: {out[name]:,.0f}/s"
                      f" ({lat[0].split('=')[1].strip() if lat else '?'} average)", flush=True)
    finally:
        psql(db, "DROP TABLE IF EXISTS baseline_ids")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True, help="postgres:// URL of a database kvar wrote")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
    measure(args.db, args.clients, args.seconds)


if __name__ == "__main__":
    main()
