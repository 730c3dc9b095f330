//! Retention (gallring, issue 14), end to end on both backends: cases seeded over HTTP with
//! canary values (personnummer, names, note text, addresses), some closed, one held, one in the
//! research sample, one open, one in another municipality; a plan as of six years later,
//! approved by a second person of the first municipality only, run with the CLI; then
//! - the erased subjects' canaries are in no text or blob column of any table (every column of
//!   every table dumped as hex and searched) and their identity ciphertexts are gone;
//! - the sample, the held and the open cluster and the other municipality are intact;
//! - the skeleton fields are there, and `stats_facts` is row for row what it was;
//! - one `retention.erased` event per erased subject, an erasure record, and the audit chain
//!   verifies (API and `kvar audit verify`);
//! - the sample is archived (JSON lines + manifest), confirmed, and erased by the next plan.

use base64::Engine;
use diesel::RunQueryDsl;
use serde_json::{Value, json};

use crate::casework::world;
use crate::support::{Backend, TestApp, each_backend};

/// A valid personnummer `YYYYMMDD-NNNC` for a date and a three-digit birth number.
fn pnr(date: &str, serial: &str) -> String {
    let digits: Vec<u32> = date[2..]
        .chars()
        .chain(serial.chars())
        .filter_map(|c| c.to_digit(10))
        .collect();
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let v = if i % 2 == 0 { d * 2 } else { *d };
            v / 10 + v % 10
        })
        .sum();
    format!("{date}-{serial}{}", (10 - sum % 10) % 10)
}

/// `kvar retention …` (and other subcommands) against the app's database with the tests' keys.
pub fn kvar_cli(app: &TestApp, args: &[&str]) -> (bool, String) {
    let b64 = |k: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(k);
    let keys = kvar::crypto::Keys::for_tests();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kvar"))
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("KVAR_MIGRATE_ON_START", "false")
        .env("KVAR_DATA_DIR", app.data_dir())
        .env("KVAR_AUDIT_KEY", b64(keys.audit))
        .env("KVAR_CHECKPOINT_KEY", b64(keys.checkpoint))
        .env("KVAR_FIELD_KEY", b64(keys.field))
        .env("KVAR_BLIND_INDEX_KEY", b64(keys.blind_index))
        .env("KVAR_JWT_KEY", b64(keys.jwt))
        .env("RUST_LOG", "error")
        .output()
        .expect("run kvar");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    )
}

fn cli_ok(app: &TestApp, args: &[&str]) -> String {
    let (ok, out) = kvar_cli(app, args);
    assert!(ok, "kvar {args:?}: {out}");
    out
}

fn cli_json(app: &TestApp, args: &[&str]) -> Value {
    let out = cli_ok(app, args);
    assert_eq!(out.lines().count(), 1, "one JSON line: {out}");
    serde_json::from_str(&out).expect("json summary")
}

struct Seeded {
    case: String,
    household: String,
    persons: Vec<String>,
}

/// A household (the given members), its tenancy, a case, a notice and a note.
fn seed(
    app: &TestApp,
    token: &str,
    landlord: &str,
    code: &str,
    members: &[(&str, &str, &str)],
    street: &str,
    note: &str,
) -> Seeded {
    let members: Vec<Value> = members
        .iter()
        .map(|(p, n, rel)| {
            let mut m = json!({"personnummer": p, "name": n, "relation": rel});
            if *rel == "child" {
                m["residence"] = json!("permanent");
            }
            m
        })
        .collect();
    let address = json!({"street": street, "postal_code": "99901", "city": "Kanarieby", "municipality_code": code});
    let h = app.post(
        "/api/v1/households",
        token,
        json!({"address": address, "members": members}),
    );
    assert_eq!(h.status, 201, "{}", h.body);
    let hid = h.str("id");
    let t = app.post(
        "/api/v1/tenancies",
        token,
        json!({"household_id": hid, "landlord_organization_id": landlord, "apartment_number": "K-1102",
               "address": address, "monthly_rent": 8500, "contract_type": "municipal_second_hand",
               "rooms": 2, "size_m2": 54}),
    );
    assert_eq!(t.status, 201, "{}", t.body);
    let c = app.post(
        "/api/v1/cases",
        token,
        json!({"household_id": hid, "tenancy_id": t.str("id")}),
    );
    assert_eq!(c.status, 201, "{}", c.body);
    let cid = c.str("id");
    let n = app.post(
        &format!("/api/v1/cases/{cid}/notices"),
        token,
        json!({"kind": "termination_served", "served_on": kvar::domain::sweden::today(), "received_on": kvar::domain::sweden::today()}),
    );
    assert_eq!(n.status, 201, "{}", n.body);
    let n = app.post(
        &format!("/api/v1/cases/{cid}/notes"),
        token,
        json!({"body": note}),
    );
    assert_eq!(n.status, 201, "{}", n.body);
    let persons = h.json["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["person_id"].as_str().expect("person_id").to_owned())
        .collect();
    Seeded {
        case: cid,
        household: hid,
        persons,
    }
}

fn transition(app: &TestApp, token: &str, case: &str, body: Value) {
    let etag = app
        .get(&format!("/api/v1/cases/{case}"), token)
        .header("etag")
        .expect("etag")
        .to_owned();
    let r = app
        .req("POST", &format!("/api/v1/cases/{case}/transitions"))
        .token(token)
        .header("if-match", &etag)
        .json(body)
        .send();
    assert_eq!(r.status, 200, "{}", r.body);
}

fn close(app: &TestApp, sup: &str, case: &str) {
    transition(app, sup, case, json!({"to": "triage", "reason": "r"}));
    transition(
        app,
        sup,
        case,
        json!({"to": "closed", "reason": "r", "outcome": "retained_paid", "homelessness_situation": 4}),
    );
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(diesel::QueryableByName)]
struct Hex {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    v: Option<String>,
}

/// Every text and blob column of every table, as lowercase hex, one entry per value.
fn dump(app: &TestApp) -> Vec<(String, String)> {
    let mut c = app.connect();
    let columns: Vec<(String, String, bool)> = match app.backend {
        Backend::Sqlite => {
            let tables: Vec<Name> = diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .load(&mut c)
            .expect("tables");
            let mut out = Vec::new();
            for t in tables {
                let cols: Vec<Name> =
                    diesel::sql_query(format!("SELECT name FROM pragma_table_info('{}')", t.name))
                        .load(&mut c)
                        .expect("columns");
                out.extend(
                    cols.into_iter()
                        .map(|col| (t.name.clone(), col.name, false)),
                );
            }
            out
        }
        Backend::Postgres => {
            #[derive(diesel::QueryableByName)]
            struct Col {
                #[diesel(sql_type = diesel::sql_types::Text)]
                t: String,
                #[diesel(sql_type = diesel::sql_types::Text)]
                c: String,
                #[diesel(sql_type = diesel::sql_types::Text)]
                ty: String,
            }
            let cols: Vec<Col> = diesel::sql_query(
                "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty \
                 FROM information_schema.columns WHERE table_schema = 'public'",
            )
            .load(&mut c)
            .expect("columns");
            cols.into_iter()
                .map(|col| (col.t, col.c, col.ty == "bytea"))
                .collect()
        }
    };
    let mut values = Vec::new();
    for (table, column, bytea) in columns {
        let expr = match (app.backend, bytea) {
            (Backend::Sqlite, _) => format!("lower(hex(\"{column}\"))"),
            (Backend::Postgres, true) => format!("encode(\"{column}\", 'hex')"),
            (Backend::Postgres, false) => {
                format!("encode(convert_to(\"{column}\"::text, 'UTF8'), 'hex')")
            }
        };
        let rows: Vec<Hex> = diesel::sql_query(format!("SELECT {expr} AS v FROM \"{table}\""))
            .load(&mut c)
            .expect("dump");
        values.extend(
            rows.into_iter()
                .filter_map(|r| r.v)
                .map(|v| (format!("{table}.{column}"), v)),
        );
    }
    values
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Where each canary is found in the dump.
fn found(dump: &[(String, String)], canaries: &[String]) -> Vec<String> {
    let mut hits = Vec::new();
    for canary in canaries {
        let h = hex(canary);
        for (col, v) in dump {
            if v.contains(&h) {
                hits.push(format!("{canary} in {col}"));
            }
        }
    }
    hits
}

#[derive(Debug, PartialEq, diesel::QueryableByName)]
struct Line {
    #[diesel(sql_type = diesel::sql_types::Text)]
    line: String,
}

/// The skeleton and the statistics facts, as text lines to compare before and after.
fn skeleton(app: &TestApp) -> Vec<String> {
    let mut c = app.connect();
    let concat = |parts: &[&str]| -> String {
        let cast: Vec<String> = parts
            .iter()
            .map(|p| format!("COALESCE(CAST({p} AS TEXT), '-')"))
            .collect();
        cast.join(" || '|' || ")
    };
    let queries = [
        format!(
            "SELECT {} AS line FROM stats_facts ORDER BY 1",
            concat(&["case_id", "unit_id", "figure", "month", "bucket", "value"])
        ),
        format!(
            "SELECT {} AS line FROM cases ORDER BY 1",
            concat(&[
                "id",
                "organization_id",
                "unit_id",
                "status",
                "legal_stage",
                "outcome",
                "homelessness_situation",
                "children_involved",
                "closed_at"
            ])
        ),
        format!(
            "SELECT {} AS line FROM household_members m JOIN persons p ON p.id = m.person_id ORDER BY 1",
            concat(&[
                "m.household_id",
                "m.relation",
                "m.residence",
                "p.birth_year"
            ])
        ),
        format!(
            "SELECT {} AS line FROM households ORDER BY 1",
            concat(&["id", "organization_id", "municipality_code"])
        ),
        format!(
            "SELECT {} AS line FROM tenancies ORDER BY 1",
            concat(&[
                "id",
                "municipality_code",
                "contract_type",
                "monthly_rent",
                "rooms",
                "size_m2"
            ])
        ),
        format!(
            "SELECT {} AS line FROM notices ORDER BY 1",
            concat(&[
                "case_id",
                "kind",
                "served_on",
                "received_on",
                "execution_outcome",
                "children_present",
                "social_services_present"
            ])
        ),
        format!(
            "SELECT {} AS line FROM deadlines ORDER BY 1",
            concat(&["case_id", "kind", "due_on", "status"])
        ),
        format!(
            "SELECT {} AS line FROM case_closures ORDER BY 1",
            concat(&["case_id", "outcome", "homelessness_situation", "closed_at"])
        ),
    ];
    let mut out = Vec::new();
    for q in queries {
        let rows: Vec<Line> = diesel::sql_query(&q).load(&mut c).expect(&q);
        out.extend(rows.into_iter().map(|l| l.line));
    }
    out
}

#[derive(diesel::QueryableByName)]
struct PersonCols {
    #[diesel(sql_type = diesel::sql_types::Binary)]
    name_enc: Vec<u8>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pnr_index: String,
}

/// The person's name as the field key decrypts it (None when it does not).
fn name_of(app: &TestApp, person: &str) -> (Option<String>, String) {
    let rows: Vec<PersonCols> = diesel::sql_query(format!(
        "SELECT name_enc, pnr_index FROM persons WHERE id = '{person}'"
    ))
    .load(&mut app.connect())
    .expect("person");
    let row = rows.into_iter().next().expect("the person row stays");
    (
        ring()
            .open(&mut app.connect(), "persons", "name", person, &row.name_enc)
            .ok(),
        row.pnr_index,
    )
}

/// Every key kvar holds: the master field key and, through it, the data keys still stored.
fn ring() -> kvar::crypto::subjects::Keyring {
    kvar::crypto::subjects::Keyring::new(&kvar::crypto::Keys::for_tests().field)
}

#[derive(diesel::QueryableByName)]
struct NoteCols {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Binary)]
    body_enc: Vec<u8>,
}

/// The case's note bodies as the keys kvar holds open them (Err when they do not).
fn notes_of(app: &TestApp, case: &str) -> Vec<Result<String, String>> {
    let mut c = app.connect();
    let rows: Vec<NoteCols> = diesel::sql_query(format!(
        "SELECT id, body_enc FROM notes WHERE case_id = '{case}'"
    ))
    .load(&mut c)
    .expect("notes");
    assert!(!rows.is_empty(), "append-only: the note rows stay");
    rows.iter()
        .map(|n| {
            ring()
                .open(&mut c, "notes", "body", &n.id, &n.body_enc)
                .map_err(|e| e.to_string())
        })
        .collect()
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count(app: &TestApp, sql: &str) -> i64 {
    let rows: Vec<Count> = diesel::sql_query(sql).load(&mut app.connect()).expect(sql);
    rows[0].n
}

#[test]
fn retention_erases_the_expired_cluster_and_keeps_the_skeleton_the_sample_the_held_and_the_open() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let sup = w.supervisor_a.1.clone();
        let (org_b, unit_b) = app.municipality(&w.admin, "1480");
        app.user(&w.admin, "super.gbg", "supervisor", &org_b, Some(&unit_b));
        let sup_b = app.login("super.gbg", crate::support::PASSWORD).access;

        // The erased: an adult and a child, closed.
        let gone_pnr = pnr("19700312", "123");
        let gone_child = pnr("20120304", "456");
        let erased = seed(
            &app,
            &sup,
            &w.landlord_org,
            "0180",
            &[
                (&gone_pnr, "Kanarie Raderasson", "self"),
                (&gone_child, "Lilla Raderasson", "child"),
            ],
            "Raderagatan 13",
            "kanariefagel-anteckning om skulden",
        );
        close(&app, &sup, &erased.case);
        // The research sample (born on the 15th), closed.
        let sample_pnr = pnr("19650715", "321");
        let sample = seed(
            &app,
            &sup,
            &w.landlord_org,
            "0180",
            &[(&sample_pnr, "Urval Arkivsson", "self")],
            "Arkivgatan 15",
            "urvalsanteckning",
        );
        close(&app, &sup, &sample.case);
        // Held: closed, under a legal hold.
        let held = seed(
            &app,
            &sup,
            &w.landlord_org,
            "0180",
            &[(&pnr("19800102", "111"), "Spärr Hållsson", "self")],
            "Spärrgatan 2",
            "spärranteckning",
        );
        close(&app, &sup, &held.case);
        let review_on = kvar::domain::sweden::today() + chrono::Duration::days(30);
        let hold = app.post(
            &format!("/api/v1/cases/{}/legal-hold", held.case),
            &w.worker_a1.1,
            json!({"reason": "överklagat", "review_on": review_on}),
        );
        assert_eq!(hold.status, 403, "a caseworker places no hold");
        let hold = app.post(
            &format!("/api/v1/cases/{}/legal-hold", held.case),
            &sup,
            json!({"reason": "överklagat till förvaltningsrätten", "review_on": review_on}),
        );
        assert_eq!(hold.status, 201, "{}", hold.body);
        assert_eq!(hold.json["reason"], "överklagat till förvaltningsrätten");
        let again = app.post(
            &format!("/api/v1/cases/{}/legal-hold", held.case),
            &sup,
            json!({"reason": "igen", "review_on": review_on}),
        );
        assert_eq!(again.status, 409, "{}", again.body);
        // Open.
        let open = seed(
            &app,
            &sup,
            &w.landlord_org,
            "0180",
            &[(&pnr("19900203", "222"), "Öppen Pågående", "self")],
            "Öppengatan 3",
            "öppen anteckning",
        );
        // Another municipality: closed and as old, but its plan is not approved.
        let other = seed(
            &app,
            &sup_b,
            &w.landlord_org,
            "1480",
            &[(&pnr("19750608", "333"), "Annan Kommunsson", "self")],
            "Annangatan 4",
            "annan anteckning",
        );
        close(&app, &sup_b, &other.case);

        let before = skeleton(&app);
        let six_years =
            (kvar::domain::sweden::today() + chrono::Duration::days(6 * 366)).to_string();

        // The dry run: counts per municipality and rule, no names; nothing changes.
        let dry = cli_json(
            &app,
            &[
                "retention",
                "run",
                "--dry-run",
                "--as-of",
                &six_years,
                "--json",
            ],
        );
        let muni = |v: &Value, code: &str| -> Value {
            v["municipalities"]
                .as_array()
                .expect("municipalities")
                .iter()
                .find(|m| m["municipality_code"] == code)
                .cloned()
                .unwrap_or_else(|| panic!("{code} in {v}"))
        };
        let a = muni(&dry, "0180");
        assert_eq!(a["erase"]["limit"]["clusters"], 1, "{dry}");
        assert_eq!(a["erase"]["limit"]["persons"], 2, "{dry}");
        assert_eq!(a["kept"]["research_sample"], 1, "{dry}");
        assert_eq!(a["kept"]["legal_hold"], 1, "{dry}");
        assert_eq!(a["kept"]["open"], 1, "{dry}");
        assert_eq!(a["holds_to_review"], 1, "past its review date: {dry}");
        assert_eq!(muni(&dry, "1480")["erase"]["limit"]["clusters"], 1);
        let text = cli_ok(
            &app,
            &["retention", "run", "--dry-run", "--as-of", &six_years],
        );
        assert!(
            text.contains("municipality 0180: rule limit: would erase 1 clusters"),
            "{text}"
        );
        for canary in ["Raderasson", "Raderagatan", &gone_pnr[..8]] {
            assert!(!text.contains(canary), "{text}");
        }
        assert_eq!(skeleton(&app), before, "a dry run changes nothing");

        // Plan, approval by a second person of the municipality, run.
        let plan = cli_json(
            &app,
            &[
                "retention",
                "plan",
                "--as-of",
                &six_years,
                "--json",
                "--by",
                "super.a",
            ],
        );
        let plan_id = plan["plan_id"].as_str().expect("plan id").to_owned();
        for (by, why) in [
            ("super.a", "planner"),
            ("worker.a1", "caseworker"),
            ("nobody", "unknown"),
        ] {
            let (ok, out) = kvar_cli(&app, &["retention", "approve", &plan_id, "--by", by]);
            assert!(!ok, "{why} approved: {out}");
        }
        let (ok, out) = kvar_cli(&app, &["retention", "run", "--plan", &plan_id]);
        assert!(ok, "{out}");
        assert!(
            out.contains("erased 0 clusters"),
            "unapproved: nothing: {out}"
        );
        let (ok, out) = kvar_cli(&app, &["retention", "approve", &plan_id, "--by", "auditor"]);
        assert!(!ok && out.contains("already run"), "{out}");

        let plan = cli_json(
            &app,
            &[
                "retention",
                "plan",
                "--as-of",
                &six_years,
                "--json",
                "--by",
                "super.a",
            ],
        );
        let plan_id = plan["plan_id"].as_str().expect("plan id").to_owned();
        cli_ok(&app, &["retention", "approve", &plan_id, "--by", "auditor"]);
        let done = cli_json(&app, &["retention", "run", "--plan", &plan_id, "--json"]);
        assert_eq!(done["dry_run"], false);
        assert_eq!(
            muni(&done, "0180")["erase"]["limit"]["clusters"],
            1,
            "{done}"
        );
        assert_eq!(
            done["total"]["persons"], 2,
            "only municipality 0180's: {done}"
        );
        assert_eq!(muni(&done, "1480")["kept"]["not_approved"], 1, "{done}");

        // (a) The canaries of the erased are nowhere in clear, their identity does not decrypt.
        let canaries = vec![
            gone_pnr.clone(),
            gone_pnr.replace('-', ""),
            gone_pnr[2..].to_owned(),
            gone_child.clone(),
            gone_child.replace('-', ""),
            "Kanarie Raderasson".to_owned(),
            "Lilla Raderasson".to_owned(),
            "Raderagatan 13".to_owned(),
            "kanariefagel-anteckning".to_owned(),
        ];
        let d = dump(&app);
        assert!(d.len() > 100, "the dump reads the database: {}", d.len());
        let hits = found(&d, &canaries);
        assert!(hits.is_empty(), "canaries left: {hits:?}");
        for p in &erased.persons {
            let (name, index) = name_of(&app, p);
            assert_eq!(name, None, "an erased name does not decrypt");
            assert!(index.starts_with("erased:"), "{index}");
        }
        // The note (append-only, never updated) is there and unreadable: its key is shredded.
        for body in notes_of(&app, &erased.case) {
            assert!(body.is_err(), "an erased note still opens: {body:?}");
        }
        for s in [&sample, &held, &open, &other] {
            for body in notes_of(&app, &s.case) {
                assert!(body.is_ok(), "a kept note no longer opens: {body:?}");
            }
        }
        let keys_of = |wrapped: &str| {
            count(
                &app,
                &format!(
                    "SELECT COUNT(*) AS n FROM data_keys WHERE wrapped IS {wrapped} AND subject_id IN \
                     ('{}', '{}', '{}', '{}')",
                    erased.persons[0], erased.persons[1], erased.household, erased.case
                ),
            )
        };
        assert_eq!(
            keys_of("NOT NULL"),
            0,
            "no key of an erased subject is left"
        );
        assert!(
            keys_of("NULL") >= 3,
            "the persons' and the case's keys are destroyed"
        );
        // Addresses are sealed: in clear nowhere, the kept ones' still open (below).
        let kept = found(
            &d,
            &[
                "Arkivgatan 15".to_owned(),
                "Spärrgatan 2".to_owned(),
                "Öppengatan 3".to_owned(),
                "Annangatan 4".to_owned(),
            ],
        );
        assert!(kept.is_empty(), "addresses in clear: {kept:?}");
        // (b), (c) The sample, the held, the open and the other municipality are intact.
        for (s, name) in [
            (&sample, "Urval Arkivsson"),
            (&held, "Spärr Hållsson"),
            (&open, "Öppen Pågående"),
            (&other, "Annan Kommunsson"),
        ] {
            assert_eq!(name_of(&app, &s.persons[0]).0.as_deref(), Some(name));
            let token = if s.case == other.case { &sup_b } else { &sup };
            let c = app.get(&format!("/api/v1/cases/{}", s.case), token);
            assert_eq!(c.status, 200, "{}", c.body);
            let h = app.get(&format!("/api/v1/households/{}", s.household), token);
            assert_eq!(h.status, 200, "{}", h.body);
            assert!(
                h.json["address"]["street"]
                    .as_str()
                    .is_some_and(|st| st.ends_with(char::is_numeric)),
                "the kept address opens: {}",
                h.body
            );
        }
        // (d) The skeleton holds, and every figure over it is what it was.
        assert_eq!(
            skeleton(&app),
            before,
            "skeleton and statistics facts unchanged"
        );
        assert_eq!(
            count(
                &app,
                &format!(
                    "SELECT COUNT(*) AS n FROM household_members WHERE household_id = '{}'",
                    erased.household
                )
            ),
            2
        );
        // (e) One event per erased subject, an erasure record, and the chain verifies.
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'retention.erased'"
            ),
            4
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM erasure_records WHERE rule = 'limit' AND persons = 2 \
                 AND planned_by = 'super.a' AND approved_by = 'auditor'"
            ),
            1
        );
        assert_eq!(app.verify()["ok"], true);
        let out = cli_ok(&app, &["audit", "verify"]);
        assert!(out.starts_with("ok n="), "{out}");

        // The research sample: archived, confirmed, then erased by the next approved plan.
        let dir = tempfile::tempdir().expect("tempdir");
        let pkg = dir.path().join("pkg");
        let pkg_s = pkg.display().to_string();
        let out = cli_ok(
            &app,
            &[
                "retention",
                "archive",
                "--out",
                &pkg_s,
                "--as-of",
                &six_years,
            ],
        );
        assert!(out.contains("1 clusters"), "{out}");
        let lines = std::fs::read_to_string(pkg.join("clusters.jsonl")).expect("jsonl");
        assert!(lines.contains("Urval Arkivsson") && lines.contains("urvalsanteckning"));
        std::fs::write(pkg.join("clusters.jsonl"), lines.replace("Urval", "Ändrad"))
            .expect("tamper");
        let (ok, out) = kvar_cli(&app, &["retention", "archive", "--confirm", &pkg_s]);
        assert!(!ok && out.contains("does not match"), "{out}");
        std::fs::write(pkg.join("clusters.jsonl"), &lines).expect("restore");
        cli_ok(&app, &["retention", "archive", "--confirm", &pkg_s]);
        let plan = cli_json(
            &app,
            &[
                "retention",
                "plan",
                "--as-of",
                &six_years,
                "--json",
                "--by",
                "super.a",
            ],
        );
        let plan_id = plan["plan_id"].as_str().expect("plan id").to_owned();
        assert_eq!(
            muni(&plan, "0180")["erase"]["archived_sample"]["clusters"],
            1,
            "{plan}"
        );
        cli_ok(&app, &["retention", "approve", &plan_id, "--by", "auditor"]);
        cli_ok(&app, &["retention", "run", "--plan", &plan_id]);
        assert_eq!(name_of(&app, &sample.persons[0]).0, None);
        assert_eq!(
            name_of(&app, &held.persons[0]).0.as_deref(),
            Some("Spärr Hållsson")
        );
        assert_eq!(
            name_of(&app, &other.persons[0]).0.as_deref(),
            Some("Annan Kommunsson")
        );
        assert_eq!(skeleton(&app), before);
        assert_eq!(app.verify()["ok"], true);
    });
}

#[test]
fn a_real_run_in_production_needs_an_approved_plan_and_refuses_as_of() {
    let app = TestApp::spawn(Backend::Sqlite);
    let b64 = |k: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(k);
    let keys = kvar::crypto::Keys::for_tests();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kvar"))
            .args(args)
            .env("KVAR_ENV", "production")
            .env("DATABASE_URL", &app.database_url)
            .env("KVAR_MIGRATE_ON_START", "false")
            .env("KVAR_DATA_DIR", app.data_dir())
            .env("KVAR_AUDIT_KEY", b64(keys.audit.clone()))
            .env("KVAR_CHECKPOINT_KEY", b64(keys.checkpoint.clone()))
            .env("KVAR_FIELD_KEY", b64(keys.field.clone()))
            .env("KVAR_BLIND_INDEX_KEY", b64(keys.blind_index.clone()))
            .env("KVAR_JWT_KEY", b64(keys.jwt.clone()))
            .env("RUST_LOG", "error")
            .output()
            .expect("run kvar");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (ok, err) = run(&["retention", "run"]);
    assert!(!ok && err.contains("approved plan"), "{err}");
    let (ok, err) = run(&["retention", "run", "--as-of", "2040-01-01"]);
    assert!(!ok && err.contains("--as-of"), "{err}");
    let (ok, err) = run(&["retention", "run", "--dry-run", "--as-of", "2040-01-01"]);
    assert!(ok, "a dry run may look ahead: {err}");
}
