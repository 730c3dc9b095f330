use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use crate::support::{ADMIN_PASSWORD, Options, PASSWORD, TestApp, each_backend};

#[test]
fn login_me_refresh_rotation_and_reuse_revokes_the_family() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let t = app.login("admin", ADMIN_PASSWORD);
        let me = app.get("/api/v1/me", &t.access);
        assert_eq!(me.status, 200, "{}", me.body);
        assert_eq!(me.json["username"], "admin");
        assert_eq!(me.json["role"], "admin");
        assert_eq!(me.json["organization"]["kind"], "platform");

        let r1 = app
            .req("POST", "/api/v1/auth/refresh")
            .json(json!({"refresh_token": t.refresh}))
            .send();
        assert_eq!(r1.status, 200, "{}", r1.body);
        let second = r1.str("refresh_token");
        assert_ne!(second, t.refresh);
        // Reusing the first token revokes the family: the second one stops working too.
        app.req("POST", "/api/v1/auth/refresh")
            .json(json!({"refresh_token": t.refresh}))
            .send()
            .problem(401);
        app.req("POST", "/api/v1/auth/refresh")
            .json(json!({"refresh_token": second}))
            .send()
            .problem(401);
        // Row 8: the reuse is an audit event.
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        use diesel::RunQueryDsl;
        let reuse = diesel::sql_query(
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'auth.refresh_reuse'",
        )
        .get_result::<N>(&mut app.connect())
        .expect("count");
        assert_eq!(reuse.n, 1, "one auth.refresh_reuse event");
        assert_eq!(app.verify()["ok"], true);
    });
}

#[test]
fn wrong_password_and_unknown_user_look_the_same() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let a = app
            .req("POST", "/api/v1/auth/login")
            .json(json!({"username": "admin", "password": "wrong password!"}))
            .send();
        let u = app
            .req("POST", "/api/v1/auth/login")
            .json(json!({"username": "nobody", "password": "wrong password!"}))
            .send();
        assert_eq!(a.problem(401)["detail"], u.problem(401)["detail"]);
        assert_eq!(a.header("www-authenticate"), Some("Bearer"));
        assert!(!a.body.contains("wrong password"));
    });
}

#[test]
fn logout_revokes_the_refresh_token() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let t = app.login("admin", ADMIN_PASSWORD);
        let r = app
            .req("POST", "/api/v1/auth/logout")
            .json(json!({"refresh_token": t.refresh}))
            .send();
        assert_eq!(r.status, 204, "{}", r.body);
        app.req("POST", "/api/v1/auth/refresh")
            .json(json!({"refresh_token": t.refresh}))
            .send()
            .problem(401);
    });
}

#[test]
fn repeated_failures_back_off_with_retry_after_before_hashing() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        for _ in 0..5 {
            app.req("POST", "/api/v1/auth/login")
                .json(json!({"username": "admin", "password": "not the password"}))
                .send()
                .problem(401);
        }
        // Locked now, even with the right password; the wait is short and not permanent.
        let r = app
            .req("POST", "/api/v1/auth/login")
            .json(json!({"username": "admin", "password": ADMIN_PASSWORD}))
            .send();
        r.problem(429);
        let wait: u64 = r
            .header("retry-after")
            .expect("retry-after")
            .parse()
            .expect("seconds");
        assert!((1..=2).contains(&wait), "{wait}");
        std::thread::sleep(std::time::Duration::from_millis(wait * 1000 + 200));
        app.login("admin", ADMIN_PASSWORD);
    });
}

#[test]
fn auth_endpoints_are_rate_limited_per_ip() {
    let app = TestApp::spawn_with(
        crate::support::Backend::Sqlite,
        Options {
            auth_rate_per_minute: 3,
            ..Options::default()
        },
    );
    for _ in 0..3 {
        app.req("POST", "/api/v1/auth/refresh")
            .json(json!({"refresh_token": "x"}))
            .send()
            .problem(401);
    }
    let r = app
        .req("POST", "/api/v1/auth/refresh")
        .json(json!({"refresh_token": "x"}))
        .send();
    r.problem(429);
    assert!(r.header("retry-after").is_some());
    // Other routes are not limited.
    assert_eq!(app.req("GET", "/health/live").send().status, 200);
}

#[test]
fn disabling_changing_role_or_password_refuses_the_old_token_at_once() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let admin = app.admin_token();
        let (org, unit) = app.municipality(&admin, "0180");
        for change in [
            json!({"status": "disabled"}),
            json!({"role": "supervisor"}),
            json!({"password": "a brand new password"}),
        ] {
            let name = format!("worker{}", uuid::Uuid::now_v7().simple());
            let id = app.user(&admin, &name, "caseworker", &org, Some(&unit));
            let t = app.login(&name, PASSWORD);
            assert_eq!(app.get("/api/v1/me", &t.access).status, 200);
            let etag = app
                .get(&format!("/api/v1/users/{id}"), &admin)
                .header("etag")
                .expect("etag")
                .to_owned();
            let r = app
                .req("PATCH", &format!("/api/v1/users/{id}"))
                .token(&admin)
                .header("if-match", &etag)
                .json(change.clone())
                .send();
            assert_eq!(r.status, 200, "{change}: {}", r.body);
            app.get("/api/v1/me", &t.access).problem(401);
        }
        assert_eq!(app.verify()["ok"], true);
    });
}

fn forge(header: serde_json::Value, claims: serde_json::Value, key: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let h = URL_SAFE_NO_PAD.encode(header.to_string());
    let c = URL_SAFE_NO_PAD.encode(claims.to_string());
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("key");
    mac.update(format!("{h}.{c}").as_bytes());
    format!(
        "{h}.{c}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

#[test]
fn jwt_attacks_are_refused_over_http() {
    let app = TestApp::spawn(crate::support::Backend::Sqlite);
    let real = app.admin_token();
    let me = app.get("/api/v1/me", &real);
    let sub = me.str("id");
    let now = chrono::Utc::now().timestamp();
    let key = kvar::crypto::Keys::for_tests().jwt;
    let claims = |exp: serde_json::Value, aud: &str| json!({"iss": "kvar", "aud": aud, "sub": sub, "exp": exp, "nbf": now - 5, "iat": now, "jti": "x", "tv": 1});
    let good_header = json!({"alg": "HS256", "typ": "at+jwt"});
    // The forger is right: a correctly signed token passes.
    assert_eq!(
        app.get(
            "/api/v1/me",
            &forge(
                good_header.clone(),
                claims(json!(now + 60), "kvar-staff"),
                &key
            )
        )
        .status,
        200
    );
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "at+jwt"}).to_string()),
        URL_SAFE_NO_PAD.encode(claims(json!(now + 60), "kvar-staff").to_string())
    );
    let attacks = [
        ("alg none", none),
        (
            "wrong key",
            forge(
                good_header.clone(),
                claims(json!(now + 60), "kvar-staff"),
                &[9u8; 32],
            ),
        ),
        (
            "expired",
            forge(
                good_header.clone(),
                claims(json!(now - 60), "kvar-staff"),
                &key,
            ),
        ),
        (
            "wrong aud",
            forge(
                good_header.clone(),
                claims(json!(now + 60), "kvar-integration"),
                &key,
            ),
        ),
        (
            "exp as string",
            forge(
                good_header.clone(),
                claims(json!((now + 60).to_string()), "kvar-staff"),
                &key,
            ),
        ),
        (
            "typ JWT",
            forge(
                json!({"alg": "HS256", "typ": "JWT"}),
                claims(json!(now + 60), "kvar-staff"),
                &key,
            ),
        ),
        ("oversized", "a".repeat(10_000)),
    ];
    for (name, token) in attacks {
        let r = app.get("/api/v1/me", &token);
        assert_eq!(r.status, 401, "{name}: {}", r.body);
    }
    // A valid token in the query string is refused, even with no header.
    app.req("GET", &format!("/api/v1/me?access_token={real}"))
        .send()
        .problem(401);
    app.req("GET", &format!("/api/v1/me?access_token={real}"))
        .token(&real)
        .send()
        .problem(401);
    // No token at all.
    app.req("GET", "/api/v1/me").send().problem(401);
}

/// Row 9: a refresh token unused for 30 minutes is refused (idle), and no refresh extends a
/// session past its absolute limit (`KVAR_REFRESH_TOKEN_TTL_SECS`, 8 h by default).
#[test]
fn refresh_is_refused_after_the_idle_and_the_absolute_session_timeout() {
    use diesel::prelude::*;
    use kvar::db::schema::refresh_tokens as rt;
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let t = app.login("admin", ADMIN_PASSWORD);
        let (created, expires): (chrono::NaiveDateTime, chrono::NaiveDateTime) = rt::table
            .select((rt::created_at, rt::expires_at))
            .first(&mut app.connect())
            .expect("token row");
        assert_eq!(
            expires - created,
            chrono::Duration::minutes(30),
            "idle window"
        );

        // Idle: the token's window has passed.
        let past = chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1);
        diesel::update(rt::table)
            .set(rt::expires_at.eq(past))
            .execute(&mut app.connect())
            .expect("age the token");
        app.req("POST", "/api/v1/auth/refresh")
            .json(json!({"refresh_token": t.refresh}))
            .send()
            .problem(401);

        // Absolute: a session that began 8 h ago cannot be refreshed, though its token is fresh.
        let t2 = app.login("admin", ADMIN_PASSWORD);
        let began = chrono::Utc::now().naive_utc() - chrono::Duration::hours(8);
        diesel::update(rt::table.filter(rt::expires_at.gt(past)))
            .set(rt::created_at.eq(began))
            .execute(&mut app.connect())
            .expect("age the session");
        app.req("POST", "/api/v1/auth/refresh")
            .json(json!({"refresh_token": t2.refresh}))
            .send()
            .problem(401);

        // A session within both limits still refreshes.
        let t3 = app.login("admin", ADMIN_PASSWORD);
        let r = app
            .req("POST", "/api/v1/auth/refresh")
            .json(json!({"refresh_token": t3.refresh}))
            .send();
        assert_eq!(r.status, 200, "{}", r.body);
    });
}
