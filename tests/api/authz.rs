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
