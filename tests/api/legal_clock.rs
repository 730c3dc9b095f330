//! The legal clock over HTTP: the worked example of research/domain.md §1.8, holidays, notices
//! out of order, corrections, defect grading, deadlines on the case and on the worklist.

use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};

use crate::casework::{World, open_case, world};
use crate::support::{Resp, TestApp, each_backend};

pub fn notice(app: &TestApp, token: &str, case: &str, body: Value) -> Resp {
    let r = app.post(&format!("/api/v1/cases/{case}/notices"), token, body);
    assert_eq!(r.status, 201, "{}", r.body);
    r
}

pub fn deadlines(app: &TestApp, token: &str, case: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/cases/{case}/deadlines"), token);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json["items"].as_array().expect("items").clone()
}

pub fn live<'a>(ds: &'a [Value], kind: &str) -> Vec<&'a Value> {
    ds.iter()
        .filter(|d| d["kind"] == kind && d["status"] != "void")
        .collect()
}

pub fn case_of(app: &TestApp, w: &World) -> String {
    open_case(app, w, &w.worker_a1.1)["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

#[test]
fn the_worked_example_gives_2025_05_07_and_a_timely_commitment_meets_it() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let t = &w.worker_a1.1;
        let cid = case_of(&app, &w);
        let term = notice(
            &app,
            t,
            &cid,
            json!({"kind": "termination_served", "served_on": "2025-04-14", "service_method": "personal", "apartment_size_m2": 54}),
        );
        assert_eq!(
            app.get(&format!("/api/v1/cases/{cid}"), t).json["legal_stage"],
            "terminated"
        );
        let social = notice(
            &app,
            t,
            &cid,
            json!({"kind": "social_notice_received", "sent_on": "2025-04-16", "received_on": "2025-04-16", "apartment_size_m2": 54}),
        );
        assert_eq!(
            app.get(&format!("/api/v1/cases/{cid}"), t).json["legal_stage"],
            "reinstatement_running"
        );
        let ds = deadlines(&app, t, &cid);
        let end = live(&ds, "reinstatement_end");
        assert_eq!(end.len(), 1, "{ds:?}");
        assert_eq!(end[0]["due_on"], "2025-05-07");
        assert_eq!(end[0]["rule_version"], "jb12_44_v1");
        let mut from: Vec<&str> = end[0]["computed_from"]
            .as_array()
            .expect("from")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        from.sort();
        let mut expected = vec![
            term.json["id"].as_str().expect("id"),
            social.json["id"].as_str().expect("id"),
        ];
        expected.sort();
        assert_eq!(from, expected);
        assert_eq!(
            end[0]["status"], "missed",
            "2025 has passed with nothing recorded"
        );
        assert_eq!(live(&ds, "rent_commitment_due")[0]["due_on"], "2025-05-07");
        // The commitment reached the landlord on 2025-05-06: the period is met.
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "rent_commitment_issued", "sent_on": "2025-05-06", "delivered_on": "2025-05-06"}),
        );
        let ds = deadlines(&app, t, &cid);
        assert_eq!(live(&ds, "reinstatement_end")[0]["status"], "met");
        assert_eq!(
            app.get(&format!("/api/v1/cases/{cid}"), t).json["legal_stage"],
            "reinstated"
        );
        assert_eq!(app.verify()["ok"], true);
    });
}

#[test]
fn an_end_on_national_day_rolls_to_the_next_business_day_and_order_does_not_matter() {
    let app = TestApp::spawn(crate::support::Backend::Sqlite);
    let w = world(&app);
    let t = &w.worker_a1.1;
    // The social notice arrives first here: the result is the same.
    let a = case_of(&app, &w);
    notice(
        &app,
        t,
        &a,
        json!({"kind": "social_notice_received", "received_on": "2025-05-16", "apartment_size_m2": 40}),
    );
    notice(
        &app,
        t,
        &a,
        json!({"kind": "termination_served", "served_on": "2025-04-14"}),
    );
    let b = case_of(&app, &w);
    notice(
        &app,
        t,
        &b,
        json!({"kind": "termination_served", "served_on": "2025-04-14"}),
    );
    notice(
        &app,
        t,
        &b,
        json!({"kind": "social_notice_received", "received_on": "2025-05-16", "apartment_size_m2": 40}),
    );
    for cid in [&a, &b] {
        assert_eq!(
            live(&deadlines(&app, t, cid), "reinstatement_end")[0]["due_on"],
            "2025-06-09",
            "Fri 06-06 is National Day"
        );
    }
}

#[test]
fn a_wrong_amount_is_a_material_defect_shown_with_both_readings_and_a_correction_supersedes_it() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let t = &w.worker_a1.1;
        let cid = case_of(&app, &w);
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "arrears_reported", "arrears_amount": 9000, "received_on": "2025-04-08"}),
        );
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "termination_served", "served_on": "2025-04-14"}),
        );
        let first = notice(
            &app,
            t,
            &cid,
            json!({"kind": "social_notice_received", "received_on": "2025-04-16", "amount_to_reinstate": 12000}),
        );
        assert_eq!(first.json["defect_grade"], "material_defect");
        let defects = first.json["defects"].as_array().expect("defects");
        assert!(
            defects.len() == 2,
            "amount differs and size missing: {defects:?}"
        );
        let ds = deadlines(&app, t, &cid);
        let end = live(&ds, "reinstatement_end");
        assert_eq!(end[0]["due_on"], "2025-05-07");
        assert!(
            end[0]["alternative_due_on"].is_null(),
            "no correction yet: the other reading has not started"
        );
        // The corrected notice supersedes the first; the first deadline becomes void.
        let fixed = notice(
            &app,
            t,
            &cid,
            json!({"kind": "social_notice_received", "received_on": "2025-04-25", "amount_to_reinstate": 9000, "apartment_size_m2": 54, "supersedes": first.json["id"]}),
        );
        assert_eq!(fixed.json["defect_grade"], "none");
        let ds = deadlines(&app, t, &cid);
        let end = live(&ds, "reinstatement_end");
        assert_eq!(end.len(), 1);
        // Issue 12 item 4: the earliest reading is due (the defective notice may count); the
        // correction's reading is listed beside it.
        assert_eq!(
            end[0]["due_on"], "2025-05-07",
            "the first notice's reading, should it count: the safest date"
        );
        assert_eq!(
            end[0]["alternative_due_on"], "2025-05-16",
            "the corrected notice's reading"
        );
        let readings: Vec<(&str, &str)> = end[0]["readings"]
            .as_array()
            .expect("readings")
            .iter()
            .map(|r| {
                (
                    r["due_on"].as_str().expect("d"),
                    r["notice_id"].as_str().expect("n"),
                )
            })
            .collect();
        assert_eq!(
            readings,
            [
                ("2025-05-07", first.json["id"].as_str().expect("id")),
                ("2025-05-16", fixed.json["id"].as_str().expect("id"))
            ]
        );
        assert!(ds.iter().any(|d| d["kind"] == "reinstatement_end"
            && d["status"] == "void"
            && d["due_on"] == "2025-05-07"));
        // A notice can be superseded once, and only by one of its kind.
        let again = app.post(&format!("/api/v1/cases/{cid}/notices"), t, json!({"kind": "social_notice_received", "received_on": "2025-04-26", "supersedes": first.json["id"]}));
        assert_eq!(again.problem(422)["errors"][0]["field"], "supersedes");
        let list = app.get(&format!("/api/v1/cases/{cid}/notices"), t);
        let items = list.json["items"].as_array().expect("items");
        assert_eq!(items.iter().filter(|n| n["superseded"] == true).count(), 1);
        // The ledger is immutable.
        use diesel::connection::SimpleConnection;
        let err = app
            .connect()
            .batch_execute("UPDATE notices SET received_on = NULL")
            .expect_err("append-only");
        assert!(err.to_string().contains("append-only"));
    });
}

#[test]
fn a_late_notice_is_accepted_and_flagged_and_bad_notices_name_every_field() {
    let app = TestApp::spawn(crate::support::Backend::Sqlite);
    let w = world(&app);
    let t = &w.worker_a1.1;
    let cid = case_of(&app, &w);
    notice(
        &app,
        t,
        &cid,
        json!({"kind": "kfm_order_issued", "sent_on": "2025-06-02", "kfm_case_number": "12-345678-25"}),
    );
    assert_eq!(
        app.get(&format!("/api/v1/cases/{cid}"), t).json["legal_stage"],
        "kfm_ordered"
    );
    let late = notice(
        &app,
        t,
        &cid,
        json!({"kind": "termination_served", "served_on": "2025-04-14"}),
    );
    assert_eq!(late.json["out_of_order"], true);
    assert_eq!(
        app.get(&format!("/api/v1/cases/{cid}"), t).json["legal_stage"],
        "kfm_ordered",
        "the stage does not move back"
    );
    let review = live(&deadlines(&app, t, &cid), "kfm_order_review_end")[0].clone();
    assert_eq!(review["due_on"], "2025-07-02");
    let tomorrow = (crate::legal_clock::today() + Duration::days(2)).to_string();
    let bad = app.post(&format!("/api/v1/cases/{cid}/notices"), t, json!({"kind": "termination_served", "received_on": tomorrow, "amount_to_reinstate": -5, "service_method": "pigeon"}));
    let fields: Vec<&str> = bad.problem(422)["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "received_on",
            "amount_to_reinstate",
            "service_method",
            "served_on"
        ]
    );
    let bad = app.post(
        &format!("/api/v1/cases/{cid}/notices"),
        t,
        json!({"kind": "eviction"}),
    );
    assert_eq!(bad.problem(422)["errors"][0]["field"], "kind");
}

pub fn today() -> NaiveDate {
    kvar::domain::sweden::today()
}

#[test]
fn the_worklist_shows_the_reinstatement_end_and_escalates_children_facing_eviction() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let t = &w.worker_a1.1;
        let cid = case_of(&app, &w);
        let e = app
            .get(&format!("/api/v1/cases/{cid}"), &w.supervisor_a.1)
            .header("etag")
            .expect("etag")
            .to_owned();
        let r = app
            .req("PATCH", &format!("/api/v1/cases/{cid}"))
            .token(&w.supervisor_a.1)
            .header("if-match", &e)
            .json(json!({"assigned_to": w.worker_a1.0}))
            .send();
        assert_eq!(r.status, 200, "{}", r.body);
        let received = today() - Duration::days(10);
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "termination_served", "served_on": (received - Duration::days(2)).to_string()}),
        );
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "social_notice_received", "received_on": received.to_string(), "apartment_size_m2": 54}),
        );
        let expected = kvar::domain::deadlines::reinstatement_end(received).expect("end");
        let ds = deadlines(&app, t, &cid);
        assert_eq!(
            live(&ds, "reinstatement_end")[0]["due_on"],
            expected.to_string()
        );
        assert_eq!(live(&ds, "reinstatement_end")[0]["status"], "open");
        let wl = app.get("/api/v1/worklist", t);
        assert_eq!(wl.status, 200, "{}", wl.body);
        let item = &wl.json["items"][0];
        assert_eq!(item["case_id"], cid.as_str());
        assert_eq!(item["next_deadline"]["kind"], "reinstatement_end");
        assert_eq!(item["next_deadline"]["due_on"], expected.to_string());
        assert_eq!(
            item["bucket"],
            if expected <= today() + Duration::days(14) {
                "due_soon"
            } else {
                "other"
            }
        );
        // Closing with an open legal deadline needs a supervisor, children or not.
        let e = app
            .get(&format!("/api/v1/cases/{cid}"), t)
            .header("etag")
            .expect("etag")
            .to_owned();
        let close = app
            .req("POST", &format!("/api/v1/cases/{cid}/transitions"))
            .token(t)
            .header("if-match", &e)
            .json(json!({"to": "closed", "reason": "r", "outcome": "no_contact"}))
            .send();
        assert_eq!(close.status, 202, "{}", close.body);
        // An eviction in five days for a family with children and no home visit: escalated.
        let eviction = (chrono::Utc::now() + Duration::days(5)).to_rfc3339();
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "kfm_eviction_scheduled", "eviction_at": eviction, "kfm_case_number": "12-1-26"}),
        );
        let wl = app.get("/api/v1/worklist", &w.supervisor_a.1);
        let esc = wl.json["escalation"].as_array().expect("escalation");
        assert_eq!(esc.len(), 1, "{}", wl.body);
        assert_eq!(esc[0]["case_id"], cid.as_str());
        assert_eq!(esc[0]["risk_level"], "critical");
        assert_eq!(
            app.get("/api/v1/worklist", t).json["escalation"],
            json!([]),
            "caseworkers get no escalation list"
        );
        let visit = app.post(
            &format!("/api/v1/cases/{cid}/interventions"),
            t,
            json!({"kind": "home_visit", "started_on": today().to_string()}),
        );
        assert_eq!(visit.status, 201);
        assert_eq!(
            app.get("/api/v1/worklist", &w.supervisor_a.1).json["escalation"],
            json!([])
        );
        // Another unit's supervisor sees none of it.
        let other = app.get("/api/v1/worklist", &w.supervisor_b.1);
        assert_eq!(
            (
                other.json["items"].clone(),
                other.json["escalation"].clone()
            ),
            (json!([]), json!([]))
        );
        assert_eq!(app.verify()["ok"], true);
    });
}
