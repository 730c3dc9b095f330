//! Integrations over HTTP: clients and their tokens, Kronofogden events and landlord notices
//! landing on cases, idempotency, receipts that reveal nothing.

use serde_json::{Value, json};

use crate::casework::{HEAD_NAME, HEAD_PNR, World, open_case, world};
use crate::support::{Resp, TestApp, each_backend};

pub struct Clients {
    pub kfm: String,
    pub landlord: String,
    pub kfm_client: Value,
}

pub fn token(app: &TestApp, client: &Value) -> String {
    let r = app.req("POST", "/api/v1/auth/token").json(json!({"grant_type": "client_credentials", "client_id": client["client_id"], "client_secret": client["client_secret"]})).send();
    assert_eq!(r.status, 200, "{}", r.body);
    r.str("access_token")
}

pub fn clients(app: &TestApp, w: &World) -> Clients {
    let kfm_org = app.post("/api/v1/organizations", &w.admin, json!({"kind": "enforcement_authority", "name": "Kronofogden", "org_number": "202100-5026"}));
    assert_eq!(kfm_org.status, 201, "{}", kfm_org.body);
    let kfm_client = app.post("/api/v1/integration-clients", &w.admin, json!({"organization_id": kfm_org.str("id"), "name": "KFM", "scopes": ["enforcement:submit", "enforcement:receipts"]}));
    assert_eq!(kfm_client.status, 201, "{}", kfm_client.body);
    let landlord_client = app.post("/api/v1/integration-clients", &w.admin, json!({"organization_id": w.landlord_org, "name": "Hyressystem", "scopes": ["landlord:submit", "landlord:receipts"]}));
    assert_eq!(landlord_client.status, 201, "{}", landlord_client.body);
    let bad = app.post(
        "/api/v1/integration-clients",
        &w.admin,
        json!({"organization_id": w.landlord_org, "name": "X", "scopes": ["enforcement:submit"]}),
    );
    bad.problem(422);
    Clients {
        kfm: token(app, &kfm_client.json),
        landlord: token(app, &landlord_client.json),
        kfm_client: kfm_client.json,
    }
}

pub fn event(pnr: &str, name: &str, kind: &str, number: &str) -> Value {
    json!({"event_type": kind, "occurred_at": "2026-11-20T09:00:00Z", "kfm_case_number": number, "municipality_code": "0180",
           "tenant": {"personnummer": pnr, "name": name},
           "address": {"street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm", "municipality_code": "0180"},
           "eviction_at": "2026-12-10T08:00:00Z"})
}

pub fn submit(app: &TestApp, token: &str, path: &str, key: &str, body: Value) -> Resp {
    app.req("POST", path)
        .token(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
}

#[test]
fn an_eviction_for_a_followed_household_lands_on_its_case_and_an_unknown_person_gets_a_new_case() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let c = clients(&app, &w);
        let known = open_case(&app, &w, &w.worker_a1.1);
        let kid = known["id"].as_str().expect("id");
        let r1 = submit(
            &app,
            &c.kfm,
            "/api/v1/enforcement/events",
            "k-1",
            event(HEAD_PNR, HEAD_NAME, "kfm_eviction_scheduled", "12-111-26"),
        );
        assert_eq!(r1.status, 202, "{}", r1.body);
        let ds = app.get(&format!("/api/v1/cases/{kid}/deadlines"), &w.supervisor_a.1);
        assert!(
            ds.json["items"]
                .as_array()
                .expect("items")
                .iter()
                .any(|d| d["kind"] == "eviction_date" && d["due_on"] == "2026-12-10"),
            "{}",
            ds.body
        );
        assert_eq!(
            app.get(&format!("/api/v1/cases/{kid}"), &w.supervisor_a.1)
                .json["legal_stage"],
            "eviction_scheduled"
        );
        // Unknown person: a new case in the municipality's intake unit, visible to its supervisor.
        let r2 = submit(
            &app,
            &c.kfm,
            "/api/v1/enforcement/events",
            "k-2",
            event(
                "19121212-1212",
                "Tolvan Tolvansson",
                "kfm_eviction_scheduled",
                "12-222-26",
            ),
        );
        assert_eq!(r2.status, 202, "{}", r2.body);
        let list = app.get("/api/v1/cases?limit=100", &w.supervisor_a.1);
        let cases = list.json["items"].as_array().expect("items");
        assert_eq!(cases.len(), 2, "{}", list.body);
        let new = cases
            .iter()
            .find(|x| x["id"] != known["id"])
            .expect("new case");
        assert_eq!(new["status"], "new");
        assert_eq!(new["unit_id"], w.unit_a.as_str());
        // Same case number again: the same case, not a third one.
        let r3 = submit(
            &app,
            &c.kfm,
            "/api/v1/enforcement/events",
            "k-3",
            event(
                "19121212-1212",
                "Tolvan Tolvansson",
                "kfm_postponed",
                "12-222-26",
            ),
        );
        assert_eq!(r3.status, 202);
        assert_eq!(
            app.get("/api/v1/cases?limit=100", &w.supervisor_a.1).json["items"]
                .as_array()
                .map(Vec::len),
            Some(2)
        );
        // The two receipts have the same shape and status: no client-status oracle.
        let keys = |r: &Resp| {
            r.json
                .as_object()
                .expect("object")
                .keys()
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&r1), keys(&r2));
        assert_eq!(
            (r1.json["status"].clone(), r2.json["status"].clone()),
            (json!("accepted"), json!("accepted"))
        );
        // Nothing about the case or the person in any answer to the integration.
        let receipts = app.get("/api/v1/enforcement/receipts", &c.kfm);
        assert_eq!(receipts.json["items"].as_array().map(Vec::len), Some(3));
        for body in [&r1.body, &r2.body, &r3.body, &receipts.body] {
            for secret in [
                kid,
                new["id"].as_str().expect("id"),
                // Whole numbers: 4-digit fragments match ids by chance.
                "8112289874",
                "811228-9874",
                "1212121212",
                "121212-1212",
                "Tolvan",
                "Testsson",
                "unit",
            ] {
                assert!(!body.contains(secret), "{secret} leaked: {body}");
            }
        }
        assert_eq!(app.verify()["ok"], true);
    });
}

#[test]
fn a_kronofogden_case_number_finds_its_open_case_whoever_the_tenant_is() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let c = clients(&app, &w);
        let count = || {
            app.get("/api/v1/cases?limit=100", &w.supervisor_a.1).json["items"]
                .as_array()
                .map(Vec::len)
        };
        // (key, tenant, name, event, målnummer, cases afterwards)
        let steps = [
            // A new person under a new number: a new case.
            (
                "n-1",
                "19121212-1212",
                "Tolvan Tolvansson",
                "kfm_application_received",
                "12-500-26",
                1,
            ),
            // The same målnummer with another tenant (a spouse named in the order): matched by
            // the number (SPEC §7 rule 1), so no new person and no new case.
            (
                "n-2",
                "19750715-3455",
                "Maka Tolvansson",
                "kfm_order_issued",
                "12-500-26",
                1,
            ),
            // The spouse under a number kvar has not seen: not known as a person, a new case.
            (
                "n-3",
                "19750715-3455",
                "Maka Tolvansson",
                "kfm_application_received",
                "12-501-26",
                2,
            ),
        ];
        for (key, pnr, name, kind, number, cases) in steps {
            let r = submit(
                &app,
                &c.kfm,
                "/api/v1/enforcement/events",
                key,
                event(pnr, name, kind, number),
            );
            assert_eq!(r.status, 202, "{key}: {}", r.body);
            assert_eq!(count(), Some(cases), "{key}");
        }
        assert_eq!(app.verify()["ok"], true);
    });
}

#[test]
fn tokens_keep_to_their_api_and_scopes() {
    let app = TestApp::spawn(crate::support::Backend::Sqlite);
    let w = world(&app);
    let c = clients(&app, &w);
    app.get("/api/v1/me", &c.kfm).problem(401);
    app.get("/api/v1/cases", &c.landlord).problem(401);
    submit(
        &app,
        &w.supervisor_a.1,
        "/api/v1/enforcement/events",
        "x",
        json!({}),
    )
    .problem(403);
    submit(
        &app,
        &c.landlord,
        "/api/v1/enforcement/events",
        "x",
        json!({}),
    )
    .problem(403);
    submit(&app, &c.kfm, "/api/v1/landlord/notices", "x", json!({})).problem(403);
    app.req("POST", "/api/v1/enforcement/events")
        .json(json!({}))
        .send()
        .problem(401);
    // Landlord users submit like landlord clients.
    let admin = &w.admin;
    app.user(admin, "hyresvard", "landlord", &w.landlord_org, None);
    let landlord_user = app.login("hyresvard", crate::support::PASSWORD).access;
    let notice = json!({"kind": "termination_served", "served_on": "2026-11-02", "tenant": {"personnummer": HEAD_PNR, "name": HEAD_NAME},
        "address": {"street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm", "municipality_code": "0180"}, "municipality_code": "0180"});
    assert_eq!(
        submit(
            &app,
            &landlord_user,
            "/api/v1/landlord/notices",
            "n-1",
            notice.clone()
        )
        .status,
        202
    );
    assert_eq!(
        submit(&app, &c.landlord, "/api/v1/landlord/notices", "n-1", notice).status,
        202,
        "keys are per submitter"
    );
    let mine = app.get("/api/v1/landlord/receipts", &landlord_user);
    assert_eq!(
        mine.json["items"].as_array().map(Vec::len),
        Some(2),
        "a landlord sees its organization's receipts"
    );
    // Rotation and revocation refuse old tokens at once.
    let rotated = app.post(
        &format!(
            "/api/v1/integration-clients/{}/rotate",
            c.kfm_client["id"].as_str().expect("id")
        ),
        admin,
        json!({}),
    );
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    app.get("/api/v1/enforcement/receipts", &c.kfm).problem(401);
    let fresh = token(&app, &rotated.json);
    assert_eq!(app.get("/api/v1/enforcement/receipts", &fresh).status, 200);
    app.req("POST", "/api/v1/auth/token").json(json!({"grant_type": "client_credentials", "client_id": c.kfm_client["client_id"], "client_secret": c.kfm_client["client_secret"]})).send().problem(401);
    app.post(
        &format!(
            "/api/v1/integration-clients/{}/revoke",
            c.kfm_client["id"].as_str().expect("id")
        ),
        admin,
        json!({}),
    );
    app.get("/api/v1/enforcement/receipts", &fresh).problem(401);
}

#[test]
fn submissions_are_idempotent_and_validated_field_by_field() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let c = clients(&app, &w);
        let body = event(HEAD_PNR, HEAD_NAME, "kfm_application_received", "12-333-26");
        app.req("POST", "/api/v1/enforcement/events")
            .token(&c.kfm)
            .json(body.clone())
            .send()
            .problem(400);
        let first = submit(
            &app,
            &c.kfm,
            "/api/v1/enforcement/events",
            "same",
            body.clone(),
        );
        assert_eq!(first.status, 202);
        let replay = submit(
            &app,
            &c.kfm,
            "/api/v1/enforcement/events",
            "same",
            body.clone(),
        );
        assert_eq!(
            (replay.status, replay.body.clone()),
            (202, first.body.clone())
        );
        assert_eq!(replay.header("idempotent-replayed"), Some("true"));
        let mut other = body.clone();
        other["kfm_case_number"] = json!("12-999-26");
        submit(&app, &c.kfm, "/api/v1/enforcement/events", "same", other).problem(422);
        // 100 concurrent requests with one key: one notice.
        let body2 = event(
            "19121212-1212",
            "Tolvan Tolvansson",
            "kfm_application_received",
            "12-444-26",
        );
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..100)
                .map(|_| {
                    s.spawn(|| {
                        submit(
                            &app,
                            &c.kfm,
                            "/api/v1/enforcement/events",
                            "race",
                            body2.clone(),
                        )
                        .status
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().expect("thread")).collect()
        });
        // Duplicates in flight get 409 (see races.rs for the full check), the rest replay.
        assert!(
            statuses.iter().all(|s| *s == 202 || *s == 409),
            "{statuses:?}"
        );
        assert_eq!(
            app.notices_with_case_number("0180", "12-444-26"),
            1,
            "exactly one notice for 100 requests with one key"
        );
        // Every invalid field is named; the number is not echoed.
        let bad = submit(
            &app,
            &c.kfm,
            "/api/v1/enforcement/events",
            "bad",
            json!({"event_type": "kfm_party", "occurred_at": "2026-11-20T09:00:00Z", "kfm_case_number": "1",
            "municipality_code": "12", "tenant": {"personnummer": "19811228-9875", "name": ""},
            "address": {"street": "", "postal_code": "x", "city": "C", "municipality_code": "0180"}}),
        );
        let fields: Vec<&str> = bad.problem(422)["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        for f in [
            "tenant.name",
            "tenant.personnummer",
            "address.street",
            "address.postal_code",
            "municipality_code",
            "event_type",
        ] {
            assert!(fields.contains(&f), "{f} missing in {fields:?}");
        }
        assert!(!bad.body.contains("8112289875") && !bad.body.contains("811228-9875"));
        let unknown = submit(&app, &c.kfm, "/api/v1/enforcement/events", "unknown-m", {
            let mut e = body.clone();
            e["municipality_code"] = json!("2584");
            e
        });
        assert_eq!(
            unknown.problem(422)["errors"][0]["field"],
            "municipality_code"
        );
        assert_eq!(app.verify()["ok"], true);
    });
}

#[test]
fn a_batch_answers_item_by_item() {
    let app = TestApp::spawn(crate::support::Backend::Sqlite);
    let w = world(&app);
    let c = clients(&app, &w);
    let mut ok = event(HEAD_PNR, HEAD_NAME, "kfm_order_issued", "12-555-26");
    ok["idempotency_key"] = json!("b-1");
    let mut bad = event("19811228-9875", "X", "kfm_order_issued", "12-556-26");
    bad["idempotency_key"] = json!("b-2");
    let no_key = event(HEAD_PNR, HEAD_NAME, "kfm_order_issued", "12-557-26");
    let r = app
        .req("POST", "/api/v1/enforcement/events:batch")
        .token(&c.kfm)
        .json(json!({"events": [ok, bad, no_key]}))
        .send();
    assert_eq!(r.status, 200, "{}", r.body);
    let statuses: Vec<u64> = r.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["status"].as_u64())
        .collect();
    assert_eq!(statuses, [202, 422, 400]);
    let too_many = json!({"events": vec![json!({}); 501]});
    app.req("POST", "/api/v1/enforcement/events:batch")
        .token(&c.kfm)
        .json(too_many)
        .send()
        .problem(422);
}

#[test]
fn a_landlord_sees_only_its_own_organizations_receipts() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let other_org = app
            .post(
                "/api/v1/organizations",
                &w.admin,
                json!({"kind": "landlord", "name": "Annan Hyresvärd AB"}),
            )
            .str("id");
        app.user(&w.admin, "landlord.one", "landlord", &w.landlord_org, None);
        app.user(&w.admin, "landlord.two", "landlord", &other_org, None);
        let one = app.login("landlord.one", crate::support::PASSWORD).access;
        let two = app.login("landlord.two", crate::support::PASSWORD).access;
        let report = json!({"tenant": {"personnummer": HEAD_PNR, "name": HEAD_NAME}, "apartment_number": "1102",
            "address": {"street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm", "municipality_code": "0180"},
            "municipality_code": "0180", "periods": [{"month": "2026-10", "amount_due": 8500, "amount_paid": 0}], "total_arrears": 8500, "termination_served": true});
        let r = submit(
            &app,
            &one,
            "/api/v1/landlord/arrears-reports",
            "a-1",
            report.clone(),
        );
        assert_eq!(r.status, 202, "{}", r.body);
        let id = r.str("receipt_id");
        assert_eq!(
            app.get(&format!("/api/v1/landlord/receipts/{id}"), &one)
                .status,
            200
        );
        let foreign = app.get(&format!("/api/v1/landlord/receipts/{id}"), &two);
        let missing = app.get(
            &format!("/api/v1/landlord/receipts/{}", uuid::Uuid::now_v7()),
            &two,
        );
        let strip = |r: &Resp| r.body.replace(r.header("x-request-id").unwrap_or("-"), "");
        assert_eq!(
            (foreign.status, strip(&foreign)),
            (missing.status, strip(&missing))
        );
        foreign.problem(404);
        assert_eq!(
            app.get("/api/v1/landlord/receipts", &two).json["items"],
            json!([])
        );
        let mut wrong = report;
        wrong["total_arrears"] = json!(1);
        assert_eq!(
            submit(&app, &one, "/api/v1/landlord/arrears-reports", "a-2", wrong).problem(422)["errors"]
                [0]["field"],
            "total_arrears"
        );
        // Social services see the arrears on the case; the landlord sees none of it.
        let cases = app.get("/api/v1/cases", &w.supervisor_a.1);
        assert_eq!(cases.json["items"][0]["legal_stage"], "arrears");
        app.get("/api/v1/cases", &one).problem(403);
    });
}

#[test]
fn idempotency_keys_expire_after_seven_days() {
    use diesel::connection::SimpleConnection;
    let app = TestApp::spawn(crate::support::Backend::Sqlite);
    let mut c = app.connect();
    c.batch_execute(
        "INSERT INTO idempotency_keys (id, principal, idem_key, request_hash, response_status, response_body, created_at) VALUES \
         ('old', 'client:x', 'k', 'h', 202, '{}', '2000-01-01 00:00:00'), ('new', 'client:x', 'k2', 'h', 202, '{}', '2999-01-01 00:00:00')",
    )
    .expect("insert");
    assert_eq!(
        kvar::integrations::idempotency::purge_expired(&mut c).expect("purge"),
        1
    );
    assert_eq!(
        kvar::integrations::idempotency::purge_expired(&mut c).expect("purge"),
        0
    );
}

/// Found by schemathesis (tests/fuzz): the arrears report's rules match its schema, and every
/// error names a field the client sent.
#[test]
fn arrears_reports_refuse_exactly_what_their_schema_refuses() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let c = clients(&app, &w);
        let report = |periods: Value, total: Value| {
            json!({"tenant": {"personnummer": HEAD_PNR, "name": HEAD_NAME}, "apartment_number": "1102",
                "address": {"street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm", "municipality_code": "0180"},
                "municipality_code": "0180", "periods": periods, "total_arrears": total, "termination_served": true})
        };
        let send = |key: &str, body: Value| {
            submit(
                &app,
                &c.landlord,
                "/api/v1/landlord/arrears-reports",
                key,
                body,
            )
        };
        // Paid more than due: the total is out of range, reported once and as total_arrears
        // (it used to surface as `arrears_amount`, a field of the internal notice).
        let r = send(
            "r-1",
            report(
                json!([{"month": "2026-10", "amount_due": 0, "amount_paid": 500}]),
                json!(-500),
            ),
        );
        assert_eq!(
            r.problem(422)["errors"],
            json!([{"field": "total_arrears", "message": "must be 0–36000000 kronor"}])
        );
        let huge = i64::MAX - 1;
        let r = send(
            "r-2",
            report(
                json!([{"month": "2026-10", "amount_due": 0, "amount_paid": 0}]),
                json!(huge),
            ),
        );
        assert_eq!(r.problem(422)["errors"][0]["field"], "total_arrears");
        assert_eq!(
            r.json["errors"].as_array().map(Vec::len),
            Some(1),
            "{}",
            r.body
        );
        // YYYY-MM exactly, as the schema's pattern says.
        for (i, month) in ["2026-1", "12026-01", "2026-13", "+2026-01"]
            .iter()
            .enumerate()
        {
            let r = send(
                &format!("m-{i}"),
                report(
                    json!([{"month": month, "amount_due": 100, "amount_paid": 0}]),
                    json!(100),
                ),
            );
            assert_eq!(
                r.problem(422)["errors"][0]["field"],
                "periods[0].month",
                "{month}"
            );
        }
        // A float for an integer says what is wrong without echoing the value.
        let r = send(
            "f-1",
            report(
                json!([{"month": "2026-10", "amount_due": 100, "amount_paid": 0}]),
                json!(100.0),
            ),
        );
        assert_eq!(
            r.problem(422)["errors"][0]["message"],
            "invalid value, expected i64 written without a decimal point"
        );
        let ok = send(
            "ok-1",
            report(
                json!([{"month": "2026-10", "amount_due": 100, "amount_paid": 0}]),
                json!(100),
            ),
        );
        assert_eq!(ok.status, 202, "{}", ok.body);
    });
}

#[test]
fn a_landlords_payment_meets_the_period_only_with_an_amount_that_covers_it() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let c = clients(&app, &w);
        let kid = open_case(&app, &w, &w.worker_a1.1)["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let today = kvar::domain::sweden::today();
        let ago = |n: i64| (today - chrono::Duration::days(n)).to_string();
        let landlord = |kind: &str, extra: Value| {
            let mut body = json!({"kind": kind, "tenant": {"personnummer": HEAD_PNR, "name": HEAD_NAME},
                "address": {"street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm", "municipality_code": "0180"},
                "municipality_code": "0180"});
            for (k, v) in extra.as_object().expect("object") {
                body[k] = v.clone();
            }
            body
        };
        let mut key = 0;
        let mut send = |body: Value| {
            key += 1;
            let r = submit(
                &app,
                &c.landlord,
                "/api/v1/landlord/notices",
                &format!("pay-{key}"),
                body,
            );
            assert_eq!(r.status, 202, "{}", r.body);
        };
        send(landlord(
            "termination_served",
            json!({"sent_on": ago(6), "served_on": ago(5)}),
        ));
        send(landlord(
            "social_notice_received",
            json!({"sent_on": ago(4), "amount_to_reinstate": 12000, "apartment_size_m2": 54}),
        ));
        let end = || {
            let ds = app.get(&format!("/api/v1/cases/{kid}/deadlines"), &w.supervisor_a.1);
            assert_eq!(ds.status, 200, "{}", ds.body);
            ds.json["items"]
                .as_array()
                .expect("items")
                .iter()
                .find(|d| d["kind"] == "reinstatement_end" && d["status"] != "void")
                .cloned()
                .expect("a live reinstatement end")
        };
        assert_eq!(end()["status"], "open");
        // Reported without an amount: shown, unverified, meets nothing.
        send(landlord("payment_confirmed", json!({"sent_on": ago(2)})));
        let e = end();
        assert_eq!(e["status"], "open", "{e}");
        assert!(
            e["flags"]
                .as_array()
                .expect("flags")
                .iter()
                .any(|f| f == "payment_reported_unverified"),
            "{e}"
        );
        // A partial amount: open, with the sum paid.
        send(landlord(
            "payment_confirmed",
            json!({"sent_on": ago(1), "amount_paid": 5000}),
        ));
        let e = end();
        assert_eq!(
            (e["status"].as_str(), e["paid"].as_i64()),
            (Some("open"), Some(5000)),
            "{e}"
        );
        // The rest: met.
        send(landlord(
            "payment_confirmed",
            json!({"sent_on": ago(0), "amount_paid": 7000}),
        ));
        assert_eq!(end()["status"], "met");
        // A negative amount is refused, naming the field.
        let bad = submit(
            &app,
            &c.landlord,
            "/api/v1/landlord/notices",
            "pay-bad",
            landlord("payment_confirmed", json!({"amount_paid": -1})),
        );
        assert_eq!(
            bad.problem(422)["errors"][0]["field"],
            "amount_paid",
            "{}",
            bad.body
        );
    });
}
