use serde_json::json;

use crate::support::{PASSWORD, TestApp, each_backend};

#[test]
fn admin_creates_municipality_unit_and_user_who_logs_in_and_is_disabled() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let admin = app.admin_token();
        let (org, unit) = app.municipality(&admin, "0380");
        let o = app.get(&format!("/api/v1/organizations/{org}"), &admin);
        assert_eq!(
            o.json["intake_unit_id"],
            unit.as_str(),
            "first unit is the intake unit"
        );
        let id = app.user(&admin, "anna.svensson", "caseworker", &org, Some(&unit));
        let t = app.login("anna.svensson", PASSWORD);
        let me = app.get("/api/v1/me", &t.access);
        assert_eq!(me.json["role"], "caseworker");
        assert_eq!(me.json["unit_id"], unit.as_str());
        // A caseworker may not administer.
        app.post(
            "/api/v1/organizations",
            &t.access,
            json!({"kind": "landlord", "name": "X"}),
        )
        .problem(403);
        app.get("/api/v1/users", &t.access).problem(403);

        let u = app.get(&format!("/api/v1/users/{id}"), &admin);
        assert_eq!(u.header("etag"), Some("\"1\""));
        let r = app
            .req("PATCH", &format!("/api/v1/users/{id}"))
            .token(&admin)
            .header("if-match", "\"1\"")
            .json(json!({"status": "disabled"}))
            .send();
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("etag"), Some("\"2\""));
        app.get("/api/v1/me", &t.access).problem(401);
        app.req("POST", "/api/v1/auth/login")
            .json(json!({"username": "anna.svensson", "password": PASSWORD}))
            .send()
            .problem(401);
        app.req("POST", "/api/v1/auth/refresh")
            .json(json!({"refresh_token": t.refresh}))
            .send()
            .problem(401);
    });
}

#[test]
fn patch_needs_if_match_and_refuses_a_stale_one() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let admin = app.admin_token();
        let (org, unit) = app.municipality(&admin, "1280");
        let id = app.user(&admin, "bob", "caseworker", &org, Some(&unit));
        let path = format!("/api/v1/users/{id}");
        app.req("PATCH", &path)
            .token(&admin)
            .json(json!({"display_name": "Bo B"}))
            .send()
            .problem(428);
        app.req("PATCH", &path)
            .token(&admin)
            .header("if-match", "\"1\"")
            .json(json!({"display_name": "Bo B"}))
            .send();
        let stale = app
            .req("PATCH", &path)
            .token(&admin)
            .header("if-match", "\"1\"")
            .json(json!({"display_name": "Bo C"}))
            .send();
        stale.problem(412);
        assert_eq!(
            app.get(&path, &admin).json["display_name"],
            "Bo B",
            "the stale update changed nothing"
        );
        app.req("PATCH", &path)
            .token(&admin)
            .header("if-match", "garbage")
            .json(json!({"display_name": "x"}))
            .send()
            .problem(400);
    });
}

#[test]
fn unknown_or_forbidden_fields_and_bad_values_are_refused_with_every_field_named() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let admin = app.admin_token();
        let (org, unit) = app.municipality(&admin, "0580");
        let id = app.user(&admin, "carl", "caseworker", &org, Some(&unit));
        let path = format!("/api/v1/users/{id}");
        for body in [
            json!({"version": 7}),
            json!({"id": "x"}),
            json!({"token_version": 9}),
            json!({"username": "root"}),
        ] {
            app.req("PATCH", &path)
                .token(&admin)
                .header("if-match", "\"1\"")
                .json(body)
                .send()
                .problem(422);
        }
        assert_eq!(app.get(&path, &admin).json["version"], 1, "nothing changed");
        let r = app.post(
            "/api/v1/users",
            &admin,
            json!({"username": "X!", "password": "short", "display_name": "",
            "role": "caseworker", "organization_id": org}),
        );
        let fields: Vec<&str> = r.problem(422)["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert_eq!(fields, ["username", "display_name", "password"]);
        assert!(!r.body.contains("short"), "the password is never echoed");
        let r = app.post(
            "/api/v1/users",
            &admin,
            json!({"username": "dora", "password": PASSWORD, "display_name": "D",
            "role": "caseworker", "organization_id": org}),
        );
        assert_eq!(r.problem(422)["errors"][0]["field"], "unit_id");
        let r = app.post(
            "/api/v1/organizations",
            &admin,
            json!({"kind": "municipality", "name": "K", "municipality_code": "12a"}),
        );
        assert_eq!(r.problem(422)["errors"][0]["field"], "municipality_code");
        let r = app.post(
            "/api/v1/organizations",
            &admin,
            json!({"kind": "castle", "name": "K"}),
        );
        r.problem(422);
        let dup = app.post(
            "/api/v1/organizations",
            &admin,
            json!({"kind": "municipality", "name": "Again", "municipality_code": "0580"}),
        );
        dup.problem(409);
    });
}

#[test]
fn an_organization_admin_sees_only_its_own_organization() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let admin = app.admin_token();
        let (org_a, unit_a) = app.municipality(&admin, "0114");
        let (org_b, unit_b) = app.municipality(&admin, "0115");
        app.user(&admin, "admin.a", "admin", &org_a, None);
        let b_worker = app.user(&admin, "worker.b", "caseworker", &org_b, Some(&unit_b));
        let a = app.login("admin.a", PASSWORD).access;
        // Out of scope and missing look the same.
        let foreign = app.get(&format!("/api/v1/users/{b_worker}"), &a);
        let missing = app.get(&format!("/api/v1/users/{}", uuid::Uuid::now_v7()), &a);
        assert_eq!(
            foreign.problem(404)["detail"],
            missing.problem(404)["detail"]
        );
        app.get(&format!("/api/v1/organizations/{org_b}"), &a)
            .problem(404);
        app.post(
            &format!("/api/v1/organizations/{org_b}/units"),
            &a,
            json!({"name": "X"}),
        )
        .problem(404);
        app.post(
            "/api/v1/organizations",
            &a,
            json!({"kind": "landlord", "name": "L"}),
        )
        .problem(403);
        // Creating a user in another organization is refused like a missing organization.
        let r = app.post(
            "/api/v1/users",
            &a,
            json!({"username": "sneaky", "password": PASSWORD, "display_name": "S",
            "role": "caseworker", "organization_id": org_b, "unit_id": unit_b}),
        );
        assert_eq!(r.problem(422)["errors"][0]["field"], "organization_id");
        // Within its own organization it works, and lists show only its own.
        app.user(&a, "worker.a", "caseworker", &org_a, Some(&unit_a));
        let list = app.get("/api/v1/users", &a);
        assert_eq!(list.status, 200);
        let orgs: Vec<&str> = list.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|u| u["organization_id"].as_str())
            .collect();
        assert!(
            !orgs.is_empty() && orgs.iter().all(|o| *o == org_a),
            "{orgs:?}"
        );
        let orgs = app.get("/api/v1/organizations", &a);
        assert_eq!(orgs.json["items"].as_array().map(Vec::len), Some(1));
    });
}

#[test]
fn lists_paginate_with_an_opaque_cursor() {
    let app = TestApp::spawn(crate::support::Backend::Sqlite);
    let admin = app.admin_token();
    let (org, unit) = app.municipality(&admin, "0117");
    for i in 0..4 {
        app.user(&admin, &format!("user{i}"), "caseworker", &org, Some(&unit));
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/users?limit=2".to_owned();
    loop {
        let r = app.get(&path, &admin);
        assert_eq!(r.status, 200, "{}", r.body);
        seen.extend(
            r.json["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|u| u["username"].as_str().unwrap_or("").to_owned()),
        );
        match r.json["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/users?limit=2&cursor={c}"),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, ["admin", "user0", "user1", "user2", "user3"]);
    app.get("/api/v1/users?limit=101", &admin).problem(422);
    app.get("/api/v1/users?cursor=bogus", &admin).problem(422);
    app.get("/api/v1/users?colour=red", &admin).problem(400);
}
