//! Arrears cycles over HTTP (issue 12 items 1, 1a, 1b, 2, 4): a repeat cycle, a partial payment,
//! a provisional period replaced by the service date, readings of corrected and late notices,
//! possibly lapsed vs lapsed. Dates are relative to today; no timing.

use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};

use crate::casework::world;
use crate::legal_clock::{case_of, deadlines, live, notice, today};
use crate::support::{TestApp, each_backend};

fn ago(days: i64) -> String {
    (today() - Duration::days(days)).to_string()
}

fn end(start_days_ago: i64) -> String {
    kvar::domain::deadlines::reinstatement_end(today() - Duration::days(start_days_ago))
        .expect("end")
        .to_string()
}

fn flags(d: &Value) -> Vec<&str> {
    d["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

fn cycles(app: &TestApp, t: &str, cid: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/cases/{cid}/deadlines"), t);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json["cycles"].as_array().expect("cycles").clone()
}

fn stage(app: &TestApp, t: &str, cid: &str) -> Value {
    app.get(&format!("/api/v1/cases/{cid}"), t).json["legal_stage"].clone()
}

#[test]
fn a_repeat_cycle_gets_its_own_open_deadline_and_the_paid_first_stays_met() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let t = &w.worker_a1.1;
        let cid = case_of(&app, &w);
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "termination_served", "sent_on": ago(202), "served_on": ago(200)}),
        );
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "social_notice_received", "sent_on": ago(199), "received_on": ago(199), "amount_to_reinstate": 9000, "apartment_size_m2": 54}),
        );
        let pay = notice(
            &app,
            t,
            &cid,
            json!({"kind": "payment_confirmed", "sent_on": ago(190), "amount_paid": 9000}),
        );
        assert_eq!(pay.json["amount_paid"], 9000);
        assert_eq!(stage(&app, t, &cid), "reinstated");
        // Months later: terminated again. The track starts over, nothing is out of order.
        let again = notice(
            &app,
            t,
            &cid,
            json!({"kind": "termination_served", "sent_on": ago(6), "served_on": ago(5)}),
        );
        assert_eq!(again.json["out_of_order"], false);
        assert_eq!(stage(&app, t, &cid), "terminated");
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "social_notice_received", "sent_on": ago(4), "received_on": ago(3), "amount_to_reinstate": 7000, "apartment_size_m2": 54}),
        );
        assert_eq!(stage(&app, t, &cid), "reinstatement_running");
        let ds = deadlines(&app, t, &cid);
        let ends = live(&ds, "reinstatement_end");
        assert_eq!(ends.len(), 2, "{ds:?}");
        let first = ends.iter().find(|d| d["cycle"] == 1).expect("cycle 1");
        let second = ends.iter().find(|d| d["cycle"] == 2).expect("cycle 2");
        assert_eq!(
            (first["status"].as_str(), first["paid"].as_i64()),
            (Some("met"), Some(9000))
        );
        assert_eq!(first["due_on"], end(199));
        assert_eq!(second["status"], "open");
        assert_eq!(
            second["due_on"],
            end(4),
            "the formulär 3 sent date is the earliest reading"
        );
        assert!(flags(second).contains(&"repeat") && second["unsettled"] == true);
        assert!(!flags(first).contains(&"repeat"));
        let cs = cycles(&app, t, &cid);
        assert_eq!(cs.len(), 2);
        assert_eq!(
            (cs[0]["status"].as_str(), cs[0]["met_by"].as_str()),
            (Some("met"), Some("payment"))
        );
        assert_eq!(
            (cs[1]["status"].as_str(), cs[1]["repeat"].as_bool()),
            (Some("open"), Some(true))
        );
        assert_eq!(cs[1]["amount_to_reinstate"], 7000);
        assert_eq!(app.verify()["ok"], true);
    });
}

#[test]
fn a_partial_payment_keeps_the_deadline_open_with_the_sum_and_an_unverified_one_counts_nothing() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let t = &w.worker_a1.1;
        let cid = case_of(&app, &w);
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "termination_served", "served_on": ago(5)}),
        );
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "social_notice_received", "received_on": ago(3), "amount_to_reinstate": 9000, "apartment_size_m2": 54}),
        );
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "payment_confirmed", "sent_on": ago(2), "amount_paid": 5000}),
        );
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "payment_confirmed", "sent_on": ago(1), "amount_paid": 3999}),
        );
        let unverified = notice(
            &app,
            t,
            &cid,
            json!({"kind": "payment_confirmed", "sent_on": ago(1)}),
        );
        let ds = deadlines(&app, t, &cid);
        let e = live(&ds, "reinstatement_end")[0];
        assert_eq!(e["status"], "open", "8,999 of 9,000 kr is not enough");
        assert_eq!(e["paid"], 8999);
        assert!(flags(e).contains(&"partial_payment"));
        assert!(flags(e).contains(&"payment_reported_unverified"));
        // Staff confirm the amount of the unverified one: a correction superseding it.
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "payment_confirmed", "sent_on": ago(1), "amount_paid": 1, "supersedes": unverified.json["id"]}),
        );
        let ds = deadlines(&app, t, &cid);
        let e = live(&ds, "reinstatement_end")[0];
        assert_eq!(
            (e["status"].as_str(), e["paid"].as_i64()),
            (Some("met"), Some(9000))
        );
        assert!(!flags(e).contains(&"partial_payment"));
        // amount_paid is only for payments.
        let bad = app.post(
            &format!("/api/v1/cases/{cid}/notices"),
            t,
            json!({"kind": "kfm_order_issued", "sent_on": ago(1), "amount_paid": 5}),
        );
        assert_eq!(bad.problem(422)["errors"][0]["field"], "amount_paid");
    });
}

#[test]
fn a_formulaer_3_without_a_service_date_gives_a_provisional_deadline_replaced_by_the_service_date()
{
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let t = &w.worker_a1.1;
        let cid = case_of(&app, &w);
        let f3 = notice(
            &app,
            t,
            &cid,
            json!({"kind": "social_notice_received", "sent_on": ago(2), "received_on": ago(2), "apartment_size_m2": 54}),
        );
        let ds = deadlines(&app, t, &cid);
        let e = live(&ds, "reinstatement_end");
        assert_eq!(e.len(), 1, "not 'nothing due': {ds:?}");
        assert_eq!(
            (e[0]["provisional"].as_bool(), e[0]["status"].as_str()),
            (Some(true), Some("open"))
        );
        assert_eq!(e[0]["due_on"], end(2));
        assert!(flags(e[0]).contains(&"provisional"));
        assert_eq!(
            e[0]["readings"][0]["rule"],
            "provisional_formular3_received"
        );
        assert_eq!(e[0]["readings"][0]["notice_id"], f3.json["id"]);
        assert_eq!(cycles(&app, t, &cid)[0]["opened_by"], Value::Null);
        let item = crate::worklist::item_of(&app, t, &cid);
        assert_eq!(item["bucket"], "provisional", "not nothing due: {item}");
        assert_eq!(item["next_deadline"]["provisional"], true, "{item}");
        assert_eq!(item["next_deadline"]["due_on"], end(2));
        // The service date arrives: the provisional deadline is replaced.
        let term = notice(
            &app,
            t,
            &cid,
            json!({"kind": "termination_served", "sent_on": ago(3), "served_on": ago(1)}),
        );
        let ds = deadlines(&app, t, &cid);
        let e = live(&ds, "reinstatement_end");
        assert_eq!(e.len(), 1, "{ds:?}");
        assert_eq!(
            (e[0]["provisional"].as_bool(), e[0]["due_on"].as_str()),
            (Some(false), Some(end(1).as_str()))
        );
        assert!(ds.iter().any(|d| d["kind"] == "reinstatement_end"
            && d["status"] == "void"
            && d["provisional"] == true));
        assert_eq!(cycles(&app, t, &cid)[0]["opened_by"], term.json["id"]);
    });
}

#[test]
fn readings_that_differ_give_the_earliest_due_on_and_possibly_lapsed_before_lapsed() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let t = &w.worker_a1.1;
        // Sent 30 days ago, received 15 days ago: between the two readings of the end.
        let a = case_of(&app, &w);
        notice(
            &app,
            t,
            &a,
            json!({"kind": "termination_served", "served_on": ago(40)}),
        );
        let f3 = notice(
            &app,
            t,
            &a,
            json!({"kind": "social_notice_received", "sent_on": ago(30), "received_on": ago(15), "apartment_size_m2": 54}),
        );
        let ds = deadlines(&app, t, &a);
        let e = live(&ds, "reinstatement_end")[0];
        assert_eq!(e["due_on"], end(30), "the earliest reading");
        assert_eq!(e["alternative_due_on"], end(15));
        let readings = e["readings"].as_array().expect("readings");
        assert_eq!(readings.len(), 2);
        assert_eq!(
            readings[1],
            json!({"due_on": end(15), "rule": "formular3_received", "notice_id": f3.json["id"]})
        );
        assert_eq!(readings[0]["rule"], "formular3_sent");
        assert_eq!(e["status"], "open", "keep acting");
        assert!(flags(e).contains(&"possibly_lapsed"));
        assert_eq!(cycles(&app, t, &a)[0]["status"], "possibly_lapsed");
        let item = crate::worklist::item_of(&app, t, &a);
        assert_eq!(item["bucket"], "possibly_lapsed", "{item}");
        assert_eq!(item["next_deadline"]["due_on"], end(30));
        assert_eq!(item["next_deadline"]["latest_due_on"], end(15));
        assert!(
            NaiveDate::parse_from_str(e["due_on"].as_str().expect("d"), "%Y-%m-%d").expect("date")
                < today()
        );
        // Both readings passed: lapsed.
        let b2 = case_of(&app, &w);
        notice(
            &app,
            t,
            &b2,
            json!({"kind": "termination_served", "served_on": ago(70)}),
        );
        notice(
            &app,
            t,
            &b2,
            json!({"kind": "social_notice_received", "sent_on": ago(60), "received_on": ago(50), "apartment_size_m2": 54}),
        );
        let ds = deadlines(&app, t, &b2);
        let e = live(&ds, "reinstatement_end")[0];
        assert_eq!(e["status"], "missed");
        assert!(!flags(e).contains(&"possibly_lapsed"));
        assert_eq!(cycles(&app, t, &b2)[0]["status"], "reinstatement_lapsed");
        assert_eq!(crate::worklist::item_of(&app, t, &b2)["bucket"], "lapsed");
        // The earliest decision date is informational and unsettled.
        let info = live(&ds, "earliest_decision");
        assert_eq!(info.len(), 1);
        assert_eq!(info[0]["unsettled"], true);
    });
}

#[test]
fn a_rent_commitment_meets_the_cycle_only_when_delivered_in_time() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let t = &w.worker_a1.1;
        let cid = case_of(&app, &w);
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "termination_served", "served_on": ago(60)}),
        );
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "social_notice_received", "received_on": ago(58), "apartment_size_m2": 54}),
        );
        // Issued in time but never recorded as delivered: it meets nothing.
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "rent_commitment_issued", "sent_on": ago(50)}),
        );
        let ds = deadlines(&app, t, &cid);
        let e = live(&ds, "reinstatement_end")[0];
        assert_eq!(e["status"], "missed");
        assert!(flags(e).contains(&"commitment_not_delivered"));
        // Delivered after the end: late.
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "rent_commitment_issued", "sent_on": ago(50), "delivered_on": ago(20)}),
        );
        let ds = deadlines(&app, t, &cid);
        let e = live(&ds, "reinstatement_end")[0];
        assert_eq!(e["status"], "missed");
        assert!(flags(e).contains(&"late"));
        // Delivered before the end: met.
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "rent_commitment_issued", "sent_on": ago(50), "delivered_on": ago(45)}),
        );
        let ds = deadlines(&app, t, &cid);
        assert_eq!(live(&ds, "reinstatement_end")[0]["status"], "met");
        assert_eq!(cycles(&app, t, &cid)[0]["met_by"], "rent_commitment");
    });
}
