//! Read-access logging (security table row 18), generated from the OpenAPI document: every
//! case-content read answered 200 has `granted` access-log rows under its request id, and every
//! operation on a case or household outside the caller's scope answers 404 with a `denied` row
//! (the `authz.denied` record) under its request id naming the object.

use diesel::RunQueryDsl;
use serde_json::{Value, json};

use crate::casework::{HEAD_PNR, open_case, world};
use crate::support::{Resp, TestApp, each_backend};

#[derive(Debug, diesel::QueryableByName)]
struct Entry {
    #[diesel(sql_type = diesel::sql_types::Text)]
    operation: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    subject_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    decision: String,
}

fn entries(app: &TestApp, r: &Resp) -> Vec<Entry> {
    let id = r.header("x-request-id").expect("request id");
    diesel::sql_query(format!(
        "SELECT operation, subject_id, decision FROM access_log WHERE request_id = '{id}'"
    ))
    .load::<Entry>(&mut app.connect())
    .expect("access log")
}

/// A body that passes validation, so the scope check is what answers.
fn valid_body(op: &str) -> Value {
    match op {
        "update_case" => json!({"risk_level": "high"}),
        "decide_closure" => {
            json!({"closure_request_id": uuid::Uuid::now_v7().to_string(), "decision": "approve", "reason": "r"})
        }
        "create_intervention" => json!({"kind": "home_visit"}),
        "create_note" => json!({"body": "x"}),
        "create_notice" => {
            json!({"kind": "termination_served", "served_on": "2026-11-02", "received_on": "2026-11-03"})
        }
        "transition_case" => json!({"to": "triage", "reason": "r"}),
        "create_rent_commitment" => json!({"amount": 1000, "months_covered": 1, "reason": "r"}),
        "decide_rent_commitment" => {
            json!({"decision": "approve", "reason": "r", "legal_basis": {"reason": "r"}})
        }
        "create_consent" => {
            json!({"scope": "share_with_landlord", "method": "written", "given_on": kvar::domain::sweden::today()})
        }
        "withdraw_consent" => json!({}),
        "place_legal_hold" => {
            json!({"reason": "r", "review_on": kvar::domain::sweden::today() + chrono::Duration::days(30)})
        }
        "release_legal_hold" => json!({}),
        "deliver_rent_commitment" => {
            json!({"delivered_on": kvar::domain::sweden::today(), "channel": "post"})
        }
        "create_household_member" => {
            json!({"personnummer": "19121212-1212", "name": "T", "relation": "other"})
        }
        "update_household_member" => json!({"relation": "other"}),
        "update_person" => json!({"protected_identity": true}),
        other => panic!("{other}: add a valid body"),
    }
}

#[test]
fn every_case_read_is_logged_and_every_out_of_scope_404_has_a_denied_row() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let sup_a = &w.supervisor_a.1;
        let case = open_case(&app, &w, sup_a);
        let cid = case["id"].as_str().expect("id").to_owned();
        let hid = case["household_id"].as_str().expect("hid").to_owned();
        app.post(
            &format!("/api/v1/cases/{cid}/notes"),
            sup_a,
            json!({"body": "n"}),
        );
        app.post(
            &format!("/api/v1/cases/{cid}/interventions"),
            sup_a,
            json!({"kind": "home_visit"}),
        );
        app.post(&format!("/api/v1/cases/{cid}/notices"), sup_a,
            json!({"kind": "termination_served", "served_on": "2026-11-02", "received_on": "2026-11-03"}));
        // An approved rent commitment, drafted by a caseworker (so unit A has another supervisor
        // and unit B's cannot stand in).
        let rc = app
            .post(
                &format!("/api/v1/cases/{cid}/rent-commitments"),
                &w.worker_a1.1,
                json!({"amount": 1000, "months_covered": 1, "reason": "r"}),
            )
            .str("id");
        let approved = app.post(
            &format!("/api/v1/cases/{cid}/rent-commitments/{rc}/decision"),
            sup_a,
            json!({"decision": "approve", "reason": "r", "legal_basis": {"reason": "r"}}),
        );
        assert_eq!(approved.status, 200, "{}", approved.body);
        let pid =
            app.get(&format!("/api/v1/households/{hid}"), sup_a).json["members"][0]["person_id"]
                .as_str()
                .expect("person")
                .to_owned();
        let api = serde_json::to_value(kvar::openapi::spec()).expect("json");
        let (mut denied, mut granted, mut unlogged, mut no_denial) = (0, 0, Vec::new(), Vec::new());
        for (method, template) in kvar::openapi::operations(&kvar::openapi::spec()) {
            let m = method.to_lowercase();
            let op = api["paths"][&template][&m]["operationId"]
                .as_str()
                .expect("id")
                .to_owned();
            let id = if template.contains("{case_id}") {
                &cid
            } else if template.contains("{household_id}") {
                &hid
            } else if template.contains("{person_id}") {
                &pid
            } else {
                continue;
            };
            let path = template
                .replace("{case_id}", id)
                .replace("{household_id}", id)
                .replace("{person_id}", id)
                .replace("{consent_id}", &uuid::Uuid::now_v7().to_string())
                .replace("{member_id}", &uuid::Uuid::now_v7().to_string())
                .replace("{commitment_id}", &rc);
            // Supervisor B: same municipality, other unit. Every case or household operation.
            let mut req = app
                .req(&method, &path)
                .token(&w.supervisor_b.1)
                .header("if-match", "\"1\"");
            if method != "GET" {
                req = req.json(valid_body(&op));
            }
            let r = req.send();
            r.problem(404);
            let rows = entries(&app, &r);
            // Logged once: a write's denial is written after its transaction rolled back, not
            // inside it and again after.
            assert_eq!(
                rows.iter().filter(|e| e.decision == "denied").count(),
                1,
                "{op}: denied rows {rows:?}"
            );
            if rows
                .iter()
                .any(|e| e.decision == "denied" && e.subject_id == *id && e.operation == op)
            {
                denied += 1;
            } else {
                no_denial.push((
                    op.clone(),
                    rows.iter()
                        .map(|e| format!("{} {}", e.operation, e.decision))
                        .collect::<Vec<_>>(),
                ));
            }
            // Supervisor A reads it: granted rows under the request id.
            if method == "GET" {
                let r = app.get(&path, sup_a);
                assert_eq!(r.status, 200, "{op}: {}", r.body);
                let rows = entries(&app, &r);
                if rows
                    .iter()
                    .any(|e| e.decision == "granted" && e.operation == op)
                {
                    granted += 1;
                } else {
                    unlogged.push(op);
                }
            }
        }
        // Lists and search show case content too (a closure request waits, filed by a
        // caseworker: the household has a child).
        let filed = crate::casework::transition(
            &app,
            &w.worker_a1.1,
            &cid,
            json!({"to": "closed", "reason": "r", "outcome": "retained_paid"}),
        );
        assert_eq!(filed.status, 202, "{}", filed.body);
        for r in [
            app.get("/api/v1/closure-requests", sup_a),
            app.get("/api/v1/rent-commitments?status=approved", sup_a),
            app.get("/api/v1/cases", sup_a),
            app.get("/api/v1/worklist", sup_a),
            app.post(
                "/api/v1/persons/search",
                sup_a,
                json!({"personnummer": HEAD_PNR}),
            ),
        ] {
            assert_eq!(r.status, 200, "{}", r.body);
            assert!(
                entries(&app, &r).iter().any(|e| e.decision == "granted"),
                "{}: no granted row",
                r.body
            );
            granted += 1;
        }
        assert_eq!(
            no_denial,
            [],
            "404s outside scope without a denied row of the operation"
        );
        // The history and the access log itself are logs about the case, not its content.
        assert_eq!(
            unlogged,
            ["get_case_access_log", "get_case_history"],
            "reads of case content without an access-log row"
        );
        assert!(denied >= 14, "{denied}");
        eprintln!(
            "{b:?} row 18: {denied} out-of-scope 404s, each with a denied row; {granted} reads with granted rows; unlogged (logs about the case): {unlogged:?}"
        );
    });
}
