//! The worklist over all the caller's cases (SPEC §4.5, issue 12 item 5): the urgent case comes
//! first even when it is the oldest of many, pages cover every case exactly once, children come
//! first at equal urgency, caseworkers see only their own and unassigned cases, and only a
//! completed home visit in the current cycle clears a child escalation.

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::casework::{World, open_case, world};
use crate::support::{TestApp, each_backend};

fn today() -> chrono::NaiveDate {
    kvar::domain::sweden::date_at(Utc::now())
}

fn notice(app: &TestApp, token: &str, case: &str, body: Value) {
    let r = app.post(&format!("/api/v1/cases/{case}/notices"), token, body);
    assert_eq!(r.status, 201, "{}", r.body);
}

/// `n` more new, unassigned cases of unit A on `household`, straight into the database through
/// the repository (which keeps their worklist columns); every other one with children.
fn more_cases(app: &TestApp, w: &World, household: &str, n: usize) -> Vec<(String, bool)> {
    let mut conn = app.connect();
    (0..n)
        .map(|i| {
            let children = i % 2 == 0;
            let c = kvar::cases::repo::CaseRow::opened(
                w.org.clone(),
                w.unit_a.clone(),
                household.to_owned(),
                None,
                children,
                kvar::db::types::now(),
            );
            kvar::cases::repo::insert(&mut conn, &c).expect("insert case");
            (c.id, children)
        })
        .collect()
}

/// Every page of the caller's worklist at `limit`; the items in order.
fn all_pages(app: &TestApp, token: &str, limit: u32) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/worklist?limit={limit}&cursor={c}"),
            None => format!("/api/v1/worklist?limit={limit}"),
        };
        let r = app.get(&path, token);
        assert_eq!(r.status, 200, "{}", r.body);
        pages += 1;
        let page = r.json["items"].as_array().expect("items").clone();
        assert!(page.len() <= limit as usize);
        items.extend(page);
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages < 100, "pagination does not end");
    }
    (items, pages)
}

/// The case's item on the caller's worklist (the test worlds hold a handful of cases).
pub fn item_of(app: &TestApp, token: &str, case: &str) -> Value {
    let r = app.get("/api/v1/worklist?limit=100", token);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["case_id"] == case)
        .cloned()
        .expect("the case is on the worklist")
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["case_id"].as_str().expect("case_id").to_owned())
        .collect()
}

fn assign(app: &TestApp, w: &World, case: &str, user: &str) {
    let e = app
        .get(&format!("/api/v1/cases/{case}"), &w.supervisor_a.1)
        .header("etag")
        .expect("etag")
        .to_owned();
    let r = app
        .req("PATCH", &format!("/api/v1/cases/{case}"))
        .token(&w.supervisor_a.1)
        .header("if-match", &e)
        .json(json!({"assigned_to": user}))
        .send();
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn the_oldest_case_comes_first_when_urgent_and_pages_cover_every_case_once() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let t = &w.worker_a1.1;
        // The oldest case: a reinstatement period ending within 14 days.
        let urgent = open_case(&app, &w, t);
        let urgent_id = urgent["id"].as_str().expect("id").to_owned();
        let household = urgent["household_id"]
            .as_str()
            .expect("household")
            .to_owned();
        let received = today() - Duration::days(10);
        notice(
            &app,
            t,
            &urgent_id,
            json!({"kind": "termination_served", "served_on": (received - Duration::days(2)).to_string()}),
        );
        notice(
            &app,
            t,
            &urgent_id,
            json!({"kind": "social_notice_received", "received_on": received.to_string(), "amount_to_reinstate": 24000}),
        );
        let newer = more_cases(&app, &w, &household, 59);

        let (items, pages) = all_pages(&app, &w.supervisor_a.1, 25);
        assert_eq!(pages, 3);
        let seen = ids(&items);
        assert_eq!(seen[0], urgent_id, "the urgent, oldest case first");
        assert_eq!(items[0]["bucket"], "due_soon");
        assert_eq!(items[0]["next_deadline"]["kind"], "reinstatement_end");
        let unique: BTreeSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no case twice");
        assert_eq!(seen.len(), 60, "every case of the unit");
        for (id, _) in &newer {
            assert!(seen.contains(id));
        }
        // Children first at equal urgency: every unassigned case with children comes before
        // every one without.
        let unassigned: Vec<bool> = items[1..]
            .iter()
            .map(|i| {
                assert_eq!(i["bucket"], "unassigned", "{i}");
                i["children_involved"].as_bool().expect("bool")
            })
            .collect();
        let first_without = unassigned.iter().position(|c| !c).expect("some without");
        assert!(unassigned[..first_without].iter().all(|c| *c));
        assert!(
            unassigned[first_without..].iter().all(|c| !c),
            "{unassigned:?}"
        );
        // A foreign cursor is refused; the other unit sees none of it.
        let bad = app.get("/api/v1/worklist?cursor=nonsense", &w.supervisor_a.1);
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert_eq!(
            app.get("/api/v1/worklist", &w.supervisor_b.1).json["items"],
            json!([])
        );
    });
}

#[test]
fn a_caseworker_sees_only_cases_assigned_to_them_or_unassigned() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let first = open_case(&app, &w, &w.worker_a1.1);
        let household = first["household_id"]
            .as_str()
            .expect("household")
            .to_owned();
        let cases = more_cases(&app, &w, &household, 9);
        let mine = &cases[0].0;
        let theirs = &cases[1].0;
        assign(&app, &w, mine, &w.worker_a1.0);
        assign(&app, &w, theirs, &w.worker_a2.0);

        let (a1, _) = all_pages(&app, &w.worker_a1.1, 4);
        let a1 = ids(&a1);
        assert_eq!(a1.len(), 9, "8 unassigned + 1 assigned to them");
        assert!(a1.contains(mine) && !a1.contains(theirs));
        let (a2, _) = all_pages(&app, &w.worker_a2.1, 4);
        let a2 = ids(&a2);
        assert!(a2.contains(theirs) && !a2.contains(mine));
        let (sup, _) = all_pages(&app, &w.supervisor_a.1, 4);
        assert_eq!(ids(&sup).len(), 10, "the supervisor sees the whole unit");
        assert_eq!(
            app.get("/api/v1/worklist", &w.worker_b.1).json["items"],
            json!([])
        );
    });
}

#[test]
fn only_a_completed_home_visit_in_the_cycle_clears_the_escalation() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let t = &w.worker_a1.1;
        let case = open_case(&app, &w, t);
        let cid = case["id"].as_str().expect("id").to_owned();
        assert_eq!(case["children_involved"], true);
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "termination_served", "served_on": (today() - Duration::days(30)).to_string()}),
        );
        // A visit before this cycle's termination does not count either.
        let old = app.post(
            &format!("/api/v1/cases/{cid}/interventions"),
            t,
            json!({"kind": "home_visit", "status": "completed",
                   "started_on": (today() - Duration::days(40)).to_string(),
                   "ended_on": (today() - Duration::days(40)).to_string()}),
        );
        assert_eq!(old.status, 201, "{}", old.body);
        let eviction = (Utc::now() + Duration::days(4)).to_rfc3339();
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "kfm_eviction_scheduled", "eviction_at": eviction, "kfm_case_number": "12-1-26"}),
        );
        let escalated = |app: &TestApp| -> Vec<String> {
            let r = app.get("/api/v1/worklist", &w.supervisor_a.1);
            assert_eq!(r.status, 200, "{}", r.body);
            ids(r.json["escalation"].as_array().expect("escalation"))
        };
        assert_eq!(escalated(&app), vec![cid.clone()]);
        for status in ["planned", "cancelled", "ongoing"] {
            let r = app.post(
                &format!("/api/v1/cases/{cid}/interventions"),
                t,
                json!({"kind": "home_visit", "status": status, "started_on": today().to_string()}),
            );
            assert_eq!(r.status, 201, "{}", r.body);
            assert_eq!(
                escalated(&app),
                vec![cid.clone()],
                "a {status} visit clears nothing"
            );
        }
        let item = &app.get("/api/v1/worklist", &w.supervisor_a.1).json["items"][0];
        assert_eq!(item["case_id"], cid.as_str());
        assert_eq!(item["escalated"], true);
        assert_eq!(item["risk_level"], "critical");
        let done = app.post(
            &format!("/api/v1/cases/{cid}/interventions"),
            t,
            json!({"kind": "home_visit", "status": "completed", "started_on": today().to_string(), "ended_on": today().to_string()}),
        );
        assert_eq!(done.status, 201, "{}", done.body);
        assert!(
            escalated(&app).is_empty(),
            "a completed visit in the cycle clears it"
        );
        assert_eq!(app.verify()["ok"], true);
    });
}

/// The bucket a case's stored worklist key puts it in.
fn stored_bucket(conn: &mut kvar::db::AnyConnection, case: &str) -> Option<String> {
    use diesel::prelude::*;
    use kvar::db::schema::cases;
    let key: Option<String> = cases::table
        .find(case)
        .select(cases::worklist_key)
        .first(conn)
        .expect("case");
    key.as_deref()
        .and_then(kvar::domain::worklist::bucket_of_key)
        .map(|b| b.as_str().to_owned())
}

#[test]
fn time_alone_moves_a_period_through_possibly_lapsed_to_lapsed_in_the_daily_sweep() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let t = &w.worker_a1.1;
        let cid = open_case(&app, &w, t)["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let day = |n: i64| (today() + Duration::days(n)).to_string();
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "termination_served", "served_on": day(-12)}),
        );
        // Sent ten days ago, received five days ago: two readings of the period's end.
        notice(
            &app,
            t,
            &cid,
            json!({"kind": "social_notice_received", "sent_on": day(-10), "received_on": day(-5), "apartment_size_m2": 54}),
        );
        let end = |from: i64| {
            kvar::domain::deadlines::reinstatement_end(today() + Duration::days(from)).expect("end")
        };
        let (earliest, latest) = (end(-10), end(-5));
        assert!(earliest < latest, "two readings");
        let mut conn = app.connect();
        assert_eq!(stored_bucket(&mut conn, &cid).as_deref(), Some("due_soon"));
        let swept =
            kvar::worklist::repo::sweep(&mut conn, earliest + Duration::days(1)).expect("sweep");
        assert!(swept >= 1);
        assert_eq!(
            stored_bucket(&mut conn, &cid).as_deref(),
            Some("possibly_lapsed"),
            "past the earliest reading: keep acting, never nothing due"
        );
        kvar::worklist::repo::sweep(&mut conn, latest + Duration::days(1)).expect("sweep");
        assert_eq!(stored_bucket(&mut conn, &cid).as_deref(), Some("lapsed"));
    });
}

#[test]
fn a_child_turning_18_turns_children_involved_off_in_the_daily_sweep() {
    use diesel::prelude::*;
    use kvar::db::schema::{cases, household_members, worklist_sweeps};
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let case = open_case(&app, &w, &w.worker_a1.1);
        let cid = case["id"].as_str().expect("id").to_owned();
        assert_eq!(case["children_involved"], true);
        let hid: String = {
            let mut conn = app.connect();
            cases::table
                .find(&cid)
                .select(cases::household_id)
                .first(&mut conn)
                .expect("household")
        };
        {
            // The child's 18th birthday is today; yesterday's sweep has run.
            let mut conn = app.connect();
            diesel::update(
                household_members::table
                    .filter(household_members::household_id.eq(&hid))
                    .filter(household_members::minor_until.is_not_null()),
            )
            .set(household_members::minor_until.eq(today()))
            .execute(&mut conn)
            .expect("birthday");
            diesel::delete(worklist_sweeps::table)
                .execute(&mut conn)
                .expect("clear sweeps");
            diesel::insert_into(worklist_sweeps::table)
                .values(worklist_sweeps::swept_on.eq(today() - Duration::days(1)))
                .execute(&mut conn)
                .expect("yesterday's sweep");
        }
        let r = app.get("/api/v1/worklist", &w.supervisor_a.1);
        assert_eq!(r.status, 200, "{}", r.body);
        let c = app.get(&format!("/api/v1/cases/{cid}"), &w.supervisor_a.1);
        assert_eq!(c.json["children_involved"], false, "{}", c.body);
        let events = app.get(
            &format!("/api/v1/cases/{cid}/history?limit=100"),
            &w.supervisor_a.1,
        );
        assert_eq!(events.status, 200, "{}", events.body);
        let changed: Vec<&Value> = events.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|e| e["action"] == "case.children_involved_changed")
            .collect();
        assert_eq!(changed.len(), 1, "{}", events.body);
        assert_eq!(changed[0]["actor_type"], "system", "{}", events.body);
        assert_eq!(app.verify()["ok"], true);
    });
}

#[test]
fn the_escalation_list_holds_one_page_and_says_when_there_is_more() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let t = &w.worker_a1.1;
        let mut escalated = Vec::new();
        for (i, days) in [(1, 5), (2, 3)] {
            let cid = open_case(&app, &w, t)["id"]
                .as_str()
                .expect("id")
                .to_owned();
            let eviction = (Utc::now() + Duration::days(days)).to_rfc3339();
            notice(
                &app,
                t,
                &cid,
                json!({"kind": "kfm_eviction_scheduled", "eviction_at": eviction, "kfm_case_number": format!("12-{i}-26")}),
            );
            escalated.push(cid);
        }
        let page = |limit: u32| {
            let r = app.get(
                &format!("/api/v1/worklist?limit={limit}"),
                &w.supervisor_a.1,
            );
            assert_eq!(r.status, 200, "{}", r.body);
            (
                ids(r.json["escalation"].as_array().expect("escalation")),
                r.json["escalation_more"].clone(),
            )
        };
        // The earliest eviction first; one page at most, and the list says there is more.
        assert_eq!(page(1), (vec![escalated[1].clone()], json!(true)));
        assert_eq!(
            page(10),
            (
                vec![escalated[1].clone(), escalated[0].clone()],
                json!(false)
            )
        );
    });
}
