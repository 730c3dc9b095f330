//! Protected identity (skyddad identitet, SPEC §9; issue 13 item 2): staff set and clear the flag
//! (`GET`/`PATCH /persons/{id}`, If-Match, audited; also raised on member registration). While a
//! member is protected, the household's addresses are shown only to a case's assigned
//! caseworker and the unit's supervisors (with `protected` access-log rows); everyone else who
//! reaches the household gets `address: null, address_protected: true`; and the canary street
//! never appears in their answers, a landlord's or Kronofogden's, the history, the server log or
//! any audit, access-log or idempotency row.

use diesel::RunQueryDsl;
use serde_json::{Value, json};

use crate::casework::world;
use crate::integrations::{clients, event, submit};
use crate::support::{PASSWORD, Resp, TestApp, each_backend};

const CANARY: &str = "Kanariegränd 7";
/// What is searched for: the street without its number, so a moved address is caught too.
const NEEDLE: &str = "Kanariegränd";
const PNR: &str = "19780312-1230";
const OTHER_PNR: &str = "19900515-1239";

fn address(street: &str) -> Value {
    json!({"street": street, "postal_code": "11122", "city": "Stockholm", "municipality_code": "0180"})
}

/// (rows, rows marked protected) of the access log under the response's request id.
fn logged(app: &TestApp, r: &Resp) -> (usize, usize) {
    #[derive(diesel::QueryableByName)]
    struct Entry {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        protected: bool,
    }
    let id = r.header("x-request-id").expect("request id");
    let rows = diesel::sql_query(format!(
        "SELECT protected FROM access_log WHERE request_id = '{id}'"
    ))
    .load::<Entry>(&mut app.connect())
    .expect("access log");
    (rows.len(), rows.iter().filter(|e| e.protected).count())
}

fn patch(app: &TestApp, path: &str, token: &str, etag: Option<&str>, body: Value) -> Resp {
    let mut r = app.req("PATCH", path).token(token).json(body);
    if let Some(e) = etag {
        r = r.header("if-match", e);
    }
    r.send()
}

/// The address is withheld: `address: null`, `address_protected: true`, no canary.
fn withheld(r: &Resp, what: &str) {
    assert_eq!(r.status, 200, "{what}: {}", r.body);
    assert_eq!(r.json["address"], Value::Null, "{what}: {}", r.body);
    assert_eq!(r.json["address_protected"], true, "{what}");
    assert!(!r.body.contains(NEEDLE), "{what}: {}", r.body);
}

/// The address is shown, marked protected, and the read logged as protected.
fn shown(app: &TestApp, r: &Resp, what: &str) {
    assert_eq!(r.status, 200, "{what}: {}", r.body);
    assert_eq!(r.json["address"]["street"], CANARY, "{what}: {}", r.body);
    assert_eq!(r.json["address_protected"], true, "{what}");
    let (rows, protected) = logged(app, r);
    assert!(
        rows > 0 && protected == rows,
        "{what}: {protected} of {rows} rows protected"
    );
}

#[test]
fn a_protected_address_reaches_only_the_assigned_caseworker_and_the_unit_supervisors() {
    each_backend(|b| {
        // The real binary at debug level: its log is searched too.
        let app = TestApp::spawn_binary(b);
        let w = world(&app);
        let c = clients(&app, &w);
        let (sup, a1, a2) = (&w.supervisor_a.1, &w.worker_a1.1, &w.worker_a2.1);
        let h = app.post(
            "/api/v1/households",
            sup,
            json!({"address": address(CANARY),
                   "members": [{"personnummer": PNR, "name": "Skyddad Person", "relation": "self"}]}),
        );
        assert_eq!(h.status, 201, "{}", h.body);
        assert_eq!(h.json["address_protected"], false);
        let hid = h.str("id");
        let pid = h.json["members"][0]["person_id"]
            .as_str()
            .expect("person")
            .to_owned();
        let t = app.post(
            "/api/v1/tenancies",
            sup,
            json!({"household_id": hid, "landlord_organization_id": w.landlord_org, "apartment_number": "1102",
                   "address": address(CANARY), "monthly_rent": 8500, "contract_type": "first_hand"}),
        );
        assert_eq!(t.status, 201, "{}", t.body);
        let tid = t.str("id");
        // Two cases of the household: the first will be assigned to worker A2, the second
        // stays unassigned (triage), so worker A1 reaches the household through it.
        let case = |tenancy: Option<&str>| {
            let r = app.post(
                "/api/v1/cases",
                sup,
                json!({"household_id": hid, "tenancy_id": tenancy}),
            );
            assert_eq!(r.status, 201, "{}", r.body);
            r
        };
        let (c1, c2) = (case(Some(&tid)), case(None));
        let (cid1, cid2) = (c1.str("id"), c2.str("id"));
        let assigned = patch(
            &app,
            &format!("/api/v1/cases/{cid1}"),
            sup,
            c1.header("etag"),
            json!({"assigned_to": w.worker_a2.0}),
        );
        assert_eq!(assigned.status, 200, "{}", assigned.body);

        // Before the flag: worker A1 sees the address like any other.
        let before = app.get(&format!("/api/v1/households/{hid}"), a1);
        assert_eq!(before.json["address"]["street"], CANARY, "{}", before.body);

        // Set the flag: If-Match required (428), stale (412), then 200 with a new ETag.
        let person_path = format!("/api/v1/persons/{pid}");
        let p = app.get(&person_path, a1);
        assert_eq!(p.status, 200, "{}", p.body);
        assert_eq!(p.json["protected_identity"], false);
        assert_eq!(p.json["personnummer"], PNR);
        let etag = p.header("etag").expect("etag").to_owned();
        let on = json!({"protected_identity": true});
        patch(&app, &person_path, a1, None, on.clone()).problem(428);
        patch(&app, &person_path, a1, Some("\"7\""), on.clone()).problem(412);
        let set = patch(&app, &person_path, a1, Some(&etag), on.clone());
        assert_eq!(set.status, 200, "{}", set.body);
        assert_eq!(set.json["protected_identity"], true);
        assert_ne!(set.header("etag"), Some(etag.as_str()), "the version moved");
        patch(&app, &person_path, a1, Some(&etag), on).problem(412);
        let audit = audit_rows(&app, &format!("entity_id = '{pid}'"));
        assert_eq!(audit.len(), 1, "{audit:?}");
        assert!(
            audit[0].starts_with("person.update")
                && audit[0].contains("protected_identity")
                && audit[0].contains("true"),
            "{audit:?}"
        );
        // Another unit's staff do not reach the person at all.
        app.get(&person_path, &w.worker_b.1).problem(404);

        // Worker A1 (reaches the household through the unassigned case): withheld everywhere.
        let mut unentitled: Vec<(String, Resp)> = Vec::new();
        let r = keep(
            &mut unentitled,
            "household",
            app.get(&format!("/api/v1/households/{hid}"), a1),
        );
        withheld(r, "A1 household");
        assert_eq!(logged(&app, r).1, 0, "nothing protected was shown");
        let r = keep(
            &mut unentitled,
            "tenancy",
            app.get(&format!("/api/v1/tenancies/{tid}"), a1),
        );
        withheld(r, "A1 tenancy");
        assert_eq!(logged(&app, r).1, 0);
        let r = keep(
            &mut unentitled,
            "tenancies",
            app.get(&format!("/api/v1/households/{hid}/tenancies"), a1),
        );
        assert_eq!(r.json["items"][0]["address"], Value::Null, "{}", r.body);
        assert_eq!(r.json["items"][0]["address_protected"], true);
        let r = keep(
            &mut unentitled,
            "tenancy patch",
            patch(
                &app,
                &format!("/api/v1/tenancies/{tid}"),
                a1,
                t.header("etag"),
                json!({"monthly_rent": 9000}),
            ),
        );
        withheld(r, "A1 tenancy patch");
        let r = keep(
            &mut unentitled,
            "case",
            app.get(&format!("/api/v1/cases/{cid2}"), a1),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json["members"][0]["protected_identity"], true);
        keep(
            &mut unentitled,
            "notices",
            app.get(&format!("/api/v1/cases/{cid2}/notices"), a1),
        );
        keep(&mut unentitled, "cases", app.get("/api/v1/cases", a1));
        keep(&mut unentitled, "worklist", app.get("/api/v1/worklist", a1));
        keep(
            &mut unentitled,
            "search",
            app.post("/api/v1/persons/search", a1, json!({"personnummer": PNR})),
        );
        keep(&mut unentitled, "person", app.get(&person_path, a1));
        // The assigned case is out of A1's reach altogether.
        keep(
            &mut unentitled,
            "assigned case",
            app.get(&format!("/api/v1/cases/{cid1}"), a1),
        )
        .problem(404);

        // The assigned caseworker and the unit's supervisor see it, logged as protected reads.
        for (who, token) in [("A2 (assigned)", a2), ("supervisor A", sup)] {
            shown(
                &app,
                &app.get(&format!("/api/v1/households/{hid}"), token),
                who,
            );
            shown(
                &app,
                &app.get(&format!("/api/v1/tenancies/{tid}"), token),
                who,
            );
            let list = app.get(&format!("/api/v1/households/{hid}/tenancies"), token);
            assert_eq!(list.json["items"][0]["address"]["street"], CANARY);
        }
        // The entitled change the address: the history records it as changed, not by value.
        let moved = patch(
            &app,
            &format!("/api/v1/tenancies/{tid}"),
            a2,
            app.get(&format!("/api/v1/tenancies/{tid}"), a2)
                .header("etag"),
            json!({"address": address("Kanariegränd 9")}),
        );
        assert_eq!(moved.status, 200, "{}", moved.body);
        let mut everyone: Vec<(String, Resp)> = Vec::new();
        for cid in [&cid1, &cid2] {
            let r = app.get(&format!("/api/v1/cases/{cid}/history"), sup);
            assert_eq!(r.status, 200, "{}", r.body);
            everyone.push(("history".into(), r));
        }

        // A rent commitment for the assigned case: the letter names the apartment only.
        let rc = app.post(
            &format!("/api/v1/cases/{cid1}/rent-commitments"),
            a2,
            json!({"amount": 5000, "months_covered": 1, "reason": "r"}),
        );
        assert_eq!(rc.status, 201, "{}", rc.body);
        let rc = rc.str("id");
        let ok = app.post(
            &format!("/api/v1/cases/{cid1}/rent-commitments/{rc}/decision"),
            sup,
            json!({"decision": "approve", "reason": "r", "legal_basis": {"reason": "r"}}),
        );
        assert_eq!(ok.status, 200, "{}", ok.body);
        let pdf = app.get(
            &format!("/api/v1/cases/{cid1}/rent-commitments/{rc}/letter"),
            a2,
        );
        assert_eq!(pdf.status, 200);
        assert!(
            !pdf.bytes.windows(8).any(|w| w == b"Kanarieg"),
            "the letter goes to the landlord: no protected address"
        );
        // Landlords and Kronofogden: the tenant's address in their submissions, never back.
        app.user(&w.admin, "ll.a", "landlord", &w.landlord_org, None);
        let la = app.login("ll.a", PASSWORD).access;
        let mut outside: Vec<(String, Resp)> = Vec::new();
        let letters = app.get("/api/v1/landlord/rent-commitments", &la);
        assert_eq!(letters.status, 200, "{}", letters.body);
        assert_eq!(letters.json["items"][0]["apartment_reference"], "1102");
        assert_eq!(letters.json["items"][0]["address"], Value::Null);
        outside.push(("letters".into(), letters));
        let tenant = json!({"personnummer": PNR, "name": "Skyddad Person"});
        for (who, token, path, key, body) in [
            (
                "landlord notice",
                &la,
                "/api/v1/landlord/notices",
                "p-1",
                json!({"kind": "termination_served", "served_on": "2026-11-02", "tenant": tenant,
                       "address": address(CANARY), "municipality_code": "0180"}),
            ),
            ("kfm event", &c.kfm, "/api/v1/enforcement/events", "p-2", {
                let mut e = event(
                    PNR,
                    "Skyddad Person",
                    "kfm_application_received",
                    "12-700-26",
                );
                e["address"] = address(CANARY);
                e
            }),
        ] {
            let r = submit(&app, token, path, key, body);
            assert_eq!(r.status, 202, "{who}: {}", r.body);
            outside.push((who.into(), r));
        }
        outside.push((
            "landlord receipts".into(),
            app.get("/api/v1/landlord/receipts", &la),
        ));
        outside.push((
            "kfm receipts".into(),
            app.get("/api/v1/enforcement/receipts", &c.kfm),
        ));

        // Positive control: the needle is found where the address is shown.
        let control = app.get(&format!("/api/v1/households/{hid}"), sup);
        assert!(control.body.contains(NEEDLE));
        let mut hits: Vec<String> = Vec::new();
        for (what, r) in unentitled.iter().chain(&everyone).chain(&outside) {
            let text = format!("{} {:?}", r.body, r.headers);
            if text.contains(NEEDLE) {
                hits.push(format!("{what}: {}", r.body));
            }
        }
        app.verify();
        let log = app.log();
        assert!(log.lines().count() > 50, "the log was read");
        hits.extend(
            log.lines()
                .filter(|l| l.contains(NEEDLE))
                .map(|l| format!("log: {l}")),
        );
        let rows = audit_rows(&app, "1 = 1");
        assert!(rows.len() > 20);
        hits.extend(
            rows.iter()
                .chain(&other_rows(&app))
                .filter(|r| r.contains(NEEDLE))
                .map(|r| format!("row: {r}")),
        );
        // The scan's reach, for the record (cargo test -- --nocapture).
        eprintln!(
            "canary scan ({:?}): {} answers, {} log lines, {} audit rows, {} access-log and idempotency rows: {} hits",
            b,
            unentitled.len() + everyone.len() + outside.len(),
            log.lines().count(),
            rows.len(),
            other_rows(&app).len(),
            hits.len()
        );
        assert_eq!(hits, Vec::<String>::new(), "the protected address leaked");
    });
}

/// Keep `r` among the answers searched at the end.
fn keep<'a>(seen: &'a mut Vec<(String, Resp)>, what: &str, r: Resp) -> &'a Resp {
    seen.push((what.to_owned(), r));
    &seen[seen.len() - 1].1
}

/// Audit events (action, changed fields, before/after) matching `filter`, oldest first.
fn audit_rows(app: &TestApp, filter: &str) -> Vec<String> {
    text_rows(
        app,
        &format!(
            "SELECT action || ' ' || changed_fields || ' ' || COALESCE(before_json, '') || ' ' || \
             COALESCE(after_json, '') AS t FROM audit_events WHERE {filter} ORDER BY id"
        ),
    )
}

/// The access log and the stored idempotent answers, as text.
fn other_rows(app: &TestApp) -> Vec<String> {
    text_rows(
        app,
        "SELECT operation || ' ' || subject_type || ' ' || subject_id AS t FROM access_log \
         UNION ALL SELECT principal || ' ' || idem_key || ' ' || response_body AS t FROM idempotency_keys",
    )
}

fn text_rows(app: &TestApp, sql: &str) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        t: String,
    }
    diesel::sql_query(sql)
        .load::<Row>(&mut app.connect())
        .expect("rows")
        .into_iter()
        .map(|r| r.t)
        .collect()
}

#[test]
fn registering_a_member_raises_an_existing_persons_flag_and_never_clears_it() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let (sup, a1) = (&w.supervisor_a.1, &w.worker_a1.1);
        let member = |protected: bool| {
            json!({"personnummer": OTHER_PNR, "name": "Ny Person", "relation": "self",
                   "protected_identity": protected})
        };
        // Registered unprotected, with an unassigned case (worker A1 reaches it).
        let first = app.post(
            "/api/v1/households",
            sup,
            json!({"address": address(CANARY), "members": [member(false)]}),
        );
        assert_eq!(first.status, 201, "{}", first.body);
        let hid = first.str("id");
        let pid = first.json["members"][0]["person_id"]
            .as_str()
            .expect("person")
            .to_owned();
        let c = app.post("/api/v1/cases", sup, json!({"household_id": hid}));
        assert_eq!(c.status, 201, "{}", c.body);
        assert_eq!(
            app.get(&format!("/api/v1/households/{hid}"), a1).json["address_protected"],
            false
        );
        // Registered again elsewhere, now as protected: the person's flag rises (audited).
        let second = app.post(
            "/api/v1/households",
            sup,
            json!({"address": address("Annan väg 1"), "members": [member(true)]}),
        );
        assert_eq!(second.status, 201, "{}", second.body);
        assert_eq!(second.json["members"][0]["person_id"], pid.as_str());
        assert_eq!(second.json["address_protected"], true);
        let p = app.get(&format!("/api/v1/persons/{pid}"), sup);
        assert_eq!(p.json["protected_identity"], true, "{}", p.body);
        assert_eq!(p.header("etag"), Some("\"2\""));
        let audit = audit_rows(
            &app,
            &format!("entity_id = '{pid}' AND action = 'person.update'"),
        );
        assert_eq!(audit.len(), 1, "{audit:?}");
        // The first household is protected now: worker A1 (unassigned) no longer sees it.
        withheld(
            &app.get(&format!("/api/v1/households/{hid}"), a1),
            "A1 first household",
        );
        // Adding the person with `false` leaves the flag; only the PATCH clears it.
        let third = app.post(
            "/api/v1/households",
            sup,
            json!({"address": address("Tredje väg 3"),
                   "members": [{"personnummer": "19650704-1231", "name": "Tre", "relation": "self"}]}),
        );
        let third_id = third.str("id");
        let added = app.post(
            &format!("/api/v1/households/{third_id}/members"),
            sup,
            json!({"personnummer": OTHER_PNR, "name": "Ny Person", "relation": "partner",
                   "protected_identity": false}),
        );
        assert_eq!(added.status, 201, "{}", added.body);
        let p = app.get(&format!("/api/v1/persons/{pid}"), sup);
        assert_eq!(p.json["protected_identity"], true);
        let cleared = patch(
            &app,
            &format!("/api/v1/persons/{pid}"),
            sup,
            p.header("etag"),
            json!({"protected_identity": false}),
        );
        assert_eq!(cleared.status, 200, "{}", cleared.body);
        assert_eq!(cleared.json["protected_identity"], false);
        let open = app.get(&format!("/api/v1/households/{hid}"), a1);
        assert_eq!(open.json["address"]["street"], CANARY, "{}", open.body);
        assert_eq!(open.json["address_protected"], false);
        assert_eq!(
            audit_rows(
                &app,
                &format!("entity_id = '{pid}' AND action = 'person.update'")
            )
            .len(),
            2
        );
    });
}
