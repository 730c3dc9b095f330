//! Canaries (security table rows 3 and 23): a full flow seeded with a password, tokens,
//! personnummer, names, an address and note text, then
//! - every body and header a landlord (user or client) or Kronofogden client receives is searched
//!   for personnummer-shaped strings and for the canaries (row 3: 0 hits);
//! - every error body anyone received, and every row of the audit, access-log and idempotency
//!   tables (raw SQL), is searched for the canaries (row 23: 0 hits).
//!
//! The server log is covered by `hygiene.rs` (the real binary at debug level).

use diesel::RunQueryDsl;
use serde_json::json;

use crate::casework::{CHILD_NAME, CHILD_PNR, HEAD_NAME, HEAD_PNR, open_case, world};
use crate::integrations::{clients, event, submit};
use crate::support::{PASSWORD, Resp, TestApp, each_backend};

/// Personnummer-shaped: 6 or 8 digits, an optional `-`/`+`, 4 digits, not inside a longer token
/// (so UUID groups and timestamps do not count), or a bare run of exactly 10 or 12 digits; with a
/// plausible month and day.
pub fn personnummer_shaped(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'+';
    let mut hits = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && is_word(b[i - 1])) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        let head = j - i;
        let mut end = j;
        let shaped = if (head == 6 || head == 8)
            && j < b.len()
            && (b[j] == b'-' || b[j] == b'+')
            && b.len() >= j + 5
            && b[j + 1..j + 5].iter().all(u8::is_ascii_digit)
        {
            end = j + 5;
            true
        } else {
            head == 10 || head == 12
        };
        if shaped && (end == b.len() || !is_word(b[end])) && dated(&text[i..end]) {
            hits.push(text[i..end].to_owned());
        }
        i = end.max(i + 1);
    }
    hits
}

/// Month 01–12 and day 01–31 (or 61–91, samordningsnummer): organisationsnummer have a
/// "month" of 20 or more and are not personal data.
fn dated(shaped: &str) -> bool {
    let digits: Vec<u32> = shaped.chars().filter_map(|c| c.to_digit(10)).collect();
    let d = if digits.len() == 12 {
        &digits[2..]
    } else {
        &digits[..]
    };
    let (month, day) = (d[2] * 10 + d[3], d[4] * 10 + d[5]);
    (1..=12).contains(&month) && ((1..=31).contains(&day) || (61..=91).contains(&day))
}

#[test]
fn the_personnummer_detector_finds_every_form_and_ignores_ids_and_times() {
    for form in [
        "19811228-9874",
        "811228-9874",
        "198112289874",
        "8112289874",
        "191212121212",
        "121212+1212",
    ] {
        assert_eq!(
            personnummer_shaped(&format!("{{\"x\":\"{form}\"}}")),
            [form]
        );
    }
    for quiet in [
        "01923456-7890-7abc-8def-0123456789ab",
        "2026-11-20T09:00:00Z",
        "12-444-26",
        "556000-0001",
        "202100-5026",
        "8500",
        "\"total\": 12345678901",
    ] {
        assert_eq!(personnummer_shaped(quiet), Vec::<String>::new(), "{quiet}");
    }
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Text)]
    t: String,
}

#[test]
fn landlord_and_integration_answers_error_bodies_and_audit_rows_hold_no_canary() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let c = clients(&app, &w);
        let note = "canary note: skulden 48213 kr, barnen mår dåligt";
        let street = "Storgatan";
        // Staff work on a case: a note, an intervention, a search, a password change.
        let case = open_case(&app, &w, &w.worker_a1.1);
        let cid = case["id"].as_str().expect("id").to_owned();
        let hid = case["household_id"].as_str().expect("hid").to_owned();
        assert_eq!(
            app.post(
                &format!("/api/v1/cases/{cid}/notes"),
                &w.worker_a1.1,
                json!({"body": note})
            )
            .status,
            201
        );
        app.post(
            "/api/v1/persons/search",
            &w.worker_a1.1,
            json!({"personnummer": HEAD_PNR}),
        );
        let pw_new = "canary-new-password-40417";
        let pw_wrong = "canary-wrong-password-77120";
        let uid = app.user(
            &w.admin,
            "canary.user",
            "caseworker",
            &w.org,
            Some(&w.unit_a),
        );
        let tokens = app.login("canary.user", PASSWORD);
        let etag = app
            .get(&format!("/api/v1/users/{uid}"), &w.admin)
            .header("etag")
            .expect("etag")
            .to_owned();
        let r = app
            .req("PATCH", &format!("/api/v1/users/{uid}"))
            .token(&w.admin)
            .header("if-match", &etag)
            .json(json!({"password": pw_new}))
            .send();
        assert_eq!(r.status, 200, "{}", r.body);
        let mut errors: Vec<Resp> = Vec::new();
        errors.push(
            app.req("POST", "/api/v1/auth/login")
                .json(json!({"username": "canary.user", "password": pw_wrong}))
                .send(),
        );
        errors.push(
            app.req("POST", "/api/v1/auth/refresh")
                .json(json!({"refresh_token": tokens.refresh}))
                .send(),
        );
        errors.push(app.get("/api/v1/me", &tokens.access));
        errors.push(app.post("/api/v1/households", &w.worker_a1.1, json!({
            "address": {"street": street, "postal_code": "x", "city": "C", "municipality_code": "0180"},
            "members": [{"personnummer": "19811228-9875", "name": HEAD_NAME, "relation": "self"}]})));
        errors.push(app.post(
            "/api/v1/persons/search",
            &w.worker_a1.1,
            json!({"personnummer": "19811228-9875"}),
        ));
        errors.push(app.get(&format!("/api/v1/cases/{cid}"), &w.worker_b.1));
        errors.push(app.get(&format!("/api/v1/households/{hid}"), &w.worker_b.1));
        // Landlords and clients: users of two organizations, a landlord client, Kronofogden.
        let other = app
            .post(
                "/api/v1/organizations",
                &w.admin,
                json!({"kind": "landlord", "name": "Annan AB"}),
            )
            .str("id");
        app.user(&w.admin, "ll.a", "landlord", &w.landlord_org, None);
        app.user(&w.admin, "ll.b", "landlord", &other, None);
        let la = app.login("ll.a", PASSWORD).access;
        let lb = app.login("ll.b", PASSWORD).access;
        let tenant = json!({"personnummer": HEAD_PNR, "name": HEAD_NAME});
        let address = json!({"street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm", "municipality_code": "0180"});
        let notice = json!({"kind": "termination_served", "served_on": "2026-11-02", "tenant": tenant,
            "address": address, "municipality_code": "0180"});
        let report = json!({"tenant": {"personnummer": CHILD_PNR, "name": CHILD_NAME}, "apartment_number": "1102",
            "address": address, "municipality_code": "0180",
            "periods": [{"month": "2026-10", "amount_due": 8500, "amount_paid": 0}], "total_arrears": 8500, "termination_served": true});
        let mut seen: Vec<(String, Resp)> = Vec::new();
        let n1 = submit(&app, &la, "/api/v1/landlord/notices", "c-1", notice.clone());
        assert_eq!(n1.status, 202, "{}", n1.body);
        let receipt = n1.str("receipt_id");
        seen.push(("landlord A notice".into(), n1));
        for (who, token, path, key, body) in [
            (
                "landlord A replay",
                &la,
                "/api/v1/landlord/notices",
                "c-1",
                notice.clone(),
            ),
            (
                "landlord A reuse",
                &la,
                "/api/v1/landlord/notices",
                "c-1",
                report.clone(),
            ),
            (
                "landlord A arrears",
                &la,
                "/api/v1/landlord/arrears-reports",
                "c-2",
                report.clone(),
            ),
            (
                "landlord A bad",
                &la,
                "/api/v1/landlord/notices",
                "c-3",
                json!({"kind": "termination_served", "served_on": "2026-11-02",
                       "tenant": {"personnummer": "19811228-9875", "name": ""}, "address": address, "municipality_code": "0180"}),
            ),
            (
                "landlord client",
                &c.landlord,
                "/api/v1/landlord/notices",
                "c-4",
                notice.clone(),
            ),
            (
                "kfm known",
                &c.kfm,
                "/api/v1/enforcement/events",
                "c-5",
                event(HEAD_PNR, HEAD_NAME, "kfm_eviction_scheduled", "12-800-26"),
            ),
            (
                "kfm unknown",
                &c.kfm,
                "/api/v1/enforcement/events",
                "c-6",
                event(
                    "19121212-1212",
                    "Tolvan Tolvansson",
                    "kfm_application_received",
                    "12-801-26",
                ),
            ),
            (
                "kfm bad",
                &c.kfm,
                "/api/v1/enforcement/events",
                "c-7",
                event("19811228-9875", HEAD_NAME, "kfm_party", "12-802-26"),
            ),
        ] {
            seen.push((who.into(), submit(&app, token, path, key, body)));
        }
        let mut batch_ok = event(HEAD_PNR, HEAD_NAME, "kfm_order_issued", "12-803-26");
        batch_ok["idempotency_key"] = json!("c-8");
        let mut batch_bad = event("19811228-9875", HEAD_NAME, "kfm_order_issued", "12-804-26");
        batch_bad["idempotency_key"] = json!("c-9");
        seen.push((
            "kfm batch".into(),
            app.req("POST", "/api/v1/enforcement/events:batch")
                .token(&c.kfm)
                .json(json!({"events": [batch_ok, batch_bad]}))
                .send(),
        ));
        for (who, token, path) in [
            ("landlord A me", &la, "/api/v1/me".to_owned()),
            (
                "landlord A receipts",
                &la,
                "/api/v1/landlord/receipts".into(),
            ),
            (
                "landlord A receipt",
                &la,
                format!("/api/v1/landlord/receipts/{receipt}"),
            ),
            (
                "landlord B receipt",
                &lb,
                format!("/api/v1/landlord/receipts/{receipt}"),
            ),
            (
                "landlord B receipts",
                &lb,
                "/api/v1/landlord/receipts".into(),
            ),
            ("landlord A case", &la, format!("/api/v1/cases/{cid}")),
            (
                "landlord A household",
                &la,
                format!("/api/v1/households/{hid}"),
            ),
            (
                "landlord client receipts",
                &c.landlord,
                "/api/v1/landlord/receipts".into(),
            ),
            (
                "kfm receipts",
                &c.kfm,
                "/api/v1/enforcement/receipts".into(),
            ),
            ("kfm me", &c.kfm, "/api/v1/me".into()),
            ("kfm case", &c.kfm, format!("/api/v1/cases/{cid}")),
        ] {
            seen.push((who.into(), app.get(&path, token)));
        }
        let first = app.get("/api/v1/enforcement/receipts", &c.kfm).json["items"][0]["receipt_id"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        seen.push((
            "kfm receipt".into(),
            app.get(&format!("/api/v1/enforcement/receipts/{first}"), &c.kfm),
        ));
        // Every answer the flow expects actually happened (so the search is over real bodies).
        let statuses: Vec<(String, u16)> =
            seen.iter().map(|(w, r)| (w.clone(), r.status)).collect();
        for (who, want) in [
            ("landlord A replay", 202),
            ("landlord A reuse", 422),
            ("landlord A arrears", 202),
            ("landlord A bad", 422),
            ("landlord client", 202),
            ("kfm known", 202),
            ("kfm unknown", 202),
            ("kfm bad", 422),
            ("kfm batch", 200),
            ("landlord A receipt", 200),
            ("landlord B receipt", 404),
            ("landlord A case", 403),
            ("kfm me", 401),
            ("kfm receipt", 200),
        ] {
            assert!(
                statuses.iter().any(|(w, s)| w == who && *s == want),
                "{who}: expected {want} in {statuses:?}"
            );
        }
        let jwt_body = |t: &str| t.split('.').nth(1).unwrap_or("").to_owned();
        let unit_ids = [w.unit_a.clone(), w.unit_b.clone()];
        // Whole numbers and names: 4-digit fragments would match hex ids by chance.
        let personal = [
            HEAD_PNR,
            "198112289874",
            "811228-9874",
            "8112289874",
            CHILD_PNR,
            "150102-2386",
            "19121212-1212",
            "191212121212",
            "19811228-9875",
            HEAD_NAME,
            CHILD_NAME,
            "Testsson",
            "Kerstin",
            "Tolvan",
            street,
            note,
            "skulden 48213",
        ];
        let secrets = [
            PASSWORD.to_owned(),
            pw_new.into(),
            pw_wrong.into(),
            tokens.refresh.clone(),
            jwt_body(&tokens.access),
            jwt_body(&la),
            jwt_body(&c.kfm),
            c.kfm_client["client_secret"]
                .as_str()
                .unwrap_or("-")
                .to_owned(),
        ];
        // Positive control: the staff household view does show the number, and it is found.
        let view = app.get(&format!("/api/v1/households/{hid}"), &w.worker_a1.1);
        assert!(personnummer_shaped(&view.body).contains(&HEAD_PNR.to_owned()));
        let mut hits: Vec<String> = Vec::new();
        // Row 3: landlord and integration answers, bodies and headers.
        let mut bodies = 0;
        for (who, r) in &seen {
            let text = format!("{} {:?}", r.body, r.headers);
            for h in personnummer_shaped(&text) {
                hits.push(format!("{who}: personnummer-shaped {h}"));
            }
            for canary in personal
                .iter()
                .map(|s| s.to_string())
                .chain(secrets.iter().cloned())
                .chain([cid.clone(), hid.clone()])
                .chain(unit_ids.iter().cloned())
            {
                if text.contains(&canary) {
                    hits.push(format!("{who}: {canary} in {}", r.body));
                }
            }
            bodies += 1;
        }
        // Row 23: error bodies (everyone's) and the audit tables.
        let mut error_bodies = 0;
        for r in errors
            .iter()
            .chain(seen.iter().map(|(_, r)| r))
            .filter(|r| r.status >= 400)
        {
            r.problem(r.status);
            for canary in personal
                .iter()
                .map(|s| s.to_string())
                .chain(secrets.iter().cloned())
            {
                if r.body.contains(&canary) {
                    hits.push(format!("error body: {canary} in {}", r.body));
                }
            }
            error_bodies += 1;
        }
        let sql = "SELECT action || ' ' || entity_type || ' ' || COALESCE(entity_id, '') || ' ' || COALESCE(actor_id, '') || ' ' || COALESCE(request_id, '') || ' ' || changed_fields || ' ' || COALESCE(before_json, '') || ' ' || COALESCE(after_json, '') AS t FROM audit_events \
            UNION ALL SELECT prev_hash || ' ' || hash AS t FROM audit_chain \
            UNION ALL SELECT operation || ' ' || subject_type || ' ' || subject_id || ' ' || COALESCE(case_id, '') || ' ' || COALESCE(request_id, '') AS t FROM access_log \
            UNION ALL SELECT principal || ' ' || idem_key || ' ' || request_hash || ' ' || response_body AS t FROM idempotency_keys";
        app.verify();
        let rows = diesel::sql_query(sql)
            .load::<Row>(&mut app.connect())
            .expect("rows");
        for row in &rows {
            for canary in personal
                .iter()
                .map(|s| s.to_string())
                .chain(secrets.iter().cloned())
            {
                if row.t.contains(&canary) {
                    hits.push(format!("audit row: {canary} in {}", row.t));
                }
            }
            for h in personnummer_shaped(&row.t) {
                hits.push(format!("audit row: personnummer-shaped {h}"));
            }
        }
        assert!(
            error_bodies >= 10 && rows.len() > 50,
            "{error_bodies} errors, {} rows",
            rows.len()
        );
        assert_eq!(hits, Vec::<String>::new(), "canaries found");
        eprintln!(
            "{b:?} rows 3/23: {bodies} landlord/integration answers, {error_bodies} error bodies, {} audit/access/idempotency rows: 0 hits",
            rows.len()
        );
    });
}
