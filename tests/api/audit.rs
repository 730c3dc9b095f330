use base64::Engine;
use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::support::{Backend, TestApp, each_backend};

/// Some history: bootstrap (2 events), logins, an organization, a unit, a user, an update.
fn history(app: &TestApp) {
    let admin = app.admin_token();
    let (org, unit) = app.municipality(&admin, "2480");
    let id = app.user(&admin, "eva", "caseworker", &org, Some(&unit));
    let r = app
        .req("PATCH", &format!("/api/v1/users/{id}"))
        .token(&admin)
        .header("if-match", "\"1\"")
        .json(json!({"display_name": "Eva E"}))
        .send();
    assert_eq!(r.status, 200);
}

#[derive(diesel::QueryableByName)]
struct Action {
    #[diesel(sql_type = diesel::sql_types::Text)]
    action: String,
}

fn actions(app: &TestApp) -> Vec<String> {
    let mut c = app.connect();
    diesel::sql_query("SELECT action FROM audit_events ORDER BY id")
        .load::<Action>(&mut c)
        .expect("actions")
        .into_iter()
        .map(|a| a.action)
        .collect()
}

fn unlock(app: &TestApp, c: &mut kvar::db::AnyConnection) {
    let sql = match app.backend {
        Backend::Sqlite => {
            "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete; \
            DROP TRIGGER audit_chain_no_update; DROP TRIGGER audit_chain_no_delete; PRAGMA foreign_keys = OFF;"
        }
        Backend::Postgres => {
            "ALTER TABLE audit_events DISABLE TRIGGER USER; ALTER TABLE audit_chain DISABLE TRIGGER USER; \
            ALTER TABLE audit_chain DROP CONSTRAINT audit_chain_event_id_fkey; ALTER TABLE audit_pending DROP CONSTRAINT audit_pending_event_id_fkey;"
        }
    };
    c.batch_execute(sql).expect("unlock");
}

#[test]
fn every_change_writes_exactly_one_event_and_the_chain_verifies() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        history(&app);
        let failed = app
            .req("POST", "/api/v1/auth/login")
            .json(json!({"username": "eva", "password": "not her password"}))
            .send();
        assert_eq!(failed.status, 401);
        // A refused request writes nothing.
        let admin = app.admin_token();
        app.post(
            "/api/v1/organizations",
            &admin,
            json!({"kind": "municipality", "name": "", "municipality_code": "x"}),
        )
        .problem(422);
        assert_eq!(
            actions(&app),
            [
                "organization.create",
                "user.create",
                "auth.login",
                "organization.create",
                "unit.create",
                "user.create",
                "user.update",
                "auth.login_failed",
                "auth.login"
            ]
        );
        // verify() signs in once more: the tenth event.
        let v = app.verify();
        assert_eq!(v, json!({"ok": true, "events": 10, "unsealed_overdue": 0}));
    });
}

#[test]
fn the_audit_tables_refuse_update_and_delete() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        app.verify();
        let mut c = app.connect();
        for sql in [
            "UPDATE audit_events SET action = 'x'",
            "DELETE FROM audit_events",
            "UPDATE audit_chain SET hash = 'x'",
            "DELETE FROM audit_chain",
        ] {
            let err = c.batch_execute(sql).expect_err(sql);
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        }
    });
}

fn tamper_and_verify(b: Backend, sql: &str) -> serde_json::Value {
    let app = TestApp::spawn(b);
    history(&app);
    assert_eq!(app.verify()["ok"], true);
    let mut c = app.connect();
    unlock(&app, &mut c);
    c.batch_execute(sql).expect(sql);
    app.verify()
}

#[test]
fn verify_reports_the_first_broken_sequence_after_an_edit_a_delete_or_a_reorder() {
    each_backend(|b| {
        let edited = tamper_and_verify(
            b,
            "UPDATE audit_events SET action = 'user.delete' WHERE id = (SELECT event_id FROM audit_chain WHERE seq = 4)",
        );
        assert_eq!(
            (edited["ok"].clone(), edited["first_broken_seq"].clone()),
            (json!(false), json!(4)),
            "edit {edited}"
        );

        let deleted = tamper_and_verify(
            b,
            "DELETE FROM audit_events WHERE id = (SELECT event_id FROM audit_chain WHERE seq = 3)",
        );
        assert_eq!(deleted["first_broken_seq"], 3, "delete event {deleted}");

        let gap = tamper_and_verify(b, "DELETE FROM audit_chain WHERE seq = 5");
        assert_eq!(gap["first_broken_seq"], 5, "delete chain row {gap}");

        // Swap the content of events 2 and 6 (same shape: both user.create).
        let reordered = tamper_and_verify(
            b,
            "UPDATE audit_events SET entity_id = CASE id \
               WHEN (SELECT event_id FROM audit_chain WHERE seq = 2) THEN (SELECT entity_id FROM audit_events WHERE id = (SELECT event_id FROM audit_chain WHERE seq = 6)) \
               ELSE (SELECT entity_id FROM audit_events WHERE id = (SELECT event_id FROM audit_chain WHERE seq = 2)) END \
             WHERE id IN (SELECT event_id FROM audit_chain WHERE seq IN (2, 6))",
        );
        assert_eq!(reordered["first_broken_seq"], 2, "reorder {reordered}");
    });
}

fn cli_verify(app: &TestApp) -> (bool, String) {
    let key =
        base64::engine::general_purpose::STANDARD.encode(kvar::crypto::Keys::for_tests().audit);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kvar"))
        .args(["audit", "verify"])
        .env("DATABASE_URL", &app.database_url)
        .env("KVAR_DATA_DIR", dir.path())
        .env("KVAR_AUDIT_KEY", key)
        .env("RUST_LOG", "error")
        .output()
        .expect("run kvar");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
    )
}

#[test]
fn kvar_audit_verify_says_ok_and_detects_a_hand_edited_row() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        history(&app);
        let (ok, text) = cli_verify(&app);
        assert!(ok, "{text}");
        assert!(text.starts_with("ok n="), "{text}");
        let mut c = app.connect();
        unlock(&app, &mut c);
        c.batch_execute("UPDATE audit_events SET after_json = '{\"role\":\"admin\"}' WHERE id = (SELECT event_id FROM audit_chain WHERE seq = 6)").expect("edit");
        let (ok, text) = cli_verify(&app);
        assert!(!ok);
        assert!(text.starts_with("broken at seq=6"), "{text}");
    });
}
