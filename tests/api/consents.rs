//! Consents (samtycken, SPEC §9): recorded per person, listed on the case with their validity
//! today, withdrawn once, every change audited and every read logged; the rent commitment's
//! approval needs the tenant's consent or a legal basis; a landlord's early warning needs the
//! landlord's attestation, judged from the submission alone.

use chrono::Duration;
use diesel::RunQueryDsl;
use serde_json::{Value, json};

use crate::casework::{CHILD_PNR, HEAD_NAME, HEAD_PNR, World, open_case, world};
use crate::integrations::{clients, event, submit};
use crate::support::{Backend, Resp, TestApp, each_backend};

fn today() -> chrono::NaiveDate {
    kvar::domain::sweden::today()
}

fn days_ago(n: i64) -> String {
    (today() - Duration::days(n)).to_string()
}

/// (case id, head's person id, child's person id) of a new case opened by `token`.
fn case_and_persons(app: &TestApp, w: &World, token: &str) -> (String, String, String) {
    let case = open_case(app, w, token);
    let hid = case["household_id"].as_str().expect("hid");
    let h = app.get(&format!("/api/v1/households/{hid}"), token);
    assert_eq!(h.status, 200, "{}", h.body);
    let person = |relation: &str| {
        h.json["members"]
            .as_array()
            .expect("members")
            .iter()
            .find(|m| m["relation"] == relation)
            .and_then(|m| m["person_id"].as_str())
            .expect("member")
            .to_owned()
    };
    (
        case["id"].as_str().expect("id").to_owned(),
        person("self"),
        person("child"),
    )
}

fn record(app: &TestApp, token: &str, person: &str, body: Value) -> Resp {
    app.post(&format!("/api/v1/persons/{person}/consents"), token, body)
}

fn withdraw(app: &TestApp, token: &str, person: &str, consent: &str, body: Value) -> Resp {
    app.post(
        &format!("/api/v1/persons/{person}/consents/{consent}/withdraw"),
        token,
        body,
    )
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Text)]
    a: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    b: String,
}

fn rows(app: &TestApp, sql: &str) -> Vec<(String, String)> {
    diesel::sql_query(sql)
        .load::<Row>(&mut app.connect())
        .expect(sql)
        .into_iter()
        .map(|r| (r.a, r.b))
        .collect()
}

fn count(app: &TestApp, table: &str) -> usize {
    rows(
        app,
        &format!("SELECT CAST(COUNT(*) AS TEXT) AS a, '' AS b FROM {table}"),
    )[0]
    .0
    .parse()
    .expect("count")
}

fn strip(r: &Resp) -> String {
    r.body.replace(r.header("x-request-id").unwrap_or("-"), "")
}

#[test]
fn consents_are_recorded_listed_with_their_validity_withdrawn_once_and_audited() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let worker = &w.worker_a1.1;
        let (case, head, child) = case_and_persons(&app, &w, worker);

        let note = "Underskriven blankett i akten";
        let valid = record(
            &app,
            worker,
            &head,
            json!({"scope": "share_with_landlord", "method": "written",
            "given_on": days_ago(10), "note": note}),
        );
        assert_eq!(valid.status, 201, "{}", valid.body);
        assert_eq!(valid.json["validity"], "valid");
        assert_eq!(valid.json["note"], note);
        assert_eq!(valid.json["recorded_by"], w.worker_a1.0.as_str());
        assert_eq!(valid.header("etag"), Some("\"1\""));
        let expired = record(
            &app,
            worker,
            &head,
            json!({"scope": "contact_landlord", "method": "oral",
            "given_on": days_ago(100), "expires_on": days_ago(1)}),
        );
        assert_eq!(expired.status, 201, "{}", expired.body);
        assert_eq!(expired.json["validity"], "expired");
        // The last day is still valid.
        let last_day = record(
            &app,
            worker,
            &child,
            json!({"scope": "early_warning", "method": "digital",
            "given_on": days_ago(5), "expires_on": today()}),
        );
        assert_eq!(last_day.json["validity"], "valid", "{}", last_day.body);

        // Withdrawn once, by the supervisor; a second withdrawal is a conflict.
        let id = last_day.str("id");
        let w1 = withdraw(&app, &w.supervisor_a.1, &child, &id, json!({}));
        assert_eq!(w1.status, 200, "{}", w1.body);
        assert_eq!(w1.json["validity"], "withdrawn");
        assert_eq!(w1.json["withdrawn_on"], today().to_string());
        assert_eq!(w1.json["withdrawn_by"], w.supervisor_a.0.as_str());
        assert_eq!(w1.json["version"], 2);
        withdraw(&app, worker, &child, &id, json!({})).problem(409);
        // A consent of another person is not found through this one.
        withdraw(&app, worker, &head, &id, json!({})).problem(404);
        // Not in the future, not before it was given.
        let ex = expired.str("id");
        let r = withdraw(
            &app,
            worker,
            &head,
            &ex,
            json!({"withdrawn_on": days_ago(-1)}),
        );
        assert_eq!(r.problem(422)["errors"][0]["field"], "withdrawn_on");
        let r = withdraw(
            &app,
            worker,
            &head,
            &ex,
            json!({"withdrawn_on": days_ago(101)}),
        );
        assert_eq!(r.problem(422)["errors"][0]["field"], "withdrawn_on");

        // Listed on the case with the validity of each, today.
        let list = app.get(&format!("/api/v1/cases/{case}/consents"), worker);
        assert_eq!(list.status, 200, "{}", list.body);
        let mut seen: Vec<(String, String)> = list.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|c| {
                assert_eq!(c["validity_on"], today().to_string());
                (
                    c["scope"].as_str().unwrap_or("").to_owned(),
                    c["validity"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            [
                ("contact_landlord".into(), "expired".into()),
                ("early_warning".into(), "withdrawn".into()),
                ("share_with_landlord".into(), "valid".into()),
            ]
        );
        // The read is logged: the case and each person whose consents were shown.
        let rid = list.header("x-request-id").expect("request id");
        let mut logged = rows(
            &app,
            &format!(
                "SELECT subject_type AS a, subject_id AS b FROM access_log \
                 WHERE request_id = '{rid}' AND operation = 'list_case_consents' AND decision = 'granted'"
            ),
        );
        logged.sort();
        let mut want = vec![
            ("case".to_owned(), case.clone()),
            ("person".to_owned(), head.clone()),
            ("person".to_owned(), child.clone()),
        ];
        want.sort();
        assert_eq!(logged, want);

        // Every change is audited; the note is recorded as changed, never by value, and is
        // encrypted at rest.
        let events = rows(
            &app,
            "SELECT action AS a, COALESCE(after_json, '') AS b FROM audit_events \
             WHERE entity_type = 'consent' ORDER BY id",
        );
        let actions: Vec<&str> = events.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(
            actions,
            [
                "consent.create",
                "consent.create",
                "consent.create",
                "consent.withdraw"
            ]
        );
        assert!(events.iter().all(|(_, after)| !after.contains(note)));
        assert!(
            events[0].1.contains("share_with_landlord"),
            "{}",
            events[0].1
        );
        let hex = match app.backend {
            Backend::Sqlite => "hex(note_enc)",
            Backend::Postgres => "encode(note_enc, 'hex')",
        };
        let stored = rows(
            &app,
            &format!("SELECT id AS a, {hex} AS b FROM consents WHERE note_enc IS NOT NULL"),
        );
        let plain: String = note.bytes().map(|b| format!("{b:02x}")).collect();
        assert_eq!(stored.len(), 1);
        assert!(!stored[0].1.to_lowercase().contains(&plain[..16]));
        assert_eq!(app.verify()["ok"], true);
    });
}

#[test]
fn consents_refuse_dates_out_of_order_and_unknown_names() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let (_, head, _) = case_and_persons(&app, &w, &w.worker_a1.1);
        let send = |body: Value| record(&app, &w.worker_a1.1, &head, body);
        let r = send(json!({"scope": "early_warning", "method": "oral", "given_on": days_ago(-1)}));
        assert_eq!(r.problem(422)["errors"][0]["field"], "given_on");
        let r = send(
            json!({"scope": "early_warning", "method": "oral", "given_on": days_ago(3), "expires_on": days_ago(4)}),
        );
        assert_eq!(r.problem(422)["errors"][0]["field"], "expires_on");
        let r = send(json!({"scope": "everything", "method": "oral", "given_on": days_ago(3)}));
        r.problem(422);
        let r = send(
            json!({"scope": "early_warning", "method": "oral", "given_on": days_ago(3), "note": " "}),
        );
        assert_eq!(r.problem(422)["errors"][0]["field"], "note");
        assert_eq!(count(&app, "consents"), 0);
    });
}

#[test]
fn a_person_out_of_reach_is_the_same_404_as_a_missing_one_and_is_logged() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let (case, head, _) = case_and_persons(&app, &w, &w.worker_a1.1);
        let c = record(
            &app,
            &w.worker_a1.1,
            &head,
            json!({"scope": "share_with_landlord", "method": "written", "given_on": days_ago(1)}),
        )
        .str("id");
        let body = json!({"scope": "early_warning", "method": "oral", "given_on": days_ago(1)});
        let missing = uuid::Uuid::now_v7().to_string();
        // Unit B's supervisor: same municipality, other unit.
        let other = &w.supervisor_b.1;
        let out = record(&app, other, &head, body.clone());
        let none = record(&app, other, &missing, body);
        out.problem(404);
        assert_eq!(strip(&out), strip(&none));
        let out = withdraw(&app, other, &head, &c, json!({}));
        let none = withdraw(&app, other, &missing, &c, json!({}));
        out.problem(404);
        assert_eq!(strip(&out), strip(&none));
        app.get(&format!("/api/v1/cases/{case}/consents"), other)
            .problem(404);
        let denied = rows(
            &app,
            &format!(
                "SELECT operation AS a, subject_id AS b FROM access_log \
                 WHERE decision = 'denied' AND subject_id IN ('{head}', '{case}') ORDER BY id"
            ),
        );
        assert_eq!(
            denied,
            [
                ("create_consent".to_owned(), head.clone()),
                ("withdraw_consent".to_owned(), head.clone()),
                ("list_case_consents".to_owned(), case.clone()),
            ]
        );
        // Nothing changed: still one consent, not withdrawn.
        assert_eq!(count(&app, "consents"), 1);
        let list = app.get(&format!("/api/v1/cases/{case}/consents"), &w.supervisor_a.1);
        assert_eq!(list.json["items"][0]["validity"], "valid", "{}", list.body);
        // A landlord may not call them at all.
        app.user(
            &w.admin,
            "consent.landlord",
            "landlord",
            &w.landlord_org,
            None,
        );
        let landlord = app
            .login("consent.landlord", crate::support::PASSWORD)
            .access;
        app.get(&format!("/api/v1/cases/{case}/consents"), &landlord)
            .problem(403);
    });
}

fn draft(app: &TestApp, w: &World, case: &str) -> String {
    let r = app.post(
        &format!("/api/v1/cases/{case}/rent-commitments"),
        &w.worker_a1.1,
        json!({"amount": 9000, "months_covered": 1, "reason": "En månads hyra."}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.str("id")
}

fn decide(app: &TestApp, w: &World, case: &str, rc: &str, body: Value) -> Resp {
    app.post(
        &format!("/api/v1/cases/{case}/rent-commitments/{rc}/decision"),
        &w.supervisor_a.1,
        body,
    )
}

#[test]
fn approving_a_rent_commitment_needs_the_tenants_consent_or_a_recorded_legal_basis() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let worker = &w.worker_a1.1;
        let (case, head, child) = case_and_persons(&app, &w, worker);
        let rc = draft(&app, &w, &case);
        let approve = json!({"decision": "approve", "reason": "Underlaget räcker."});
        let refused = |why: &str| {
            let r = decide(&app, &w, &case, &rc, approve.clone());
            let p = r.problem(409);
            assert!(
                p["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("share_with_landlord") && d.contains("legal_basis")),
                "{why}: {}",
                r.body
            );
        };
        refused("no consent at all");
        // Not the tenant's, not for this scope, expired, withdrawn: none of them will do.
        let share = |person: &str, given: i64, expires: Option<i64>| {
            let mut body = json!({"scope": "share_with_landlord", "method": "written", "given_on": days_ago(given)});
            if let Some(e) = expires {
                body["expires_on"] = json!(days_ago(e));
            }
            let r = record(&app, worker, person, body);
            assert_eq!(r.status, 201, "{}", r.body);
            r.str("id")
        };
        share(&child, 3, None);
        refused("the child's consent");
        record(
            &app,
            worker,
            &head,
            json!({"scope": "contact_landlord", "method": "oral", "given_on": days_ago(3)}),
        );
        refused("another scope");
        share(&head, 30, Some(1));
        refused("expired");
        let gone = share(&head, 3, None);
        assert_eq!(withdraw(&app, worker, &head, &gone, json!({})).status, 200);
        refused("withdrawn");
        let rejected = app.get(&format!("/api/v1/cases/{case}/rent-commitments"), worker);
        assert_eq!(
            rejected.json["items"][0]["status"], "pending",
            "nothing changed"
        );

        // The tenant's valid consent: approved on it.
        let consent = share(&head, 2, Some(0));
        let ok = decide(&app, &w, &case, &rc, approve.clone());
        assert_eq!(ok.status, 200, "{}", ok.body);
        assert_eq!(ok.json["disclosure_basis"], "consent");
        assert_eq!(ok.json["consent_id"], consent.as_str());
        assert_eq!(ok.json["legal_basis"], Value::Null);

        // Without it, a legal basis recorded with its reason.
        assert_eq!(
            withdraw(&app, worker, &head, &consent, json!({})).status,
            200
        );
        let rc2 = draft(&app, &w, &case);
        let r = decide(&app, &w, &case, &rc2, approve.clone());
        r.problem(409);
        let reason = "Sekretessen hindrar inte uppgiftslämnandet i detta fall.";
        let mut with_basis = approve.clone();
        with_basis["legal_basis"] = json!({"reason": reason});
        let mut reject_with_basis = with_basis.clone();
        reject_with_basis["decision"] = json!("reject");
        let r = decide(&app, &w, &case, &rc2, reject_with_basis);
        assert_eq!(r.problem(422)["errors"][0]["field"], "legal_basis");
        with_basis["legal_basis"] = json!({"reason": " "});
        let r = decide(&app, &w, &case, &rc2, with_basis.clone());
        assert_eq!(r.problem(422)["errors"][0]["field"], "legal_basis.reason");
        with_basis["legal_basis"] = json!({"reason": reason});
        let ok = decide(&app, &w, &case, &rc2, with_basis);
        assert_eq!(ok.status, 200, "{}", ok.body);
        assert_eq!(ok.json["disclosure_basis"], "legal_basis");
        assert_eq!(ok.json["legal_basis"], reason);
        assert_eq!(ok.json["consent_id"], Value::Null);

        // Audited: the basis by value, the legal basis as changed only.
        let approvals = rows(
            &app,
            "SELECT changed_fields AS a, COALESCE(after_json, '') AS b FROM audit_events \
             WHERE action = 'rent_commitment.approve' ORDER BY id",
        );
        assert_eq!(approvals.len(), 2);
        assert!(approvals[0].1.contains(&consent), "{}", approvals[0].1);
        assert!(approvals[1].0.contains("legal_basis"), "{}", approvals[1].0);
        assert!(
            approvals
                .iter()
                .all(|(_, after)| !after.contains("Sekretessen"))
        );
        // A rejection needs neither.
        let rc3 = draft(&app, &w, &case);
        let r = decide(
            &app,
            &w,
            &case,
            &rc3,
            json!({"decision": "reject", "reason": "Nej."}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json["disclosure_basis"], Value::Null);
    });
}

fn report(termination_served: Option<bool>, consent: Option<Value>) -> Value {
    let mut r = json!({"tenant": {"personnummer": HEAD_PNR, "name": HEAD_NAME}, "apartment_number": "1102",
        "address": {"street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm", "municipality_code": "0180"},
        "municipality_code": "0180", "periods": [{"month": "2026-10", "amount_due": 8500, "amount_paid": 0}],
        "total_arrears": 8500});
    if let Some(t) = termination_served {
        r["termination_served"] = json!(t);
    }
    if let Some(c) = consent {
        r["tenant_consent"] = c;
    }
    r
}

const STORED: [&str; 6] = [
    "notices",
    "receipts",
    "idempotency_keys",
    "cases",
    "persons",
    "audit_events",
];

#[test]
fn an_early_warning_needs_the_landlords_attestation_decided_from_the_submission_alone() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let c = clients(&app, &w);
        let path = "/api/v1/landlord/arrears-reports";
        let counts = || STORED.map(|t| count(&app, t));

        // Unknown to social services: no termination served and no attestation.
        let before = counts();
        let unknown = submit(&app, &c.landlord, path, "ew-1", report(Some(false), None));
        assert_eq!(
            unknown.problem(422)["errors"],
            json!([{"field": "tenant_consent", "message":
                "is required when no termination has been served (an early warning needs the tenant's consent)"}])
        );
        // The statement itself is required.
        let r = submit(&app, &c.landlord, path, "ew-2", report(None, None));
        assert!(
            r.problem(422)["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("termination_served")),
            "{}",
            r.body
        );
        let r = submit(
            &app,
            &c.landlord,
            path,
            "ew-3",
            report(
                Some(false),
                Some(json!({"given_on": days_ago(-1), "method": "written"})),
            ),
        );
        assert_eq!(
            r.problem(422)["errors"][0]["field"],
            "tenant_consent.given_on"
        );
        assert_eq!(counts(), before, "a refused report stores nothing");

        // Followed by social services, with every consent of theirs recorded: the same answer,
        // byte for byte (no answer to a landlord depends on social services' own records).
        let (case, head, _) = case_and_persons(&app, &w, &w.worker_a1.1);
        for scope in ["early_warning", "share_with_landlord", "contact_landlord"] {
            let r = record(
                &app,
                &w.worker_a1.1,
                &head,
                json!({"scope": scope, "method": "written", "given_on": days_ago(1)}),
            );
            assert_eq!(r.status, 201, "{}", r.body);
        }
        let before = counts();
        let known = submit(&app, &c.landlord, path, "ew-4", report(Some(false), None));
        assert_eq!(strip(&known), strip(&unknown));
        assert_eq!(counts(), before, "a refused report stores nothing");

        // With the landlord's attestation: accepted and kept on the notice.
        let attested = json!({"given_on": days_ago(20), "method": "digital"});
        let r = submit(
            &app,
            &c.landlord,
            path,
            "ew-5",
            report(Some(false), Some(attested.clone())),
        );
        assert_eq!(r.status, 202, "{}", r.body);
        // After a termination: no consent needed; statutory notices and Kronofogden's events
        // never ask for one.
        let r = submit(&app, &c.landlord, path, "ew-6", report(Some(true), None));
        assert_eq!(r.status, 202, "{}", r.body);
        let r = submit(
            &app,
            &c.landlord,
            "/api/v1/landlord/notices",
            "ew-7",
            json!({"kind": "termination_served", "served_on": days_ago(2), "tenant": {"personnummer": HEAD_PNR, "name": HEAD_NAME},
                   "address": {"street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm", "municipality_code": "0180"},
                   "municipality_code": "0180"}),
        );
        assert_eq!(r.status, 202, "{}", r.body);
        let r = submit(
            &app,
            &c.kfm,
            "/api/v1/enforcement/events",
            "ew-8",
            event(
                CHILD_PNR,
                "Olle Testsson",
                "kfm_application_received",
                "12-700-26",
            ),
        );
        assert_eq!(r.status, 202, "{}", r.body);

        // Staff see the landlord's statement and attestation on the notices.
        let notices = app.get(&format!("/api/v1/cases/{case}/notices"), &w.supervisor_a.1);
        assert_eq!(notices.status, 200, "{}", notices.body);
        let arrears: Vec<&Value> = notices.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|n| n["kind"] == "arrears_reported")
            .collect();
        assert_eq!(arrears.len(), 2, "{}", notices.body);
        assert_eq!(arrears[0]["termination_served"], false);
        assert_eq!(arrears[0]["tenant_consent"], attested);
        assert_eq!(arrears[1]["termination_served"], true);
        assert_eq!(arrears[1]["tenant_consent"], Value::Null);
        let termination = notices.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|n| n["kind"] == "termination_served")
            .expect("termination");
        assert_eq!(termination["termination_served"], Value::Null);
        assert_eq!(termination["tenant_consent"], Value::Null);
    });
}
