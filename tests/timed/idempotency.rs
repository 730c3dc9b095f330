//! Security table row 24 (the replay after 24 hours): a submission replayed with the same
//! Idempotency-Key a day later gets the stored answer; after the keys' retention (7 days) the
//! same key is a new request.

use serde_json::{Value, json};

use crate::support::{Resp, TestApp, each_backend};
use crate::{advance, serial};

/// An enforcement-authority client and its token.
fn kfm_token(app: &TestApp) -> String {
    let admin = app.admin_token();
    app.municipality(&admin, "0180");
    let org = app.post(
        "/api/v1/organizations",
        &admin,
        json!({"kind": "enforcement_authority", "name": "Kronofogden", "org_number": "202100-5026"}),
    );
    assert_eq!(org.status, 201, "{}", org.body);
    let client = app.post(
        "/api/v1/integration-clients",
        &admin,
        json!({"organization_id": org.str("id"), "name": "KFM", "scopes": ["enforcement:submit", "enforcement:receipts"]}),
    );
    assert_eq!(client.status, 201, "{}", client.body);
    let c = client.json;
    let r = app
        .req("POST", "/api/v1/auth/token")
        .json(json!({"grant_type": "client_credentials", "client_id": c["client_id"], "client_secret": c["client_secret"]}))
        .send();
    assert_eq!(r.status, 200, "{}", r.body);
    r.str("access_token")
}

fn event() -> Value {
    json!({"event_type": "kfm_application_received", "occurred_at": "2026-11-20T09:00:00Z",
           "kfm_case_number": "12-777-26", "municipality_code": "0180",
           "tenant": {"personnummer": "19811228-9874", "name": "Kerstin Testsson"},
           "address": {"street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm", "municipality_code": "0180"},
           "eviction_at": "2026-12-10T08:00:00Z"})
}

fn submit(app: &TestApp, token: &str, key: &str) -> Resp {
    app.req("POST", "/api/v1/enforcement/events")
        .token(token)
        .header("idempotency-key", key)
        .json(event())
        .send()
}

#[test]
fn a_replay_after_24_hours_gets_the_stored_answer_and_after_the_retention_is_new() {
    let _one = serial();
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let token = kfm_token(&app);
        let first = submit(&app, &token, "day-one");
        assert_eq!(first.status, 202, "{}", first.body);
        assert_eq!(first.header("idempotent-replayed"), None);

        advance(chrono::Duration::hours(24) + chrono::Duration::minutes(1));
        let replay = submit(&app, &token, "day-one");
        assert_eq!(
            (replay.status, replay.body.as_str()),
            (first.status, first.body.as_str()),
            "the replay after 24 h is the stored answer"
        );
        assert_eq!(replay.header("idempotent-replayed"), Some("true"));

        // Past the retention (7 days from the first request) the key is free again.
        let retention = kvar::integrations::idempotency::RETENTION_DAYS;
        assert_eq!(retention, 7, "the README documents 7 days");
        advance(chrono::Duration::days(retention - 1));
        let fresh = submit(&app, &token, "day-one");
        assert_eq!(fresh.status, 202, "{}", fresh.body);
        assert_eq!(fresh.header("idempotent-replayed"), None);
        assert_ne!(fresh.body, first.body, "a new request gets a new answer");
        // …and it is stored in turn: its own replay returns it.
        let again = submit(&app, &token, "day-one");
        assert_eq!(again.body, fresh.body);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
    });
}
