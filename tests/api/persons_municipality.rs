//! Persons per municipality (issue 13 item 1): each municipality has its own record of a person,
//! found through a blind index keyed with the municipality; a second municipality registering a
//! personnummer another holds sees only what it typed; a landlord's typed name stays on the
//! notice; the shared rows of before are split at start, each copy flagged for review.

use diesel::prelude::*;
use serde_json::{Value, json};

use crate::casework::{HEAD_NAME, HEAD_PNR, open_case, world};
use crate::integrations::{clients, submit};
use crate::support::{PASSWORD, TestApp, each_backend};

const OTHER_NAME: &str = "Anna Bergström";

/// A caseworker of a second municipality (code 0181); returns (organization, token).
fn second_municipality(app: &TestApp, admin: &str) -> (String, String) {
    let (org, unit) = app.municipality(admin, "0181");
    app.user(admin, "worker.b2", "caseworker", &org, Some(&unit));
    (org, app.login("worker.b2", PASSWORD).access)
}

/// A household in 0181 with a case (searches find persons through cases).
fn household_in_0181(app: &TestApp, token: &str, name: &str) -> crate::support::Resp {
    let h = app.post(
        "/api/v1/households",
        token,
        json!({
            "address": {"street": "Kyrkogatan 2", "postal_code": "17141", "city": "Solna", "municipality_code": "0181"},
            "members": [{"personnummer": HEAD_PNR, "name": name, "relation": "self"}]
        }),
    );
    if h.status == 201 {
        let c = app.post("/api/v1/cases", token, json!({"household_id": h.str("id")}));
        assert_eq!(c.status, 201, "{}", c.body);
    }
    h
}

fn search(app: &TestApp, token: &str) -> Vec<Value> {
    let r = app.post(
        "/api/v1/persons/search",
        token,
        json!({"personnummer": HEAD_PNR}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.json["items"].as_array().expect("items").clone()
}

#[test]
fn a_second_municipality_sees_only_what_it_typed() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let case_a = open_case(&app, &w, &w.worker_a1.1);
        let hid_a = case_a["household_id"].as_str().expect("household");
        let (_, worker_b) = second_municipality(&app, &w.admin);
        let created = household_in_0181(&app, &worker_b, OTHER_NAME);
        assert_eq!(created.status, 201, "{}", created.body);
        assert!(
            !created.body.contains(HEAD_NAME),
            "nothing of the first municipality's record: {}",
            created.body
        );
        assert_eq!(created.json["members"][0]["name"], OTHER_NAME);
        let hid_b = created.str("id");
        let seen_b = app.get(&format!("/api/v1/households/{hid_b}"), &worker_b);
        assert_eq!(seen_b.json["members"][0]["name"], OTHER_NAME);
        assert!(!seen_b.body.contains(HEAD_NAME));
        let seen_a = app.get(&format!("/api/v1/households/{hid_a}"), &w.worker_a1.1);
        assert_eq!(
            seen_a.json["members"][0]["name"], HEAD_NAME,
            "A's record kept"
        );
        let (pa, pb) = (
            seen_a.json["members"][0]["person_id"].clone(),
            seen_b.json["members"][0]["person_id"].clone(),
        );
        assert_ne!(pa, pb, "one record per municipality");
        // Each municipality's search finds its own record only.
        let hits_b = search(&app, &worker_b);
        assert!(
            !hits_b.is_empty() && hits_b.iter().all(|h| h["person_id"] == pb),
            "{hits_b:?}"
        );
        let hits_a = search(&app, &w.worker_a1.1);
        assert!(
            !hits_a.is_empty() && hits_a.iter().all(|h| h["person_id"] == pa),
            "{hits_a:?}"
        );
        assert_eq!(app.verify()["ok"], true);
    });
}

#[test]
fn a_landlords_typed_name_stays_on_the_notice_and_never_overwrites_the_record() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let c = clients(&app, &w);
        let case = open_case(&app, &w, &w.worker_a1.1);
        let (cid, hid) = (
            case["id"].as_str().expect("id"),
            case["household_id"].as_str().expect("household"),
        );
        let typed = "K. Testsson (hyresgäst)";
        let r = submit(
            &app,
            &c.landlord,
            "/api/v1/landlord/notices",
            "typed-1",
            json!({"kind": "termination_served", "served_on": kvar::domain::sweden::today().to_string(),
                   "tenant": {"personnummer": HEAD_PNR, "name": typed},
                   "address": {"street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm", "municipality_code": "0180"},
                   "municipality_code": "0180"}),
        );
        assert_eq!(r.status, 202, "{}", r.body);
        assert!(!r.body.contains(typed) && !r.body.contains(HEAD_NAME));
        let h = app.get(&format!("/api/v1/households/{hid}"), &w.worker_a1.1);
        assert_eq!(h.json["members"][0]["name"], HEAD_NAME, "{}", h.body);
        let notices = app.get(&format!("/api/v1/cases/{cid}/notices"), &w.worker_a1.1);
        let reported: Vec<&Value> = notices.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|n| n.get("reported_name").filter(|v| !v.is_null()))
            .collect();
        assert_eq!(reported, vec![&json!(typed)], "{}", notices.body);
        // Stored encrypted, not in clear.
        let mut conn = app.connect();
        let clear: i64 = kvar::db::schema::notices::table
            .filter(kvar::db::schema::notices::case_id.eq(cid))
            .filter(kvar::db::schema::notices::reported_name_enc.is_not_null())
            .count()
            .get_result(&mut conn)
            .expect("count");
        assert_eq!(clear, 1);
    });
}

#[test]
fn the_shared_rows_of_before_are_split_per_municipality_and_flagged() {
    use kvar::db::schema::{audit_events, household_members, persons};
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let case_a = open_case(&app, &w, &w.worker_a1.1);
        let hid_a = case_a["household_id"]
            .as_str()
            .expect("household")
            .to_owned();
        let (org_b, worker_b) = second_municipality(&app, &w.admin);
        let hid_b = household_in_0181(&app, &worker_b, OTHER_NAME).str("id");
        let person_of = |hid: &str, token: &str| {
            app.get(&format!("/api/v1/households/{hid}"), token).json["members"][0]["person_id"]
                .as_str()
                .expect("person")
                .to_owned()
        };
        let (pa, pb) = (
            person_of(&hid_a, &w.worker_a1.1),
            person_of(&hid_b, &worker_b),
        );
        // Make the database look as before: one shared row (A's, global index, no
        // municipality) that both households point at.
        let keys = kvar::crypto::Keys::for_tests();
        let cipher = kvar::crypto::subjects::Keyring::new(&keys.field);
        let blind = kvar::crypto::field::BlindIndex::new(&keys.blind_index).expect("blind");
        let pnr = kvar::domain::personnummer::Personnummer::parse(HEAD_PNR).expect("pnr");
        let mut conn = app.connect();
        diesel::update(household_members::table.filter(household_members::person_id.eq(&pb)))
            .set(household_members::person_id.eq(&pa))
            .execute(&mut conn)
            .expect("share");
        diesel::delete(persons::table.find(&pb))
            .execute(&mut conn)
            .expect("drop B's row");
        diesel::update(persons::table.find(&pa))
            .set((
                persons::organization_id.eq(None::<String>),
                persons::pnr_index.eq(blind.of("personnummer", &pnr.canonical())),
            ))
            .execute(&mut conn)
            .expect("legacy row");

        let copies = kvar::persons::split::run(&mut conn, &cipher, &blind).expect("split");
        assert_eq!(copies, 1);
        assert_eq!(
            kvar::persons::split::run(&mut conn, &cipher, &blind).expect("again"),
            0,
            "idempotent"
        );
        // A keeps the original, B has a flagged copy with the same (decryptable) identity.
        assert_eq!(person_of(&hid_a, &w.worker_a1.1), pa);
        let copy = person_of(&hid_b, &worker_b);
        assert_ne!(copy, pa);
        let row: (Option<String>, bool) = persons::table
            .find(&copy)
            .select((persons::organization_id, persons::needs_review))
            .first(&mut conn)
            .expect("copy");
        assert_eq!(row, (Some(org_b.clone()), true));
        let seen_b = app.get(&format!("/api/v1/households/{hid_b}"), &worker_b);
        assert_eq!(
            seen_b.json["members"][0]["name"], HEAD_NAME,
            "the copy holds what was stored (what B typed was not kept): {}",
            seen_b.body
        );
        // Each municipality finds its own record again through its own index.
        assert!(
            search(&app, &w.worker_a1.1)
                .iter()
                .all(|h| h["person_id"] == pa.as_str())
        );
        let hits_b = search(&app, &worker_b);
        assert!(
            !hits_b.is_empty() && hits_b.iter().all(|h| h["person_id"] == copy.as_str()),
            "{hits_b:?}"
        );
        // B's staff check the copy: the name B knows, the flag cleared (If-Match).
        let got = app.get(&format!("/api/v1/persons/{copy}"), &worker_b);
        assert_eq!(got.status, 200, "{}", got.body);
        assert_eq!(got.json["needs_review"], true);
        let etag = got.header("etag").expect("etag").to_owned();
        let patch = |body: Value| {
            app.req("PATCH", &format!("/api/v1/persons/{copy}"))
                .token(&worker_b)
                .header("if-match", &etag)
                .json(body)
                .send()
        };
        let nothing = patch(json!({}));
        assert_eq!(
            (nothing.status, nothing.json["version"].clone()),
            (200, got.json["version"].clone()),
            "no change, no new version"
        );
        let fixed = patch(json!({"name": OTHER_NAME, "needs_review": false}));
        assert_eq!(fixed.status, 200, "{}", fixed.body);
        assert_eq!(
            (
                fixed.json["name"].as_str(),
                fixed.json["needs_review"].as_bool()
            ),
            (Some(OTHER_NAME), Some(false))
        );
        assert_eq!(patch(json!({"needs_review": true})).status, 412, "stale");
        let seen_a = app.get(&format!("/api/v1/households/{hid_a}"), &w.worker_a1.1);
        assert_eq!(
            seen_a.json["members"][0]["name"], HEAD_NAME,
            "A's record untouched"
        );
        let split_events: i64 = audit_events::table
            .filter(audit_events::action.eq("person.split"))
            .filter(audit_events::entity_id.eq(&copy))
            .count()
            .get_result(&mut conn)
            .expect("events");
        assert_eq!(split_events, 1);
        drop(conn);
        assert_eq!(app.verify()["ok"], true);
    });
}
