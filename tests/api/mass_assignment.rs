//! Mass assignment (security table row 2): every write operation in the OpenAPI document gets a
//! valid body plus, one at a time, each server-owned property it does not declare (`id`,
//! `status`, `organization_id`, `created_at`, `version`, …), at the top level and in nested
//! objects. Each probe must be refused 400/422 (problem+json) and leave every table unchanged;
//! the valid body itself must then pass validation (so the refusal was the property's doing).

use diesel::RunQueryDsl;
use serde_json::{Value, json};

use crate::casework::{HEAD_NAME, HEAD_PNR, open_case, world};
use crate::integrations::{clients, event};
use crate::support::{Backend, PASSWORD, TestApp, each_backend};

const SERVER_OWNED: &[&str] = &[
    "id",
    "status",
    "organization_id",
    "unit_id",
    "role",
    "created_at",
    "updated_at",
    "created_by",
    "version",
    "case_id",
    "is_admin",
];

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Row counts of every table but the read log (reads are not changes).
fn snapshot(app: &TestApp) -> Vec<(String, i64)> {
    let mut c = app.connect();
    let sql = match app.backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT tablename::text AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        }
    };
    let tables = diesel::sql_query(sql).load::<Name>(&mut c).expect("tables");
    tables
        .into_iter()
        .filter(|t| t.name != "access_log")
        .map(|t| {
            let n = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {}", t.name))
                .get_result::<Count>(&mut c)
                .expect("count")
                .n;
            (t.name, n)
        })
        .collect()
}

/// The properties an operation's request body declares.
fn declared(api: &Value, path: &str, method: &str) -> Option<Vec<String>> {
    let schema =
        &api["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"];
    let name = schema["$ref"].as_str()?.rsplit('/').next()?;
    Some(
        api["components"]["schemas"][name]["properties"]
            .as_object()?
            .keys()
            .cloned()
            .collect(),
    )
}

#[test]
fn server_owned_properties_are_refused_on_every_write_and_change_nothing() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let c = clients(&app, &w);
        let sup = w.supervisor_a.1.clone();
        let case = open_case(&app, &w, &sup);
        let cid = case["id"].as_str().expect("id").to_owned();
        let hid = case["household_id"].as_str().expect("hid").to_owned();
        let tid = case["tenancy_id"].as_str().expect("tid").to_owned();
        let mid =
            app.get(&format!("/api/v1/households/{hid}"), &sup).json["members"][0]["member_id"]
                .as_str()
                .expect("member id")
                .to_owned();
        app.user(&w.admin, "mass.landlord", "landlord", &w.landlord_org, None);
        let landlord = app.login("mass.landlord", PASSWORD).access;
        let refresh = app.login("admin", crate::support::ADMIN_PASSWORD).refresh;
        let client = app.post(
            "/api/v1/integration-clients",
            &w.admin,
            json!({"organization_id": w.landlord_org, "name": "x", "scopes": ["landlord:submit"]}),
        );
        let user = w.worker_a1.0.clone();
        let rc = app
            .post(
                &format!("/api/v1/cases/{cid}/rent-commitments"),
                &sup,
                json!({"amount": 1000, "months_covered": 1, "reason": "r"}),
            )
            .str("id");
        let today = kvar::domain::sweden::today();
        let review = app.post(
            "/api/v1/access-reviews",
            &sup,
            json!({"period_start": today, "period_end": today}),
        );
        assert_eq!(review.status, 201, "{}", review.body);
        let review = review.str("id");
        let entry = app
            .get(&format!("/api/v1/access-reviews/{review}"), &sup)
            .json["items"][0]["id"]
            .as_str()
            .expect("an entry")
            .to_owned();
        let pid =
            app.get(&format!("/api/v1/households/{hid}"), &sup).json["members"][0]["person_id"]
                .as_str()
                .expect("person")
                .to_owned();
        let consent = app
            .post(
                &format!("/api/v1/persons/{pid}/consents"),
                &sup,
                json!({"scope": "early_warning", "method": "oral", "given_on": today}),
            )
            .str("id");
        let address = json!({"street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm", "municipality_code": "0180"});
        let tenant = json!({"personnummer": HEAD_PNR, "name": HEAD_NAME});
        // operation id → (path, token, valid body); a write without an entry fails the test.
        let base = |op: &str| -> Option<(String, String, Value)> {
            let s = |x: &str| x.to_owned();
            Some(match op {
                "login" => (
                    s("/api/v1/auth/login"),
                    s(""),
                    json!({"username": "admin", "password": "x"}),
                ),
                "logout" => (
                    s("/api/v1/auth/logout"),
                    s(""),
                    json!({"refresh_token": refresh}),
                ),
                "refresh_token" => (
                    s("/api/v1/auth/refresh"),
                    s(""),
                    json!({"refresh_token": "x"}),
                ),
                "issue_client_token" => (
                    s("/api/v1/auth/token"),
                    s(""),
                    json!({"grant_type": "client_credentials", "client_id": client.json["client_id"], "client_secret": client.json["client_secret"]}),
                ),
                "create_case" => (
                    s("/api/v1/cases"),
                    sup.clone(),
                    json!({"household_id": hid}),
                ),
                "update_case" => (
                    format!("/api/v1/cases/{cid}"),
                    sup.clone(),
                    json!({"risk_level": "high"}),
                ),
                "decide_closure" => (
                    format!("/api/v1/cases/{cid}/closure-approvals"),
                    sup.clone(),
                    json!({"closure_request_id": uuid::Uuid::now_v7().to_string(), "decision": "approve", "reason": "r"}),
                ),
                "create_intervention" => (
                    format!("/api/v1/cases/{cid}/interventions"),
                    sup.clone(),
                    json!({"kind": "home_visit"}),
                ),
                "create_note" => (
                    format!("/api/v1/cases/{cid}/notes"),
                    sup.clone(),
                    json!({"body": "n"}),
                ),
                "create_notice" => (
                    format!("/api/v1/cases/{cid}/notices"),
                    sup.clone(),
                    json!({"kind": "termination_served", "served_on": "2026-11-02", "received_on": "2026-11-03"}),
                ),
                "transition_case" => (
                    format!("/api/v1/cases/{cid}/transitions"),
                    sup.clone(),
                    json!({"to": "triage", "reason": "r"}),
                ),
                "submit_enforcement_event" => (
                    s("/api/v1/enforcement/events"),
                    c.kfm.clone(),
                    event(HEAD_PNR, HEAD_NAME, "kfm_application_received", "12-990-26"),
                ),
                "create_household" => (
                    s("/api/v1/households"),
                    sup.clone(),
                    json!({"address": address, "members": [{"personnummer": HEAD_PNR, "name": HEAD_NAME, "relation": "self"}]}),
                ),
                "create_integration_client" => (
                    s("/api/v1/integration-clients"),
                    w.admin.clone(),
                    json!({"organization_id": w.landlord_org, "name": "y", "scopes": ["landlord:submit"]}),
                ),
                "submit_arrears_report" => (
                    s("/api/v1/landlord/arrears-reports"),
                    landlord.clone(),
                    json!({"tenant": tenant, "apartment_number": "1", "address": address, "municipality_code": "0180", "periods": [{"month": "2026-10", "amount_due": 100, "amount_paid": 0}], "total_arrears": 100, "termination_served": true}),
                ),
                "submit_landlord_notice" => (
                    s("/api/v1/landlord/notices"),
                    landlord.clone(),
                    json!({"kind": "termination_served", "served_on": "2026-11-02", "tenant": tenant, "address": address, "municipality_code": "0180"}),
                ),
                "create_organization" => (
                    s("/api/v1/organizations"),
                    w.admin.clone(),
                    json!({"kind": "landlord", "name": "Z AB"}),
                ),
                "update_organization" => (
                    format!("/api/v1/organizations/{}", w.org),
                    w.admin.clone(),
                    json!({"county_code": "01"}),
                ),
                "create_unit" => (
                    format!("/api/v1/organizations/{}/units", w.org),
                    w.admin.clone(),
                    json!({"name": "U"}),
                ),
                "search_persons" => (
                    s("/api/v1/persons/search"),
                    sup.clone(),
                    json!({"personnummer": HEAD_PNR}),
                ),
                "create_tenancy" => (
                    s("/api/v1/tenancies"),
                    sup.clone(),
                    json!({"household_id": hid, "landlord_organization_id": w.landlord_org, "apartment_number": "2", "address": address, "monthly_rent": 8000, "contract_type": "first_hand"}),
                ),
                "create_user" => (
                    s("/api/v1/users"),
                    w.admin.clone(),
                    json!({"username": "mass.user", "password": PASSWORD, "display_name": "M", "role": "caseworker", "organization_id": w.org, "unit_id": w.unit_a}),
                ),
                "update_user" => (
                    format!("/api/v1/users/{user}"),
                    w.admin.clone(),
                    json!({"display_name": "N"}),
                ),
                "create_rent_commitment" => (
                    format!("/api/v1/cases/{cid}/rent-commitments"),
                    sup.clone(),
                    json!({"amount": 1000, "months_covered": 1, "reason": "r"}),
                ),
                // Unit A's only supervisor drafted it: unit B's stands in.
                "decide_rent_commitment" => (
                    format!("/api/v1/cases/{cid}/rent-commitments/{rc}/decision"),
                    w.supervisor_b.1.clone(),
                    json!({"decision": "approve", "reason": "r", "legal_basis": {"reason": "r"}}),
                ),
                "deliver_rent_commitment" => (
                    format!("/api/v1/cases/{cid}/rent-commitments/{rc}/delivery"),
                    sup.clone(),
                    json!({"delivered_on": today, "channel": "post"}),
                ),
                "create_household_member" => (
                    format!("/api/v1/households/{hid}/members"),
                    sup.clone(),
                    json!({"personnummer": "19121212-1212", "name": "T", "relation": "other"}),
                ),
                "update_household_member" => (
                    format!("/api/v1/households/{hid}/members/{mid}"),
                    sup.clone(),
                    json!({"relation": "other"}),
                ),
                "create_consent" => (
                    format!("/api/v1/persons/{pid}/consents"),
                    sup.clone(),
                    json!({"scope": "share_with_landlord", "method": "written", "given_on": today}),
                ),
                "withdraw_consent" => (
                    format!("/api/v1/persons/{pid}/consents/{consent}/withdraw"),
                    sup.clone(),
                    json!({"withdrawn_on": today}),
                ),
                "place_legal_hold" => (
                    format!("/api/v1/cases/{cid}/legal-hold"),
                    sup.clone(),
                    json!({"reason": "r", "review_on": today + chrono::Duration::days(30)}),
                ),
                "release_legal_hold" => (
                    format!("/api/v1/cases/{cid}/legal-hold/release"),
                    sup.clone(),
                    json!({}),
                ),
                "update_person" => (
                    format!("/api/v1/persons/{pid}"),
                    sup.clone(),
                    json!({"protected_identity": false}),
                ),
                "update_tenancy" => (
                    format!("/api/v1/tenancies/{tid}"),
                    sup.clone(),
                    json!({"monthly_rent": 9000}),
                ),
                "create_access_review" => (
                    s("/api/v1/access-reviews"),
                    sup.clone(),
                    json!({"period_start": today, "period_end": today}),
                ),
                // The auditor: the entries are the supervisor's own reads.
                "decide_access_review_entry" => (
                    format!("/api/v1/access-reviews/{review}/entries/{entry}/verdict"),
                    w.auditor.1.clone(),
                    json!({"verdict": "ok"}),
                ),
                "extract_person_access" => (
                    s("/api/v1/persons/access-extract"),
                    w.auditor.1.clone(),
                    json!({"personnummer": HEAD_PNR}),
                ),
                _ => return None,
            })
        };
        let api = serde_json::to_value(kvar::openapi::spec()).expect("json");
        let send = |method: &str, path: &str, token: &str, body: &Value, n: usize| {
            let mut r = app
                .req(method, path)
                .header("idempotency-key", &format!("mass-{n}"));
            if !token.is_empty() {
                r = r.token(token);
            }
            if method == "PATCH" || path.ends_with("/transitions") {
                let etag = app.get(path.trim_end_matches("/transitions"), token);
                r = r.header("if-match", etag.header("etag").unwrap_or("\"1\""));
            }
            r.json(body.clone()).send()
        };
        let mut probes = 0;
        let mut controls = Vec::new();
        let mut n = 0;
        for (method, template) in kvar::openapi::operations(&kvar::openapi::spec()) {
            let m = method.to_lowercase();
            if api["paths"][&template][&m]["operationId"] == "submit_enforcement_events" {
                continue; // the batch envelope: its events are probed item by item below
            }
            let Some(props) = declared(&api, &template, &m) else {
                continue; // no JSON object body (rotate, revoke)
            };
            let op = api["paths"][&template][&m]["operationId"]
                .as_str()
                .expect("id");
            let (path, token, body) =
                base(op).unwrap_or_else(|| panic!("{op}: add a valid body to the table"));
            let before = snapshot(&app);
            for prop in SERVER_OWNED
                .iter()
                .filter(|p| !props.iter().any(|d| d == *p))
            {
                let mut bad = body.clone();
                bad[*prop] = json!("00000000-0000-7000-8000-000000000000");
                // Nested objects too: a member, a tenant, an address.
                let nested: Vec<Value> = ["members", "tenant", "address"]
                    .iter()
                    .filter(|k| body.get(**k).is_some())
                    .map(|k| {
                        let mut v = body.clone();
                        match &mut v[*k] {
                            Value::Array(a) => a[0][*prop] = json!("x"),
                            o => o[*prop] = json!("x"),
                        }
                        v
                    })
                    .collect();
                for probe in std::iter::once(bad).chain(nested) {
                    n += 1;
                    let r = send(&method, &path, &token, &probe, n);
                    assert!(
                        r.status == 400 || r.status == 422,
                        "{op} with {prop}: {} {}",
                        r.status,
                        r.body
                    );
                    r.problem(r.status);
                    probes += 1;
                }
            }
            assert_eq!(
                snapshot(&app),
                before,
                "{op}: a refused write changed the database"
            );
            controls.push((op.to_owned(), method.clone(), path, token, body));
        }
        // The batch: each event with a server-owned property is refused item by item.
        let mut ev = event(HEAD_PNR, HEAD_NAME, "kfm_application_received", "12-991-26");
        ev["idempotency_key"] = json!("mass-batch");
        let before = snapshot(&app);
        let items: Vec<Value> = SERVER_OWNED
            .iter()
            .map(|p| {
                let mut e = ev.clone();
                e[*p] = json!("x");
                e
            })
            .collect();
        let r = app
            .req("POST", "/api/v1/enforcement/events:batch")
            .token(&c.kfm)
            .json(json!({"events": items}))
            .send();
        assert_eq!(r.status, 200, "{}", r.body);
        for item in r.json["items"].as_array().expect("items") {
            assert!(item["status"] == 400 || item["status"] == 422, "{item}");
            probes += 1;
        }
        assert_eq!(
            snapshot(&app),
            before,
            "batch: refused items changed the database"
        );
        // Controls: the valid bodies pass validation.
        for (op, method, path, token, body) in &controls {
            n += 1;
            let r = send(method, path, token, body, n);
            // decide_closure's body is well formed; only the request it names is not pending.
            let semantic =
                op == "decide_closure" && r.json["errors"][0]["field"] == "closure_request_id";
            assert!(
                r.status != 400 && (r.status != 422 || semantic) && r.status < 500,
                "{op}: the valid body is refused: {} {}",
                r.status,
                r.body
            );
        }
        eprintln!(
            "{b:?} row 2: {probes} probes over {} write operations + batch: all 400/422, DB unchanged",
            controls.len()
        );
    });
}
