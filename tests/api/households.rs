//! Households and tenancies after creation (issue 12, items 6 and 7): members added and changed
//! later with `children_involved` following on every case of the household, tenancies completed
//! where intake left placeholders, scope, and closures kept as rows across reopenings.

use diesel::RunQueryDsl;
use serde_json::{Value, json};

use crate::casework::{CHILD_NAME, CHILD_PNR, World, open_case, world};
use crate::integrations::{clients, submit};
use crate::support::{Resp, TestApp, each_backend};

const TENANT_PNR: &str = "19121212-1212";
const TENANT_NAME: &str = "Tolvan Tolvansson";

/// A case made by intake from a landlord's termination for a tenant unknown to social services:
/// only the tenant in the household, a tenancy with placeholders.
fn intake_case(app: &TestApp, w: &World) -> Value {
    let c = clients(app, w);
    let notice = json!({"kind": "termination_served", "served_on": "2026-11-02",
        "tenant": {"personnummer": TENANT_PNR, "name": TENANT_NAME},
        "address": {"street": "Storgatan 9", "postal_code": "11122", "city": "Stockholm", "municipality_code": "0180"},
        "municipality_code": "0180"});
    let r = submit(app, &c.landlord, "/api/v1/landlord/notices", "hh-1", notice);
    assert_eq!(r.status, 202, "{}", r.body);
    let list = app.get("/api/v1/cases?limit=100", &w.supervisor_a.1);
    let items = list.json["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{}", list.body);
    items[0].clone()
}

fn actions(app: &TestApp, w: &World, case: &str) -> Vec<Value> {
    let h = app.get(
        &format!("/api/v1/cases/{case}/history?limit=100"),
        &w.supervisor_a.1,
    );
    assert_eq!(h.status, 200, "{}", h.body);
    h.json["items"].as_array().expect("items").clone()
}

fn count(events: &[Value], action: &str) -> usize {
    events.iter().filter(|e| e["action"] == action).count()
}

fn patch(app: &TestApp, token: &str, path: &str, etag: Option<&str>, body: Value) -> Resp {
    let mut r = app.req("PATCH", path).token(token);
    if let Some(e) = etag {
        r = r.header("if-match", e);
    }
    r.json(body).send()
}

#[test]
fn a_child_added_to_an_intake_case_turns_children_involved_on_and_moving_out_turns_it_off() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let case = intake_case(&app, &w);
        let (cid, hid) = (case.str_of("id"), case.str_of("household_id"));
        let t = &w.worker_a1.1;
        assert_eq!(case["children_involved"], false);
        let h = app.get(&format!("/api/v1/households/{hid}"), t);
        assert_eq!(h.status, 200, "{}", h.body);
        assert!(h.json["members"][0]["member_id"].is_string(), "{}", h.body);
        // A child recorded later: 201 with the household and its next version.
        let added = app.post(
            &format!("/api/v1/households/{hid}/members"),
            t,
            json!({"personnummer": CHILD_PNR, "name": CHILD_NAME, "relation": "child", "residence": "permanent"}),
        );
        assert_eq!(added.status, 201, "{}", added.body);
        assert_eq!(
            added.json["version"],
            h.json["version"].as_i64().expect("v") + 1
        );
        assert_eq!(
            added.header("etag"),
            Some(format!("\"{}\"", added.json["version"]).as_str())
        );
        let members = added.json["members"].as_array().expect("members");
        assert_eq!(members.len(), 2);
        let child = members
            .iter()
            .find(|m| m["relation"] == "child")
            .expect("child");
        assert_eq!(child["is_minor"], true);
        let member_id = child["member_id"].as_str().expect("member id").to_owned();
        let c = app.get(&format!("/api/v1/cases/{cid}"), t);
        assert_eq!(c.json["children_involved"], true, "{}", c.body);
        assert!(c.json["members"][1]["member_id"].is_string());
        let events = actions(&app, &w, &cid);
        assert_eq!(count(&events, "case.children_involved_changed"), 1);
        let changed = events
            .iter()
            .find(|e| e["action"] == "case.children_involved_changed")
            .expect("event");
        assert_eq!(changed["before"]["children_involved"], false);
        assert_eq!(changed["after"]["children_involved"], true);
        // The same person twice is a conflict, and so is a second `self`.
        app.post(
            &format!("/api/v1/households/{hid}/members"),
            t,
            json!({"personnummer": CHILD_PNR, "name": CHILD_NAME, "relation": "child"}),
        )
        .problem(409);
        app.post(
            &format!("/api/v1/households/{hid}/members"),
            t,
            json!({"personnummer": "19811228-9874", "name": "Kerstin", "relation": "self"}),
        )
        .problem(409);
        app.post(
            &format!("/api/v1/households/{hid}/members"),
            t,
            json!({"personnummer": "19811228-9875", "name": "", "relation": "other", "residence": "permanent"}),
        )
        .problem(422);
        // PATCH needs the household's ETag: 428 without, 412 when stale.
        let path = format!("/api/v1/households/{hid}/members/{member_id}");
        let body = json!({"moved_out_on": "2026-01-15"});
        patch(&app, t, &path, None, body.clone()).problem(428);
        patch(&app, t, &path, Some("\"1\""), body.clone()).problem(412);
        patch(&app, t, &path, Some("\"99\""), body.clone()).problem(412);
        patch(
            &app,
            t,
            &path,
            added.header("etag"),
            json!({"moved_out_on": "2999-01-01"}),
        )
        .problem(422);
        patch(
            &app,
            t,
            &path,
            added.header("etag"),
            json!({"relation": "partner"}),
        )
        .problem(422); // a partner has no residence
        let moved = patch(&app, t, &path, added.header("etag"), body);
        assert_eq!(moved.status, 200, "{}", moved.body);
        assert_eq!(
            moved.json["version"],
            added.json["version"].as_i64().expect("v") + 1
        );
        let m = moved.json["members"]
            .as_array()
            .expect("members")
            .iter()
            .find(|m| m["member_id"] == member_id.as_str())
            .expect("still listed")
            .clone();
        assert_eq!(m["moved_out_on"], "2026-01-15");
        // The last minor moved out: the case follows at once, with its event.
        let c = app.get(&format!("/api/v1/cases/{cid}"), t);
        assert_eq!(c.json["children_involved"], false, "{}", c.body);
        let events = actions(&app, &w, &cid);
        assert_eq!(count(&events, "case.children_involved_changed"), 2);
        // Back home: on again.
        let back = patch(
            &app,
            t,
            &path,
            moved.header("etag"),
            json!({"moved_out_on": null, "residence": "alternating"}),
        );
        assert_eq!(back.status, 200, "{}", back.body);
        assert_eq!(
            app.get(&format!("/api/v1/cases/{cid}"), t).json["children_involved"],
            true
        );
        // The member changes are audited on the household's member rows.
        let n: Vec<Count> = diesel::sql_query(format!(
            "SELECT COUNT(*) AS n FROM audit_events WHERE entity_id = '{member_id}' AND action IN ('household.member_added', 'household.member_updated')"
        ))
        .load(&mut app.connect())
        .expect("count");
        assert_eq!(n[0].n, 3);
        assert_eq!(app.verify()["ok"], true);
    });
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[test]
fn a_child_added_late_to_an_intake_case_puts_it_on_the_escalation_list() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let case = intake_case(&app, &w);
        let (cid, hid) = (case.str_of("id"), case.str_of("household_id"));
        let t = &w.worker_a1.1;
        // An eviction four days away: with children known, the case is the unit's escalation.
        let eviction = (chrono::Utc::now() + chrono::Duration::days(4)).to_rfc3339();
        let r = app.post(
            &format!("/api/v1/cases/{cid}/notices"),
            t,
            json!({"kind": "kfm_eviction_scheduled", "eviction_at": eviction, "kfm_case_number": "12-1-26"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        let escalated = |app: &TestApp| -> Vec<String> {
            let r = app.get("/api/v1/worklist", &w.supervisor_a.1);
            assert_eq!(r.status, 200, "{}", r.body);
            r.json["escalation"]
                .as_array()
                .expect("escalation")
                .iter()
                .map(|i| i["case_id"].as_str().expect("id").to_owned())
                .collect()
        };
        assert!(escalated(&app).is_empty(), "no child is known yet");
        let added = app.post(
            &format!("/api/v1/households/{hid}/members"),
            t,
            json!({"personnummer": CHILD_PNR, "name": CHILD_NAME, "relation": "child", "residence": "permanent"}),
        );
        assert_eq!(added.status, 201, "{}", added.body);
        assert_eq!(escalated(&app), vec![cid.clone()], "the child added late");
    });
}

#[test]
fn tenancies_left_as_placeholders_by_intake_are_read_and_completed_with_if_match() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let case = intake_case(&app, &w);
        let (cid, hid) = (case.str_of("id"), case.str_of("household_id"));
        let t = &w.worker_a1.1;
        let c = app.get(&format!("/api/v1/cases/{cid}"), t);
        let tid = c.json["tenancy"]["id"]
            .as_str()
            .expect("tenancy link")
            .to_owned();
        assert_eq!(c.json["tenancy_id"], tid.as_str());
        assert_eq!(
            c.json["tenancy"]["href"],
            format!("/api/v1/tenancies/{tid}")
        );
        let incomplete = c.json["tenancy"]["incomplete"].clone();
        for f in ["monthly_rent", "contract_type", "rooms", "apartment_number"] {
            assert!(
                incomplete.as_array().expect("list").contains(&json!(f)),
                "{f}: {incomplete}"
            );
        }
        let list = app.get(&format!("/api/v1/households/{hid}/tenancies"), t);
        assert_eq!(list.status, 200, "{}", list.body);
        assert_eq!(list.json["items"].as_array().map(Vec::len), Some(1));
        let got = app.get(&format!("/api/v1/tenancies/{tid}"), t);
        assert_eq!(got.status, 200, "{}", got.body);
        assert_eq!(got.json["monthly_rent"], 0);
        assert_eq!(got.json["contract_type"], "other");
        assert_eq!(got.header("etag"), Some("\"1\""));
        let path = format!("/api/v1/tenancies/{tid}");
        let complete = json!({"monthly_rent": 8200, "contract_type": "first_hand", "rooms": 2,
            "size_m2": 54, "start_on": "2019-04-01", "apartment_number": "1102"});
        patch(&app, t, &path, None, complete.clone()).problem(428);
        patch(&app, t, &path, Some("\"2\""), complete.clone()).problem(412);
        // Validated like a new tenancy, every error at once.
        let bad = patch(
            &app,
            t,
            &path,
            Some("\"1\""),
            json!({"rooms": 0, "monthly_rent": -1, "end_on": "2000-01-01", "start_on": "2019-01-01"}),
        );
        let errors = bad.problem(422)["errors"].clone();
        for f in ["rooms", "monthly_rent", "end_on"] {
            assert!(errors.to_string().contains(f), "{f}: {errors}");
        }
        patch(
            &app,
            t,
            &path,
            Some("\"1\""),
            json!({"landlord_organization_id": w.org}),
        )
        .problem(422);
        patch(&app, t, &path, Some("\"1\""), json!({"version": 5})).problem(422);
        let done = patch(&app, t, &path, Some("\"1\""), complete);
        assert_eq!(done.status, 200, "{}", done.body);
        assert_eq!(done.json["version"], 2);
        assert_eq!(done.json["monthly_rent"], 8200);
        assert_eq!(done.json["contract_type"], "first_hand");
        assert_eq!(done.header("etag"), Some("\"2\""));
        let c = app.get(&format!("/api/v1/cases/{cid}"), t);
        assert_eq!(c.json["tenancy"]["incomplete"], json!([]), "{}", c.body);
        // A conversion agreement is only for second-hand contracts, as on creation.
        patch(
            &app,
            t,
            &path,
            Some("\"2\""),
            json!({"conversion": {"months": 12}}),
        )
        .problem(422);
        let n: Vec<Count> = diesel::sql_query(format!(
            "SELECT COUNT(*) AS n FROM audit_events WHERE entity_id = '{tid}' AND action = 'tenancy.update'"
        ))
        .load(&mut app.connect())
        .expect("count");
        assert_eq!(n[0].n, 1);
    });
}

#[derive(Debug, diesel::QueryableByName)]
struct Entry {
    #[diesel(sql_type = diesel::sql_types::Text)]
    operation: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    subject_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    decision: String,
}

fn denied_once(app: &TestApp, r: &Resp, op: &str, id: &str) {
    let rid = r.header("x-request-id").expect("request id");
    let rows: Vec<Entry> = diesel::sql_query(format!(
        "SELECT operation, subject_id, decision FROM access_log WHERE request_id = '{rid}'"
    ))
    .load(&mut app.connect())
    .expect("access log");
    assert_eq!(rows.len(), 1, "{op}: {rows:?}");
    assert_eq!(
        (
            rows[0].operation.as_str(),
            rows[0].subject_id.as_str(),
            rows[0].decision.as_str()
        ),
        (op, id, "denied")
    );
}

#[test]
fn households_and_tenancies_outside_the_scope_are_404_like_missing_with_a_denied_row() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let case = open_case(&app, &w, &w.supervisor_a.1);
        let (hid, tid) = (case.str_of("household_id"), case.str_of("tenancy_id"));
        let member = app
            .get(&format!("/api/v1/households/{hid}"), &w.supervisor_a.1)
            .json["members"][0]["member_id"]
            .as_str()
            .expect("member")
            .to_owned();
        let missing = uuid::Uuid::now_v7().to_string();
        let other = &w.supervisor_b.1;
        let calls: Vec<(&str, String, &str, Value, &str, &str)> = vec![
            (
                "GET",
                format!("/api/v1/tenancies/{tid}"),
                "get_tenancy",
                Value::Null,
                &tid,
                "/api/v1/tenancies/{m}",
            ),
            (
                "GET",
                format!("/api/v1/households/{hid}/tenancies"),
                "list_household_tenancies",
                Value::Null,
                &hid,
                "/api/v1/households/{m}/tenancies",
            ),
            (
                "PATCH",
                format!("/api/v1/tenancies/{tid}"),
                "update_tenancy",
                json!({"monthly_rent": 1}),
                &tid,
                "/api/v1/tenancies/{m}",
            ),
            (
                "POST",
                format!("/api/v1/households/{hid}/members"),
                "create_household_member",
                json!({"personnummer": "19121212-1212", "name": "T", "relation": "other"}),
                &hid,
                "/api/v1/households/{m}/members",
            ),
            (
                "PATCH",
                format!("/api/v1/households/{hid}/members/{member}"),
                "update_household_member",
                json!({"relation": "other"}),
                &hid,
                "/api/v1/households/{m}/members/x",
            ),
        ];
        for (method, path, op, body, id, missing_path) in calls {
            let send = |p: &str| {
                let mut r = app.req(method, p).token(other).header("if-match", "\"1\"");
                if method != "GET" {
                    r = r.json(body.clone());
                }
                r.send()
            };
            let foreign = send(&path);
            let absent = send(&missing_path.replace("{m}", &missing));
            let strip = |r: &Resp| r.body.replace(r.header("x-request-id").unwrap_or("-"), "");
            assert_eq!(foreign.status, 404, "{op}: {}", foreign.body);
            assert_eq!(
                (absent.status, strip(&absent)),
                (404, strip(&foreign)),
                "{op}"
            );
            denied_once(&app, &foreign, op, id);
            // And the owner reaches it.
            if method == "GET" {
                assert_eq!(app.get(&path, &w.supervisor_a.1).status, 200, "{op}");
            }
        }
        // Nothing changed.
        let t = app.get(&format!("/api/v1/tenancies/{tid}"), &w.supervisor_a.1);
        assert_eq!(t.json["version"], 1);
        assert_eq!(t.json["monthly_rent"], 8500);
    });
}

fn transition(app: &TestApp, token: &str, case: &str, body: Value) -> Resp {
    let e = app
        .get(&format!("/api/v1/cases/{case}"), token)
        .header("etag")
        .expect("etag")
        .to_owned();
    let r = app
        .req("POST", &format!("/api/v1/cases/{case}/transitions"))
        .token(token)
        .header("if-match", &e)
        .json(body)
        .send();
    assert_eq!(r.status, 200, "{}", r.body);
    r
}

#[test]
fn close_reopen_close_keeps_both_outcomes_and_every_reopening_is_recorded_with_its_reason() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let sup = &w.supervisor_a.1;
        let case = open_case(&app, &w, sup);
        let cid = case.str_of("id");
        transition(&app, sup, &cid, json!({"to": "triage", "reason": "r"}));
        let closed = transition(
            &app,
            sup,
            &cid,
            json!({"to": "closed", "reason": "paid", "outcome": "retained_paid", "homelessness_situation": 4}),
        );
        assert_eq!(closed.json["outcome"], "retained_paid");
        let reopened = transition(
            &app,
            sup,
            &cid,
            json!({"to": "reopened", "reason": "a new termination"}),
        );
        // The case's own outcome describes the current closure only, as before.
        assert_eq!(reopened.json["outcome"], Value::Null);
        transition(&app, sup, &cid, json!({"to": "active", "reason": "r"}));
        transition(
            &app,
            sup,
            &cid,
            json!({"to": "closed", "reason": "moved", "outcome": "moved_new_tenancy"}),
        );
        let c = app.get(&format!("/api/v1/cases/{cid}"), sup);
        let closures = c.json["closures"].as_array().expect("closures").clone();
        assert_eq!(closures.len(), 2, "{}", c.body);
        assert_eq!(closures[0]["outcome"], "retained_paid");
        assert_eq!(closures[0]["homelessness_situation"], 4);
        assert_eq!(closures[0]["closed_by"], w.supervisor_a.0.as_str());
        assert_eq!(closures[0]["reopened_by"], w.supervisor_a.0.as_str());
        assert_eq!(closures[0]["reopen_reason"], "a new termination");
        assert!(closures[0]["reopened_at"].is_string());
        assert_eq!(closures[1]["outcome"], "moved_new_tenancy");
        assert_eq!(closures[1]["reopened_at"], Value::Null);
        let events = actions(&app, &w, &cid);
        let reopen = events
            .iter()
            .find(|e| e["action"] == "case.reopened")
            .expect("case.reopened");
        assert_eq!(reopen["after"]["reason"], "a new termination");
        assert_eq!(reopen["before"]["outcome"], "retained_paid");
        // Intake reopens it (a notice within 12 months): the second outcome stays too.
        let cl = clients(&app, &w);
        let notice = json!({"kind": "termination_served", "served_on": "2026-11-02",
            "tenant": {"personnummer": crate::casework::HEAD_PNR, "name": crate::casework::HEAD_NAME},
            "address": {"street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm", "municipality_code": "0180"},
            "municipality_code": "0180"});
        let r = submit(
            &app,
            &cl.landlord,
            "/api/v1/landlord/notices",
            "re-1",
            notice,
        );
        assert_eq!(r.status, 202, "{}", r.body);
        let c = app.get(&format!("/api/v1/cases/{cid}"), sup);
        assert_eq!(c.json["status"], "reopened", "{}", c.body);
        let closures = c.json["closures"].as_array().expect("closures").clone();
        assert_eq!(closures.len(), 2);
        assert_eq!(closures[1]["outcome"], "moved_new_tenancy");
        assert!(
            closures[1]["reopened_by"]
                .as_str()
                .is_some_and(|s| s.starts_with("client:")),
            "{}",
            c.body
        );
        assert!(closures[1]["reopen_reason"].is_string());
        let events = actions(&app, &w, &cid);
        assert_eq!(count(&events, "case.reopened"), 2);
        assert_eq!(count(&events, "intake.match"), 1);
        assert_eq!(app.verify()["ok"], true);
    });
}

/// `value["key"]` as an owned string.
trait StrOf {
    fn str_of(&self, key: &str) -> String;
}

impl StrOf for Value {
    fn str_of(&self, key: &str) -> String {
        self[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key}: {self}"))
            .to_owned()
    }
}
