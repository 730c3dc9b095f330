//! Generated from the OpenAPI document and the policy table: every operation × every role.
//! A role the table does not allow gets 403 (before its body is even read), anonymous callers
//! 401, allowed roles neither.

use kvar::auth::Role;
use kvar::auth::policy::{Operation, Scope, scope_for};
use serde_json::json;

use crate::support::{Backend, PASSWORD, TestApp};

#[test]
fn every_operation_for_every_role_follows_the_policy_table() {
    let app = TestApp::spawn(Backend::Sqlite);
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
    }
    assert_eq!(checked, ops.len() * callers.len());
}

/// Every operation with a path id × every role × {own, foreign, missing}: a foreign object
/// answers exactly like a missing one (status and body, but for the request id), and GETs of
/// an own object succeed for every role the table allows.
#[test]
fn foreign_objects_are_indistinguishable_from_missing_ones_for_every_operation_and_role() {
    use crate::casework::{open_case, world};
    let app = TestApp::spawn(Backend::Sqlite);
    let w = world(&app);
    let case_a = open_case(&app, &w, &w.supervisor_a.1);
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
    let municipal_admin = {
        app.user(&w.admin, "admin.m", "admin", &w.org, None);
        app.login("admin.m", PASSWORD).access
    };
    let own_user = w.worker_a1.0.clone();
    // A receipt and an integration client of the landlord organization: foreign to everyone here.
    app.user(&w.admin, "landlord.x", "landlord", &w.landlord_org, None);
    let landlord = app.login("landlord.x", PASSWORD).access;
    let receipt = app
        .req("POST", "/api/v1/landlord/notices")
        .token(&landlord)
        .header("idempotency-key", "authz-1")
        .json(json!({"kind": "payment_confirmed", "tenant": {"personnummer": "19121212-1212", "name": "T"},
            "address": {"street": "S", "postal_code": "11122", "city": "C", "municipality_code": "0181"}, "municipality_code": "0181"}))
        .send();
    assert_eq!(receipt.status, 202, "{}", receipt.body);
    let client = app.post(
        "/api/v1/integration-clients",
        &w.admin,
        json!({"organization_id": w.landlord_org, "name": "c", "scopes": ["landlord:submit"]}),
    );
    assert_eq!(client.status, 201, "{}", client.body);
    let foreign_user = app.user(&w.admin, "worker.c", "caseworker", &org2, Some(&unit2));
    let callers: Vec<(&str, Option<Role>, String)> = vec![
        ("anonymous", None, String::new()),
        ("municipal admin", Some(Role::Admin), municipal_admin),
        (
            "supervisor A",
            Some(Role::Supervisor),
            w.supervisor_a.1.clone(),
        ),
        (
            "caseworker A",
            Some(Role::Caseworker),
            w.worker_a2.1.clone(),
        ),
        ("caseworker B", Some(Role::Caseworker), w.worker_b.1.clone()),
        ("auditor", Some(Role::Auditor), w.auditor.1.clone()),
    ];
    let ids = |param: &str, caller: &str| -> (String, String) {
        let own_case = if caller == "caseworker B" {
            String::new()
        } else {
            case_a["id"].as_str().unwrap_or("").to_owned()
        };
        match param {
            "{case_id}" => (own_case, case_c.str("id")),
            "{household_id}" if caller == "caseworker B" => (String::new(), h2.str("id")),
            "{household_id}" => (
                case_a["household_id"].as_str().unwrap_or("").to_owned(),
                h2.str("id"),
            ),
            "{user_id}" => (own_user.clone(), foreign_user.clone()),
            "{organization_id}" => (w.org.clone(), org2.clone()),
            "{receipt_id}" => (String::new(), receipt.str("receipt_id")),
            "{client_id}" => (String::new(), client.str("id")),
            other => panic!("no fixture for path parameter {other}: add one"),
        }
    };
    let api = serde_json::to_value(kvar::openapi::spec()).expect("json");
    let mut compared = 0;
    for (method, template) in kvar::openapi::operations(&kvar::openapi::spec()) {
        let Some(param) = template.split('/').find(|s| s.starts_with('{')) else {
            continue;
        };
        let op_id = api["paths"][&template][method.to_lowercase()]["operationId"]
            .as_str()
            .expect("operationId");
        let op = Operation::from_operation_id(op_id).expect("policy row");
        for (name, role, token) in &callers {
            let (own, foreign) = ids(param, name);
            let call = |id: &str| {
                let mut r = app
                    .req(&method, &template.replace(param, id))
                    .header("if-match", "\"1\"");
                if role.is_some() {
                    r = r.token(token);
                }
                if method != "GET" {
                    r = r.json(json!({}));
                }
                r.send()
            };
            let (f, m) = (call(&foreign), call(&uuid::Uuid::now_v7().to_string()));
            let strip = |r: &crate::support::Resp| {
                r.body.replace(r.header("x-request-id").unwrap_or("-"), "")
            };
            assert_eq!(
                (f.status, strip(&f)),
                (m.status, strip(&m)),
                "{name} {method} {template}: foreign differs from missing"
            );
            compared += 1;
            let allowed = role.is_some_and(|r| scope_for(r, op).is_some());
            if allowed && method == "GET" && !own.is_empty() {
                let o = call(&own);
                assert_eq!(
                    o.status, 200,
                    "{name} {method} {template} own object: {}",
                    o.body
                );
            }
        }
    }
    assert!(compared >= 60, "compared {compared}");
}
