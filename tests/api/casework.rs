//! Case work over HTTP: households with encrypted identities, scope, workflow, concurrency,
//! notes, search, history and access log, and what must never be stored in clear.

use diesel::RunQueryDsl;
use serde_json::{Value, json};

use crate::support::{Backend, PASSWORD, Resp, TestApp, each_backend};

/// Skatteverket's test numbers (fictional people).
pub const HEAD_PNR: &str = "19811228-9874";
pub const CHILD_PNR: &str = "201501022386";
pub const HEAD_NAME: &str = "Kerstin Testsson";
pub const CHILD_NAME: &str = "Olle Testsson";

pub struct World {
    pub admin: String,
    pub org: String,
    pub unit_a: String,
    pub unit_b: String,
    pub worker_a1: (String, String),
    pub worker_a2: (String, String),
    pub supervisor_a: (String, String),
    pub worker_b: (String, String),
    pub supervisor_b: (String, String),
    pub auditor: (String, String),
    pub landlord_org: String,
}

/// A municipality with two units and staff in each; returns (user id, token) pairs.
pub fn world(app: &TestApp) -> World {
    let admin = app.admin_token();
    let (org, unit_a) = app.municipality(&admin, "0180");
    let unit_b = app
        .post(
            &format!("/api/v1/organizations/{org}/units"),
            &admin,
            json!({"name": "Unit B"}),
        )
        .str("id");
    let landlord_org = app.post(
        "/api/v1/organizations",
        &admin,
        json!({"kind": "landlord", "name": "Bostäder AB", "org_number": "556000-0001"}),
    );
    let landlord_org = if landlord_org.status == 201 {
        landlord_org.str("id")
    } else {
        app.post(
            "/api/v1/organizations",
            &admin,
            json!({"kind": "landlord", "name": "Bostäder AB"}),
        )
        .str("id")
    };
    let mk = |name: &str, role: &str, unit: Option<&str>| {
        let id = app.user(&admin, name, role, &org, unit);
        (id, app.login(name, PASSWORD).access)
    };
    World {
        worker_a1: mk("worker.a1", "caseworker", Some(&unit_a)),
        worker_a2: mk("worker.a2", "caseworker", Some(&unit_a)),
        supervisor_a: mk("super.a", "supervisor", Some(&unit_a)),
        worker_b: mk("worker.b", "caseworker", Some(&unit_b)),
        supervisor_b: mk("super.b", "supervisor", Some(&unit_b)),
        auditor: mk("auditor", "auditor", None),
        admin,
        org,
        unit_a,
        unit_b,
        landlord_org,
    }
}

pub fn household(app: &TestApp, token: &str) -> Resp {
    app.post(
        "/api/v1/households",
        token,
        json!({
            "address": {"street": "Storgatan 1", "postal_code": "111 22", "city": "Stockholm", "municipality_code": "0180"},
            "members": [
                {"personnummer": HEAD_PNR, "name": HEAD_NAME, "relation": "self"},
                {"personnummer": CHILD_PNR, "name": CHILD_NAME, "relation": "child", "residence": "permanent"}
            ]
        }),
    )
}

/// A household with a child, a tenancy and a case, created by `token`; returns the case.
pub fn open_case(app: &TestApp, w: &World, token: &str) -> Value {
    let h = household(app, token);
    assert_eq!(h.status, 201, "{}", h.body);
    let hid = h.str("id");
    let t = app.post(
        "/api/v1/tenancies",
        token,
        json!({"household_id": hid, "landlord_organization_id": w.landlord_org, "apartment_number": "1102",
               "address": {"street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm", "municipality_code": "0180"},
               "monthly_rent": 8500, "contract_type": "municipal_second_hand", "rooms": 2, "size_m2": 54,
               "conversion": {"conditions": "no new arrears"}}),
    );
    assert_eq!(t.status, 201, "{}", t.body);
    assert_eq!(
        t.json["conversion"]["months"], 18,
        "default conversion period"
    );
    let c = app.post(
        "/api/v1/cases",
        token,
        json!({"household_id": hid, "tenancy_id": t.str("id")}),
    );
    assert_eq!(c.status, 201, "{}", c.body);
    c.json
}

fn etag(app: &TestApp, token: &str, case: &str) -> String {
    app.get(&format!("/api/v1/cases/{case}"), token)
        .header("etag")
        .expect("etag")
        .to_owned()
}

pub fn transition(app: &TestApp, token: &str, case: &str, body: Value) -> Resp {
    let e = etag(app, token, case);
    app.req("POST", &format!("/api/v1/cases/{case}/transitions"))
        .token(token)
        .header("if-match", &e)
        .json(body)
        .send()
}

#[test]
fn households_store_identities_encrypted_and_show_them_only_in_the_household_view() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let h = household(&app, &w.worker_a1.1);
        assert_eq!(h.status, 201, "{}", h.body);
        let members = h.json["members"].as_array().expect("members");
        assert_eq!(members[0]["personnummer"], HEAD_PNR);
        assert_eq!(members[1]["is_minor"], true);
        assert_eq!(members[0]["is_minor"], false);
        // Invalid numbers are refused naming the field; the number is not echoed.
        let bad = app.post("/api/v1/households", &w.worker_a1.1, json!({
            "address": {"street": "S", "postal_code": "11122", "city": "C", "municipality_code": "0180"},
            "members": [{"personnummer": "19811228-9875", "name": "X", "relation": "self"},
                        {"personnummer": "not a number", "name": "", "relation": "child"}]}));
        let fields: Vec<&str> = bad.problem(422)["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert_eq!(
            fields,
            [
                "members[0].personnummer",
                "members[1].name",
                "members[1].personnummer"
            ]
        );
        assert!(!bad.body.contains("8112289875") && !bad.body.contains("811228-9875"));
        // Another municipality's code is refused.
        let other = app.post("/api/v1/households", &w.worker_a1.1, json!({
            "address": {"street": "S", "postal_code": "11122", "city": "C", "municipality_code": "1480"},
            "members": [{"personnummer": HEAD_PNR, "name": "X", "relation": "self"}]}));
        assert_eq!(
            other.problem(422)["errors"][0]["field"],
            "address.municipality_code"
        );
        // Before a case exists only the creator sees the household.
        let hid = h.str("id");
        assert_eq!(
            app.get(&format!("/api/v1/households/{hid}"), &w.worker_a1.1)
                .status,
            200
        );
        app.get(&format!("/api/v1/households/{hid}"), &w.worker_a2.1)
            .problem(404);
        let case = app.post(
            "/api/v1/cases",
            &w.worker_a1.1,
            json!({"household_id": hid}),
        );
        assert_eq!(case.status, 201);
        assert_eq!(case.json["children_involved"], true);
        assert_eq!(case.json["status"], "new");
        // The case view masks the number.
        let cid = case.str("id");
        let view = app.get(&format!("/api/v1/cases/{cid}"), &w.worker_a2.1);
        assert_eq!(view.status, 200, "{}", view.body);
        assert_eq!(view.json["members"][0]["personnummer"], "19811228-****");
        assert_eq!(view.json["members"][0]["name"], HEAD_NAME);
        // Nothing in clear in the database.
        let mut c = app.connect();
        #[derive(diesel::QueryableByName)]
        struct Blob {
            #[diesel(sql_type = diesel::sql_types::Binary)]
            b: Vec<u8>,
        }
        let blobs = diesel::sql_query(
            "SELECT pnr_enc AS b FROM persons UNION ALL SELECT name_enc AS b FROM persons",
        )
        .load::<Blob>(&mut c)
        .expect("blobs");
        assert_eq!(blobs.len(), 4);
        for blob in blobs {
            let text = String::from_utf8_lossy(&blob.b);
            assert!(
                !text.contains("9874") && !text.contains("Testsson"),
                "clear text stored"
            );
        }
    });
}

#[test]
fn a_caseworker_of_another_unit_cannot_tell_a_case_exists() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let case = open_case(&app, &w, &w.worker_a1.1);
        let cid = case["id"].as_str().expect("id");
        let missing = uuid::Uuid::now_v7().to_string();
        for token in [&w.worker_b.1, &w.supervisor_b.1] {
            for (method, suffix, body) in [
                ("GET", "", None),
                ("GET", "/notes", None),
                ("POST", "/notes", Some(json!({"body": "x"}))),
                ("PATCH", "", Some(json!({"risk_level": "high"}))),
                (
                    "POST",
                    "/transitions",
                    Some(json!({"to": "triage", "reason": "r"})),
                ),
            ] {
                let call = |id: &str| {
                    let mut r = app
                        .req(method, &format!("/api/v1/cases/{id}{suffix}"))
                        .token(token)
                        .header("if-match", "\"1\"");
                    if let Some(b) = &body {
                        r = r.json(b.clone());
                    }
                    r.send()
                };
                let (foreign, absent) = (call(cid), call(&missing));
                foreign.problem(404);
                absent.problem(404);
                let strip = |r: &Resp| r.body.replace(r.header("x-request-id").unwrap_or(""), "");
                assert_eq!(
                    strip(&foreign),
                    strip(&absent),
                    "{method} {suffix}: foreign and missing differ"
                );
            }
            let list = app.get("/api/v1/cases", token);
            assert_eq!(list.json["items"].as_array().map(Vec::len), Some(0));
        }
        // Same unit: the other caseworker sees it while unassigned, not once it is someone else's.
        assert_eq!(
            app.get(&format!("/api/v1/cases/{cid}"), &w.worker_a2.1)
                .status,
            200
        );
        let e = etag(&app, &w.supervisor_a.1, cid);
        let r = app
            .req("PATCH", &format!("/api/v1/cases/{cid}"))
            .token(&w.supervisor_a.1)
            .header("if-match", &e)
            .json(json!({"assigned_to": w.worker_a1.0}))
            .send();
        assert_eq!(r.status, 200, "{}", r.body);
        app.get(&format!("/api/v1/cases/{cid}"), &w.worker_a2.1)
            .problem(404);
        assert_eq!(
            app.get(&format!("/api/v1/cases/{cid}"), &w.worker_a1.1)
                .status,
            200
        );
        // The denials are in the access log, which the unit's supervisor can read.
        let log = app.get(
            &format!("/api/v1/cases/{cid}/access-log?limit=100"),
            &w.supervisor_a.1,
        );
        assert_eq!(log.status, 200, "{}", log.body);
        let entries = log.json["items"].as_array().expect("items");
        assert!(
            entries
                .iter()
                .any(|e| e["operation"] == "get_case" && e["actor_id"] == w.worker_a2.0.as_str())
        );
        // Roles without case content.
        app.get(&format!("/api/v1/cases/{cid}"), &w.auditor.1)
            .problem(403);
        app.get(&format!("/api/v1/cases/{cid}"), &w.admin)
            .problem(403);
    });
}

#[test]
fn the_workflow_follows_the_table_and_closing_with_children_needs_a_supervisor() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let case = open_case(&app, &w, &w.worker_a1.1);
        let cid = case["id"].as_str().expect("id");
        let t = &w.worker_a1.1;
        let r = transition(&app, t, cid, json!({"to": "active", "reason": "skip"}));
        assert_eq!(
            r.problem(409)["extra"]["allowed"],
            json!(["triage", "closed"])
        );
        app.req("POST", &format!("/api/v1/cases/{cid}/transitions"))
            .token(t)
            .json(json!({"to": "triage", "reason": "r"}))
            .send()
            .problem(428);
        app.req("POST", &format!("/api/v1/cases/{cid}/transitions"))
            .token(t)
            .header("if-match", "\"99\"")
            .json(json!({"to": "triage", "reason": "r"}))
            .send()
            .problem(412);
        assert_eq!(
            transition(
                &app,
                t,
                cid,
                json!({"to": "triage", "reason": "first contact"})
            )
            .status,
            200
        );
        assert_eq!(
            transition(
                &app,
                t,
                cid,
                json!({"to": "active", "reason": "plan agreed"})
            )
            .status,
            200
        );
        transition(&app, t, cid, json!({"to": "closed", "reason": "done"})).problem(422);
        let r = transition(
            &app,
            t,
            cid,
            json!({"to": "closed", "reason": "paid", "outcome": "retained_paid"}),
        );
        assert_eq!(r.status, 202, "{}", r.body);
        let request_id = r.str("id");
        assert_eq!(
            app.get(&format!("/api/v1/cases/{cid}"), t).json["status"],
            "active",
            "not closed yet"
        );
        transition(
            &app,
            t,
            cid,
            json!({"to": "closed", "reason": "again", "outcome": "retained_paid"}),
        )
        .problem(409);
        // A caseworker cannot decide; a supervisor can.
        app.post(
            &format!("/api/v1/cases/{cid}/closure-approvals"),
            t,
            json!({"closure_request_id": request_id, "decision": "approve", "reason": "ok"}),
        )
        .problem(403);
        let d = app.post(
            &format!("/api/v1/cases/{cid}/closure-approvals"),
            &w.supervisor_a.1,
            json!({"closure_request_id": request_id, "decision": "approve", "reason": "verified"}),
        );
        assert_eq!(d.status, 200, "{}", d.body);
        assert_eq!(d.json["case"]["status"], "closed");
        assert_eq!(d.json["case"]["outcome"], "retained_paid");
        assert_eq!(d.json["closure_request"]["status"], "approved");
        let e = etag(&app, t, cid);
        app.req("PATCH", &format!("/api/v1/cases/{cid}"))
            .token(t)
            .header("if-match", &e)
            .json(json!({"risk_level": "low"}))
            .send()
            .problem(409);
        assert_eq!(
            transition(
                &app,
                t,
                cid,
                json!({"to": "reopened", "reason": "new notice"})
            )
            .json["status"],
            "reopened"
        );
        // Forbidden fields change nothing.
        let before = app.get(&format!("/api/v1/cases/{cid}"), t);
        for body in [
            json!({"status": "closed"}),
            json!({"version": 1}),
            json!({"id": "x"}),
            json!({"children_involved": false}),
        ] {
            app.req("PATCH", &format!("/api/v1/cases/{cid}"))
                .token(t)
                .header("if-match", before.header("etag").expect("etag"))
                .json(body)
                .send()
                .problem(422);
        }
        assert_eq!(
            app.get(&format!("/api/v1/cases/{cid}"), t).json["version"],
            before.json["version"]
        );
        // The history tells the whole story, in order.
        let h = app.get(&format!("/api/v1/cases/{cid}/history"), &w.supervisor_a.1);
        let actions: Vec<&str> = h.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert_eq!(
            actions,
            [
                "case.create",
                "case.transition",
                "case.transition",
                "case.closure_requested",
                "case.closure_approved",
                "case.reopened"
            ]
        );
        assert_eq!(h.json["items"][1]["before"]["status"], "new");
        assert_eq!(h.json["items"][1]["after"]["status"], "triage");
        let audit = app.get(&format!("/api/v1/audit/events?case_id={cid}"), &w.auditor.1);
        assert_eq!(
            audit.json["items"].as_array().map(Vec::len),
            Some(6),
            "{}",
            audit.body
        );
        assert_eq!(app.verify()["ok"], true);
    });
}

#[test]
fn concurrent_updates_of_one_case_lose_nothing() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let case = open_case(&app, &w, &w.supervisor_a.1);
        let cid = case["id"].as_str().expect("id").to_owned();
        let levels = ["low", "medium", "high", "critical"];
        let per_thread = 4;
        let threads = 12;
        let conflicts = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    let mut done = 0;
                    while done < per_thread {
                        let cur = app.get(&format!("/api/v1/cases/{cid}"), &w.supervisor_a.1);
                        let etag = cur.header("etag").expect("etag").to_owned();
                        let now = cur.json["risk_level"].as_str().expect("risk");
                        let next =
                            levels[(levels.iter().position(|l| *l == now).expect("level") + 1) % 4];
                        let r = app
                            .req("PATCH", &format!("/api/v1/cases/{cid}"))
                            .token(&w.supervisor_a.1)
                            .header("if-match", &etag)
                            .json(json!({"risk_level": next}))
                            .send();
                        match r.status {
                            200 => done += 1,
                            412 => {
                                conflicts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                            other => panic!("unexpected {other}: {}", r.body),
                        }
                    }
                });
            }
        });
        let total = threads * per_thread;
        let final_case = app.get(&format!("/api/v1/cases/{cid}"), &w.supervisor_a.1);
        assert_eq!(
            final_case.json["version"],
            1 + total as i64,
            "every successful update is one version"
        );
        let h = app.get(
            &format!("/api/v1/cases/{cid}/history?limit=100"),
            &w.supervisor_a.1,
        );
        let updates = h.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|e| e["action"] == "case.update")
            .count();
        assert_eq!(updates, total, "one audit event per successful update");
        assert_eq!(app.verify()["ok"], true);
        eprintln!(
            "{b:?}: {total} updates, {} conflicts retried",
            conflicts.into_inner()
        );
    });
}

#[test]
fn notes_are_append_only_encrypted_and_corrections_reference_the_note() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let case = open_case(&app, &w, &w.worker_a1.1);
        let cid = case["id"].as_str().expect("id");
        let n = app.post(
            &format!("/api/v1/cases/{cid}/notes"),
            &w.worker_a1.1,
            json!({"body": "Hembesök: Kerstin berättade om skulden."}),
        );
        assert_eq!(n.status, 201, "{}", n.body);
        let fix = app.post(
            &format!("/api/v1/cases/{cid}/notes"),
            &w.worker_a1.1,
            json!({"body": "Rättelse: skulden är 12 000 kr.", "corrects": n.str("id")}),
        );
        assert_eq!(fix.status, 201);
        app.post(
            &format!("/api/v1/cases/{cid}/notes"),
            &w.worker_a1.1,
            json!({"body": "x", "corrects": uuid::Uuid::now_v7().to_string()}),
        )
        .problem(422);
        app.post(
            &format!("/api/v1/cases/{cid}/notes"),
            &w.worker_a1.1,
            json!({"body": " "}),
        )
        .problem(422);
        let list = app.get(&format!("/api/v1/cases/{cid}/notes"), &w.worker_a1.1);
        let items = list.json["items"].as_array().expect("items");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["body"], "Hembesök: Kerstin berättade om skulden.");
        assert_eq!(items[1]["corrects"], n.json["id"]);
        let i = app.post(
            &format!("/api/v1/cases/{cid}/interventions"),
            &w.worker_a1.1,
            json!({"kind": "home_visit", "started_on": "2026-11-20", "ended_on": "2026-11-20"}),
        );
        assert_eq!(i.status, 201, "{}", i.body);
        assert_eq!(i.json["status"], "completed");
        app.post(
            &format!("/api/v1/cases/{cid}/interventions"),
            &w.worker_a1.1,
            json!({"kind": "teleportation"}),
        )
        .problem(422);
        let mut c = app.connect();
        use diesel::connection::SimpleConnection;
        let err = c
            .batch_execute("UPDATE notes SET corrects_note_id = NULL")
            .expect_err("append-only");
        assert!(err.to_string().contains("append-only"));
    });
}

#[test]
fn person_search_finds_cases_in_scope_by_any_form_of_the_number() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let case = open_case(&app, &w, &w.worker_a1.1);
        for form in ["198112289874", "811228-9874", "8112289874", HEAD_PNR] {
            let r = app.post(
                "/api/v1/persons/search",
                &w.supervisor_a.1,
                json!({"personnummer": form}),
            );
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.json["items"][0]["case_id"], case["id"], "{form}");
            assert_eq!(r.json["items"][0]["personnummer"], "19811228-****");
        }
        let other_unit = app.post(
            "/api/v1/persons/search",
            &w.supervisor_b.1,
            json!({"personnummer": HEAD_PNR}),
        );
        assert_eq!(other_unit.json["items"], json!([]));
        let unknown = app.post(
            "/api/v1/persons/search",
            &w.supervisor_b.1,
            json!({"personnummer": "19121212-1212"}),
        );
        assert_eq!(unknown.json["items"], json!([]));
        let r = app.post(
            "/api/v1/persons/search",
            &w.supervisor_a.1,
            json!({"personnummer": "19811228-9875"}),
        );
        assert_eq!(r.problem(422)["errors"][0]["field"], "personnummer");
        // The number never travels in a URL: the search is a POST with a body.
        app.req("GET", "/api/v1/persons/search")
            .token(&w.supervisor_a.1)
            .send()
            .problem(405);
    });
}

#[test]
fn case_lists_filter_and_paginate_within_scope() {
    let app = TestApp::spawn(Backend::Sqlite);
    let w = world(&app);
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(
            open_case(&app, &w, &w.supervisor_a.1)["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    transition(
        &app,
        &w.supervisor_a.1,
        &ids[0],
        json!({"to": "triage", "reason": "r"}),
    );
    let mut seen = Vec::new();
    let mut path = "/api/v1/cases?limit=2".to_owned();
    loop {
        let r = app.get(&path, &w.supervisor_a.1);
        assert_eq!(r.status, 200, "{}", r.body);
        seen.extend(
            r.json["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|c| c["id"].as_str().unwrap_or("").to_owned()),
        );
        match r.json["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/cases?limit=2&cursor={c}"),
            None => break,
        }
    }
    let mut expected = ids.clone();
    expected.reverse();
    assert_eq!(
        seen, expected,
        "newest first, no duplicates, nothing missing"
    );
    let triage = app.get("/api/v1/cases?status=triage", &w.supervisor_a.1);
    assert_eq!(triage.json["items"].as_array().map(Vec::len), Some(1));
    let kids = app.get(
        "/api/v1/cases?children_involved=true&assigned_to=none",
        &w.supervisor_a.1,
    );
    assert_eq!(kids.json["items"].as_array().map(Vec::len), Some(5));
    app.get("/api/v1/cases?status=bogus", &w.supervisor_a.1)
        .problem(400);
    app.get("/api/v1/cases?personnummer=198112289874", &w.supervisor_a.1)
        .problem(400);
    let _ = (&w.unit_a, &w.unit_b, &w.org);
}

#[test]
fn every_mutation_has_one_audit_event_and_no_audit_or_access_row_holds_personal_data() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let case = open_case(&app, &w, &w.worker_a1.1);
        let cid = case["id"].as_str().expect("id");
        app.post(
            &format!("/api/v1/cases/{cid}/notes"),
            &w.worker_a1.1,
            json!({"body": format!("Samtal med {HEAD_NAME}")}),
        );
        app.post(
            "/api/v1/persons/search",
            &w.worker_a1.1,
            json!({"personnummer": HEAD_PNR}),
        );
        app.get(&format!("/api/v1/cases/{cid}"), &w.worker_a1.1);
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            t: String,
        }
        let mut c = app.connect();
        let sql = "SELECT action || ' ' || COALESCE(entity_id, '') || ' ' || changed_fields || ' ' || COALESCE(before_json, '') || ' ' || COALESCE(after_json, '') AS t FROM audit_events \
                   UNION ALL SELECT operation || ' ' || subject_type || ' ' || subject_id || ' ' || COALESCE(request_id, '') AS t FROM access_log";
        let rows = diesel::sql_query(sql).load::<Row>(&mut c).expect("rows");
        assert!(rows.len() > 10);
        // Whole numbers: a 4-digit fragment matches a hex id by chance (it did: "2386" in a UUID).
        let canaries = [
            "8112289874",
            "811228-9874",
            "1501022386",
            "150102-2386",
            "Kerstin",
            "Testsson",
            "Olle",
            "Storgatan",
        ];
        for r in &rows {
            for canary in canaries {
                assert!(
                    !r.t.contains(canary),
                    "{canary} found in an audit or access row: {}",
                    r.t
                );
            }
        }
        let actions: Vec<String> = diesel::sql_query("SELECT action AS t FROM audit_events WHERE actor_role = 'caseworker' AND action NOT LIKE 'auth.%' ORDER BY id").load::<Row>(&mut c).expect("rows").into_iter().map(|r| r.t).collect();
        assert_eq!(
            actions,
            [
                "household.create",
                "tenancy.create",
                "case.create",
                "note.create"
            ]
        );
    });
}
