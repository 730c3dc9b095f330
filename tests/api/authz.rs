//! Generated from the OpenAPI document and the policy table: every operation × every role.
//! A role the table does not allow gets 403 (before its body is even read), anonymous callers
//! 401, allowed roles neither.

use kvar::auth::Role;
use kvar::auth::policy::{Operation, Scope, scope_for};
use serde_json::json;

use crate::support::{Backend, PASSWORD, TestApp};

#[test]
fn every_operation_for_every_role_follows_the_policy_table() {
    crate::support::each_backend(role_matrix);
}

fn role_matrix(backend: Backend) {
    let app = TestApp::spawn(backend);
    let admin = app.admin_token();
    let (org, unit) = app.municipality(&admin, "0136");
    let landlord_org = app
        .post(
            "/api/v1/organizations",
            &admin,
            json!({"kind": "landlord", "name": "Bostäder AB"}),
        )
        .str("id");
    let mut callers: Vec<(String, Option<Role>, bool, Option<String>)> = vec![
        ("anonymous".into(), None, false, None),
        (
            "platform admin".into(),
            Some(Role::Admin),
            true,
            Some(admin.clone()),
        ),
    ];
    for role in Role::ALL {
        let (o, u) = match role {
            Role::Landlord => (landlord_org.as_str(), None),
            Role::Supervisor | Role::Caseworker => (org.as_str(), Some(unit.as_str())),
            _ => (org.as_str(), None),
        };
        let name = format!("m.{}", role.as_str());
        app.user(&admin, &name, role.as_str(), o, u);
        callers.push((
            name.clone(),
            Some(role),
            false,
            Some(app.login(&name, PASSWORD).access),
        ));
    }
    // Integration clients: (name, scopes, token).
    let kfm_org = app
        .post(
            "/api/v1/organizations",
            &admin,
            json!({"kind": "enforcement_authority", "name": "KFM"}),
        )
        .str("id");
    let client_callers: Vec<(&str, Vec<&str>, String)> = [
        (
            "landlord client",
            landlord_org.as_str(),
            vec!["landlord:submit", "landlord:receipts"],
        ),
        (
            "kfm submit-only client",
            kfm_org.as_str(),
            vec!["enforcement:submit"],
        ),
    ]
    .into_iter()
    .map(|(name, org, scopes)| {
        let c = app.post(
            "/api/v1/integration-clients",
            &admin,
            json!({"organization_id": org, "name": name, "scopes": scopes}),
        );
        assert_eq!(c.status, 201, "{}", c.body);
        (name, scopes, crate::integrations::token(&app, &c.json))
    })
    .collect();
    let ops = kvar::openapi::operations(&kvar::openapi::spec());
    let api = serde_json::to_value(kvar::openapi::spec()).expect("json");
    let mut checked = 0;
    for (method, template) in &ops {
        let id = api["paths"][template][method.to_lowercase()]["operationId"]
            .as_str()
            .expect("operationId");
        let op = Operation::from_operation_id(id).expect("policy row");
        let path = template
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    "00000000-0000-7000-8000-000000000000"
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for (name, role, platform, token) in &callers {
            let mut req = app.req(method, &path);
            if let Some(t) = token {
                req = req.token(t);
            }
            if method != "GET" {
                req = req.json(json!({}));
            }
            let r = req.send();
            let expected_allowed = match (role, op.is_public()) {
                (_, true) => true,
                (None, false) => false,
                (Some(role), false) => match scope_for(*role, op) {
                    None => false,
                    Some(Scope::Platform) => *platform,
                    Some(_) => true,
                },
            };
            match (role, expected_allowed) {
                (None, false) => {
                    assert_eq!(r.status, 401, "{name} {method} {template}: {}", r.body)
                }
                (Some(_), false) => {
                    assert_eq!(r.status, 403, "{name} {method} {template}: {}", r.body)
                }
                (_, true) => assert!(
                    r.status != 401 && r.status != 403,
                    "{name} {method} {template} is allowed but got {}: {}",
                    r.status,
                    r.body
                ),
            }
            checked += 1;
        }
        // A client token: other APIs 401 (wrong audience), its API without the scope 403.
        for (name, scopes, token) in &client_callers {
            let mut req = app.req(method, &path).token(token);
            if method != "GET" {
                req = req.json(json!({}));
            }
            let r = req.send();
            match (op.is_public(), kvar::auth::policy::client_scope(op)) {
                (true, _) => {}
                (false, None) => {
                    assert_eq!(r.status, 401, "{name} {method} {template}: {}", r.body)
                }
                (false, Some(needed)) if !scopes.contains(&needed) => {
                    assert_eq!(r.status, 403, "{name} {method} {template}: {}", r.body)
                }
                (false, Some(_)) => assert!(
                    r.status != 401 && r.status != 403,
                    "{name} {method} {template} is allowed but got {}: {}",
                    r.status,
                    r.body
                ),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, ops.len() * (callers.len() + client_callers.len()));
}

/// Every operation with a path id × every principal (staff of two units of one municipality,
/// their auditor and administrator, landlord users of two organizations, a landlord client,
/// Kronofogden clients, anonymous) × {own, foreign (same municipality other unit, other
/// municipality, other organization), missing}: a foreign object answers exactly like a missing
/// one (status and body, but for the request id), and GETs of an own object succeed for every
/// principal the table allows.
#[test]
fn foreign_objects_are_indistinguishable_from_missing_ones_for_every_operation_and_principal() {
    crate::support::each_backend(foreign_matrix);
}

fn submit_as(app: &TestApp, token: &str, path: &str, key: &str, body: serde_json::Value) -> String {
    let r = app
        .req("POST", path)
        .token(token)
        .header("idempotency-key", key)
        .json(body)
        .send();
    assert_eq!(r.status, 202, "{}", r.body);
    r.str("receipt_id")
}

fn foreign_matrix(b: crate::support::Backend) {
    use crate::casework::{open_case, world};
    use crate::integrations::{event, token};
    let app = TestApp::spawn(b);
    let w = world(&app);
    let case_a = open_case(&app, &w, &w.supervisor_a.1);
    let case_b = open_case(&app, &w, &w.supervisor_b.1);
    let id_of = |v: &serde_json::Value, k: &str| v[k].as_str().expect("id").to_owned();
    // An approved rent commitment on each unit's case (each unit's only supervisor drafts, the
    // other unit's stands in): case id → commitment id, for `{commitment_id}`.
    let commitments: std::collections::HashMap<String, String> = [
        (&case_a, &w.supervisor_a.1, &w.supervisor_b.1),
        (&case_b, &w.supervisor_b.1, &w.supervisor_a.1),
    ]
    .into_iter()
    .map(|(case, drafter, decider)| {
        let case = id_of(case, "id");
        let rc = app.post(
            &format!("/api/v1/cases/{case}/rent-commitments"),
            drafter,
            json!({"amount": 5000, "months_covered": 1, "reason": "authz"}),
        );
        assert_eq!(rc.status, 201, "{}", rc.body);
        let rc = rc.str("id");
        let ok = app.post(
            &format!("/api/v1/cases/{case}/rent-commitments/{rc}/decision"),
            decider,
            json!({"decision": "approve", "reason": "authz", "legal_basis": {"reason": "authz"}}),
        );
        assert_eq!(ok.status, 200, "{}", ok.body);
        (case, rc)
    })
    .collect();
    // Another municipality with its own staff and case: foreign to everyone above.
    let (org2, unit2) = app.municipality(&w.admin, "0181");
    app.user(&w.admin, "super.c", "supervisor", &org2, Some(&unit2));
    let super_c = app.login("super.c", PASSWORD).access;
    let h2 = app.post(
        "/api/v1/households",
        &super_c,
        json!({"address": {"street": "Väg 2", "postal_code": "15130", "city": "Södertälje", "municipality_code": "0181"},
               "members": [{"personnummer": "19121212-1212", "name": "Tolvan Tolvansson", "relation": "self"}]}),
    );
    assert_eq!(h2.status, 201, "{}", h2.body);
    let case_c = app.post(
        "/api/v1/cases",
        &super_c,
        json!({"household_id": h2.str("id")}),
    );
    assert_eq!(case_c.status, 201, "{}", case_c.body);
    let t2 = app.post(
        "/api/v1/tenancies",
        &super_c,
        json!({"household_id": h2.str("id"), "landlord_organization_id": w.landlord_org, "apartment_number": "1",
               "address": {"street": "Väg 2", "postal_code": "15130", "city": "Södertälje", "municipality_code": "0181"},
               "monthly_rent": 7000, "contract_type": "first_hand"}),
    );
    assert_eq!(t2.status, 201, "{}", t2.body);
    // An access review per unit: unit A's, unit B's and the other municipality's.
    let today = kvar::domain::sweden::today();
    let review = |token: &str| {
        let r = app.post(
            "/api/v1/access-reviews",
            token,
            json!({"period_start": today, "period_end": today}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.str("id")
    };
    let (review_a, review_b, review_c) = (
        review(&w.supervisor_a.1),
        review(&w.supervisor_b.1),
        review(&super_c),
    );
    // Persons: the head of case A's household (the same person heads case B's: one
    // personnummer), and the other municipality's tenant.
    let head = app.get(
        &format!("/api/v1/households/{}", id_of(&case_a, "household_id")),
        &w.supervisor_a.1,
    );
    let head = head.json["members"][0]["person_id"]
        .as_str()
        .expect("person")
        .to_owned();
    // Protected identity on that head: both units' households are protected, so every own
    // household or tenancy read below also checks who sees the address (the unit's supervisor;
    // not a caseworker the case is not assigned to: both cases are unassigned).
    let person = format!("/api/v1/persons/{head}");
    let etag = app.get(&person, &w.supervisor_a.1);
    let protect = app
        .req("PATCH", &person)
        .token(&w.supervisor_a.1)
        .header("if-match", etag.header("etag").expect("etag"))
        .json(json!({"protected_identity": true}))
        .send();
    assert_eq!(protect.status, 200, "{}", protect.body);
    let person_c = h2.json["members"][0]["person_id"]
        .as_str()
        .expect("person")
        .to_owned();
    let municipal_admin = {
        app.user(&w.admin, "admin.m", "admin", &w.org, None);
        app.login("admin.m", PASSWORD).access
    };
    // Landlords of two organizations, a landlord client, two enforcement clients.
    let org_lb = app
        .post(
            "/api/v1/organizations",
            &w.admin,
            json!({"kind": "landlord", "name": "Annan AB"}),
        )
        .str("id");
    app.user(&w.admin, "landlord.a", "landlord", &w.landlord_org, None);
    app.user(&w.admin, "landlord.b", "landlord", &org_lb, None);
    let landlord_a = app.login("landlord.a", PASSWORD).access;
    let landlord_b = app.login("landlord.b", PASSWORD).access;
    let mk_client = |org: &str, scopes: serde_json::Value| {
        let c = app.post(
            "/api/v1/integration-clients",
            &w.admin,
            json!({"organization_id": org, "name": "c", "scopes": scopes}),
        );
        assert_eq!(c.status, 201, "{}", c.body);
        c
    };
    let landlord_client = mk_client(
        &w.landlord_org,
        json!(["landlord:submit", "landlord:receipts"]),
    );
    let landlord_client_token = token(&app, &landlord_client.json);
    let enforcement_org = |name: &str| {
        app.post(
            "/api/v1/organizations",
            &w.admin,
            json!({"kind": "enforcement_authority", "name": name}),
        )
        .str("id")
    };
    let kfm = token(
        &app,
        &mk_client(
            &enforcement_org("KFM"),
            json!(["enforcement:submit", "enforcement:receipts"]),
        )
        .json,
    );
    let kfm2 = token(
        &app,
        &mk_client(
            &enforcement_org("KFM 2"),
            json!(["enforcement:submit", "enforcement:receipts"]),
        )
        .json,
    );
    let notice = json!({"kind": "payment_confirmed", "tenant": {"personnummer": "19121212-1212", "name": "T"},
        "address": {"street": "S", "postal_code": "11122", "city": "C", "municipality_code": "0181"}, "municipality_code": "0181"});
    let receipt_la = submit_as(
        &app,
        &landlord_a,
        "/api/v1/landlord/notices",
        "authz-a",
        notice.clone(),
    );
    let receipt_lb = submit_as(
        &app,
        &landlord_b,
        "/api/v1/landlord/notices",
        "authz-b",
        notice,
    );
    // Kronofogden's tenant is not the other municipality's: its events (in 0180) would make
    // that person a member of a household here, reachable by `{person_id}`.
    let ev = |n: &str| event("19650704-1231", "T", "kfm_application_received", n);
    let receipt_kfm = submit_as(
        &app,
        &kfm,
        "/api/v1/enforcement/events",
        "authz-k",
        ev("12-901-26"),
    );
    let receipt_kfm2 = submit_as(
        &app,
        &kfm2,
        "/api/v1/enforcement/events",
        "authz-k2",
        ev("12-902-26"),
    );
    let client = mk_client(&w.landlord_org, json!(["landlord:submit"]));
    let foreign_user = app.user(&w.admin, "worker.c", "caseworker", &org2, Some(&unit2));
    // (name, role, is a client, scopes, token)
    type Caller<'a> = (&'a str, Option<Role>, Option<Vec<&'a str>>, String);
    let callers: Vec<Caller> = vec![
        ("anonymous", None, None, String::new()),
        ("municipal admin", Some(Role::Admin), None, municipal_admin),
        (
            "supervisor A",
            Some(Role::Supervisor),
            None,
            w.supervisor_a.1.clone(),
        ),
        (
            "caseworker A",
            Some(Role::Caseworker),
            None,
            w.worker_a2.1.clone(),
        ),
        (
            "supervisor B",
            Some(Role::Supervisor),
            None,
            w.supervisor_b.1.clone(),
        ),
        (
            "caseworker B",
            Some(Role::Caseworker),
            None,
            w.worker_b.1.clone(),
        ),
        ("auditor", Some(Role::Auditor), None, w.auditor.1.clone()),
        ("landlord A", Some(Role::Landlord), None, landlord_a.clone()),
        ("landlord B", Some(Role::Landlord), None, landlord_b.clone()),
        (
            "landlord client A",
            None,
            Some(vec!["landlord:submit", "landlord:receipts"]),
            landlord_client_token,
        ),
        (
            "kfm client",
            None,
            Some(vec!["enforcement:submit", "enforcement:receipts"]),
            kfm.clone(),
        ),
    ];
    let unit_b = |c: &str| c.ends_with(" B") && !c.starts_with("landlord");
    // (own id or "", foreign ids) for a path parameter and a caller.
    let ids = |template: &str, param: &str, caller: &str| -> (String, Vec<String>) {
        let (case_own, case_other_unit) = if unit_b(caller) {
            (&case_b, &case_a)
        } else {
            (&case_a, &case_b)
        };
        let same_org = caller != "auditor" && caller != "municipal admin";
        let with_other_unit = |mut v: Vec<String>, other: String| {
            if same_org {
                v.push(other);
            }
            v
        };
        match param {
            "{case_id}" => (
                id_of(case_own, "id"),
                with_other_unit(vec![case_c.str("id")], id_of(case_other_unit, "id")),
            ),
            "{household_id}" => (
                id_of(case_own, "household_id"),
                with_other_unit(vec![h2.str("id")], id_of(case_other_unit, "household_id")),
            ),
            "{tenancy_id}" => (
                id_of(case_own, "tenancy_id"),
                with_other_unit(vec![t2.str("id")], id_of(case_other_unit, "tenancy_id")),
            ),
            "{user_id}" => (w.worker_a1.0.clone(), vec![foreign_user.clone()]),
            "{person_id}" => (head.clone(), vec![person_c.clone()]),
            "{organization_id}" => (w.org.clone(), vec![org2.clone()]),
            "{unit_id}" => {
                let (own, other) = if unit_b(caller) {
                    (&w.unit_b, &w.unit_a)
                } else {
                    (&w.unit_a, &w.unit_b)
                };
                (own.clone(), with_other_unit(Vec::new(), other.clone()))
            }
            "{receipt_id}" if template.contains("/landlord/") => match caller {
                "landlord A" | "landlord client A" => {
                    (receipt_la.clone(), vec![receipt_lb.clone()])
                }
                "landlord B" => (receipt_lb.clone(), vec![receipt_la.clone()]),
                _ => (String::new(), vec![receipt_la.clone(), receipt_lb.clone()]),
            },
            "{receipt_id}" => match caller {
                "kfm client" => (receipt_kfm.clone(), vec![receipt_kfm2.clone()]),
                _ => (
                    String::new(),
                    vec![receipt_kfm.clone(), receipt_kfm2.clone()],
                ),
            },
            "{client_id}" => (String::new(), vec![client.str("id")]),
            "{review_id}" => {
                let (own, other_unit) = if unit_b(caller) {
                    (&review_b, &review_a)
                } else {
                    (&review_a, &review_b)
                };
                (
                    own.clone(),
                    with_other_unit(vec![review_c.clone()], other_unit.clone()),
                )
            }
            other => panic!("no fixture for path parameter {other}: add one"),
        }
    };
    let api = serde_json::to_value(kvar::openapi::spec()).expect("json");
    let (mut compared, mut owned, mut protected) = (0, 0, 0);
    for (method, template) in kvar::openapi::operations(&kvar::openapi::spec()) {
        let Some(param) = template.split('/').find(|s| s.starts_with('{')) else {
            continue;
        };
        let op_id = api["paths"][&template][method.to_lowercase()]["operationId"]
            .as_str()
            .expect("operationId");
        let op = Operation::from_operation_id(op_id).expect("policy row");
        for (name, role, scopes, token) in &callers {
            let (own, foreign) = ids(&template, param, name);
            let call = |id: &str| {
                // Further path parameters: a case's commitment follows the case (its own, or a
                // random id for a missing case); a member of the household, any id.
                let path = template
                    .replace(param, id)
                    .replace("{member_id}", "00000000-0000-7000-8000-000000000000")
                    .replace("{entry_id}", "00000000-0000-7000-8000-000000000000")
                    .replace("{consent_id}", "00000000-0000-7000-8000-000000000000")
                    .replace(
                        "{commitment_id}",
                        &commitments
                            .get(id)
                            .cloned()
                            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
                    );
                let mut r = app.req(&method, &path).header("if-match", "\"1\"");
                if !token.is_empty() {
                    r = r.token(token);
                }
                if method != "GET" {
                    r = r.json(json!({}));
                }
                r.send()
            };
            let strip = |r: &crate::support::Resp| {
                r.body.replace(r.header("x-request-id").unwrap_or("-"), "")
            };
            for f in &foreign {
                let (f, m) = (call(f), call(&uuid::Uuid::now_v7().to_string()));
                assert_eq!(
                    (f.status, strip(&f)),
                    (m.status, strip(&m)),
                    "{name} {method} {template}: foreign differs from missing"
                );
                // `connection: close` depends on whether actix had read the body yet (timing).
                let mut fh: Vec<_> = f
                    .headers
                    .keys()
                    .filter(|k| *k != "date" && *k != "connection")
                    .collect();
                let mut mh: Vec<_> = m
                    .headers
                    .keys()
                    .filter(|k| *k != "date" && *k != "connection")
                    .collect();
                fh.sort();
                mh.sort();
                assert_eq!(fh, mh, "{name} {method} {template}: header names differ");
                assert!(
                    f.status >= 400,
                    "{name} {method} {template}: foreign got {}",
                    f.status
                );
                compared += 1;
            }
            let allowed = match (role, scopes) {
                (Some(r), _) => scope_for(*r, op).is_some(),
                (None, Some(sc)) => {
                    kvar::auth::policy::client_scope(op).is_some_and(|s| sc.contains(&s))
                }
                (None, None) => false,
            };
            if allowed && method == "GET" && !own.is_empty() {
                let o = call(&own);
                assert_eq!(
                    o.status, 200,
                    "{name} {method} {template} own object: {}",
                    o.body
                );
                if template.starts_with("/api/v1/households/{household_id}")
                    || template.starts_with("/api/v1/tenancies/")
                {
                    let shows = o.body.contains("Storgatan");
                    assert_eq!(
                        shows,
                        *role == Some(Role::Supervisor),
                        "{name} {method} {template}: protected address: {}",
                        o.body
                    );
                    assert!(o.body.contains("\"address_protected\":true"), "{}", o.body);
                    protected += 1;
                }
                owned += 1;
            }
        }
    }
    assert!(
        compared >= 200 && owned >= 20 && protected >= 12,
        "compared {compared}, own {owned}, protected {protected}"
    );
    eprintln!(
        "{b:?} row 1: {compared} foreign/missing pairs identical, {owned} own-object GETs 200"
    );
}
