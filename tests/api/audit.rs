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
            DROP TRIGGER audit_chain_no_update; DROP TRIGGER audit_chain_no_delete; \
            DROP TRIGGER audit_checkpoints_no_update; DROP TRIGGER audit_checkpoints_no_delete; PRAGMA foreign_keys = OFF;"
        }
        Backend::Postgres => {
            "ALTER TABLE audit_events DISABLE TRIGGER USER; ALTER TABLE audit_chain DISABLE TRIGGER USER; \
            ALTER TABLE audit_checkpoints DISABLE TRIGGER USER; \
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
        assert_eq!(
            v,
            json!({"ok": true, "events": 10, "unsealed_overdue": 0, "checkpoints": 0,
                   "access_log": {"ok": true, "batches": 0, "rows": 0, "unsealed_overdue": 0}})
        );
    });
}

/// The append-only tables and a column of each.
const LOGS: [(&str, &str); 6] = [
    ("audit_events", "action"),
    ("audit_chain", "hash"),
    ("audit_checkpoints", "hash"),
    ("access_log", "operation"),
    ("notes", "case_id"),
    ("notices", "kind"),
];

/// Security table row 21, the triggers: even the owner cannot UPDATE, DELETE (or, on
/// PostgreSQL, TRUNCATE) the append-only tables.
#[test]
fn the_append_only_tables_refuse_update_delete_and_truncate() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        // A row in every log (a row trigger only fires on a row): a case read, a note, a notice.
        let w = crate::casework::world(&app);
        let t = &w.worker_a1.1;
        let case = crate::casework::open_case(&app, &w, t);
        let cid = case["id"].as_str().expect("id");
        let r = app.post(
            &format!("/api/v1/cases/{cid}/notes"),
            t,
            json!({"body": "samtal"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        let r = app.post(
            &format!("/api/v1/cases/{cid}/notices"),
            t,
            json!({"kind": "social_notice_received", "received_on": "2025-04-26"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(app.get(&format!("/api/v1/cases/{cid}"), t).status, 200);
        app.verify();
        checkpoint_now(&app);
        let mut c = app.connect();
        for (table, column) in LOGS {
            let mut statements = vec![
                format!("UPDATE {table} SET {column} = 'x'"),
                format!("DELETE FROM {table}"),
            ];
            if b == Backend::Postgres {
                statements.push(format!("TRUNCATE {table} CASCADE"));
            }
            for sql in statements {
                let err = c.batch_execute(&sql).expect_err(&sql);
                assert!(err.to_string().contains("append-only"), "{sql}: {err}");
            }
        }
    });
}

/// Security table row 21, the role: `kvar admin grant-app-role` gives the application role
/// SELECT and INSERT only on the logs, so UPDATE, DELETE and TRUNCATE fail for lack of the
/// privilege; the role can still do the application's work (sign-in, user creation, sealing,
/// verify). SQLite has no roles: the command says so.
#[test]
fn the_application_role_lacks_update_delete_and_truncate_on_the_logs_and_still_works() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let role = format!(
            "kvar_app_{}",
            &uuid::Uuid::now_v7().simple().to_string()[20..]
        );
        let (ok, text) = cli(&app, &["admin", "grant-app-role", "--role", &role]);
        if b == Backend::Sqlite {
            assert!(!ok && text.contains("SQLite has no roles"), "{text}");
            return;
        }
        let mut owner = app.connect();
        owner
            .batch_execute(&format!("CREATE ROLE {role} LOGIN"))
            .expect("create role");
        let (ok, text) = cli(&app, &["admin", "grant-app-role", "--role", &role]);
        assert!(ok, "{text}");
        let app_url = app
            .database_url
            .replacen("postgres@", &format!("{role}@"), 1);
        assert_ne!(app_url, app.database_url);
        // The application's work as that role: a user, a sign-in, sealing, a checkpoint, verify.
        let (ok, text) = cli_as(
            &app,
            &app_url,
            &[
                "admin",
                "create-user",
                "--username",
                "approle.user",
                "--display-name",
                "A",
                "--role",
                "auditor",
            ],
        );
        assert!(ok, "create-user as {role}: {text}");
        app.login("admin", crate::support::ADMIN_PASSWORD);
        let (ok, text) = cli_as(&app, &app_url, &["audit", "checkpoint"]);
        assert!(ok, "checkpoint as {role}: {text}");
        let (ok, text) = cli_as(&app, &app_url, &["audit", "verify"]);
        assert!(ok && text.starts_with("ok n="), "verify as {role}: {text}");
        let mut c = kvar::db::AnyConnection::Postgresql(
            <diesel::PgConnection as diesel::Connection>::establish(&app_url)
                .expect("connect as app role"),
        );
        for (table, column) in LOGS {
            for sql in [
                format!("UPDATE {table} SET {column} = 'x'"),
                format!("DELETE FROM {table}"),
                format!("TRUNCATE {table}"),
            ] {
                let err = c.batch_execute(&sql).expect_err(&sql);
                assert!(
                    err.to_string().contains("permission denied"),
                    "{sql}: {err}"
                );
            }
        }
        // Positive control: the role may change a business table.
        c.batch_execute(
            "UPDATE users SET display_name = display_name WHERE username = 'approle.user'",
        )
        .expect("update users as the app role");
        drop(c);
        drop(app);
        // Roles outlive databases: drop it once the database is gone.
        let admin_url = std::env::var("KVAR_TEST_POSTGRES_URL").expect("url");
        let mut a =
            <diesel::PgConnection as diesel::Connection>::establish(&admin_url).expect("admin");
        a.batch_execute(&format!("DROP ROLE IF EXISTS {role}"))
            .expect("drop role");
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
    cli(app, &["audit", "verify"])
}

/// Run `kvar <args>` on the app's database with the test keys and the app's data directory
/// (so the checkpoint sink is the app's).
fn cli(app: &TestApp, args: &[&str]) -> (bool, String) {
    cli_as(app, &app.database_url, args)
}

/// [`cli`] connecting with `url` (another role), without migrating.
fn cli_as(app: &TestApp, url: &str, args: &[&str]) -> (bool, String) {
    let b64 = |k: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(k);
    let keys = kvar::crypto::Keys::for_tests();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kvar"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("KVAR_MIGRATE_ON_START", "false")
        .env("KVAR_DATA_DIR", app.data_dir())
        .env("KVAR_AUDIT_KEY", b64(keys.audit))
        .env("KVAR_CHECKPOINT_KEY", b64(keys.checkpoint))
        .env("RUST_LOG", "error")
        .output()
        .expect("run kvar");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    )
}

/// `kvar audit checkpoint`: signs the head now; returns its seq.
fn checkpoint_now(app: &TestApp) -> i64 {
    let (ok, text) = cli(app, &["audit", "checkpoint"]);
    assert!(ok, "{text}");
    let cp: serde_json::Value = serde_json::from_str(&text).expect(&text);
    cp["seq"].as_i64().expect("seq")
}

/// Row 20, tail truncation: someone with database access cuts off the newest events and the
/// checkpoints in the database. The HMAC chain alone cannot see it; the external sink and an
/// auditor's exported copy can.
#[test]
fn a_cut_off_tail_is_caught_by_the_sink_and_by_an_exported_checkpoint_file() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        history(&app);
        assert_eq!(app.verify()["ok"], true);
        let signed = checkpoint_now(&app);
        let (ok, text) = cli(&app, &["audit", "checkpoint"]);
        assert!(ok && text.starts_with("no new checkpoint"), "{text}");
        // An auditor exports the checkpoints and keeps them elsewhere.
        let (ok, exported) = cli(&app, &["audit", "checkpoints"]);
        assert!(ok, "{exported}");
        let mut lines = exported.lines();
        let head: serde_json::Value =
            serde_json::from_str(lines.next().expect("key line")).expect("json");
        assert!(
            head["public_key"].as_str().is_some_and(|k| k.len() == 44),
            "{head}"
        );
        let kept = tempfile::NamedTempFile::new().expect("file");
        std::fs::write(kept.path(), lines.collect::<Vec<_>>().join("\n")).expect("write");
        // The API exports the same checkpoint.
        let page = app.get("/api/v1/audit/checkpoints", &app.admin_token());
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.json["items"][0]["seq"], signed);
        assert_eq!(page.json["public_key"], head["public_key"]);
        let v = app.verify();
        assert_eq!(
            (v["ok"].clone(), v["checkpoints"].clone()),
            (json!(true), json!(1)),
            "{v}"
        );

        let keep = signed - 3;
        let mut c = app.connect();
        unlock(&app, &mut c);
        c.batch_execute(&format!(
            "DELETE FROM audit_checkpoints; \
             DELETE FROM audit_events WHERE id IN (SELECT event_id FROM audit_chain WHERE seq > {keep}); \
             DELETE FROM audit_chain WHERE seq > {keep};"
        ))
        .expect("truncate");
        // The sink still holds the checkpoint: the cut shows at the first missing seq.
        let broken = format!("broken at seq={}", keep + 1);
        let (ok, text) = cli_verify(&app);
        assert!(!ok && text.starts_with(&broken), "{text}");
        assert!(text.contains("cut off"), "{text}");
        // Without the sink the cut is invisible to the chain alone...
        let sink = app.data_dir().join("audit-checkpoints.jsonl");
        let aside = app.data_dir().join("aside.jsonl");
        std::fs::rename(&sink, &aside).expect("move sink");
        let (ok, text) = cli_verify(&app);
        assert!(ok, "{text}");
        // ...but not to the auditor's copy.
        let file = kept.path().display().to_string();
        let (ok, text) = cli(&app, &["audit", "verify", "--checkpoints", &file]);
        assert!(!ok && text.starts_with(&broken), "{text}");
        // The API says so too (its own sign-in appends an event, so the cut shows at or after
        // the first missing seq, and at the latest at the signed one).
        std::fs::rename(&aside, &sink).expect("restore sink");
        let v = app.verify();
        let at = v["first_broken_seq"].as_i64().unwrap_or(0);
        assert!(v["ok"] == false && (keep + 1..=signed).contains(&at), "{v}");
    });
}

/// Row 20, rewrite: an event is changed and every later hash recomputed. Without the audit key
/// the walk breaks at the change; with it (an insider) the walk passes and the signed checkpoint
/// catches it. A checkpoint not signed by this installation's key is itself reported.
#[test]
fn a_rewrite_with_the_audit_key_is_caught_by_the_signed_checkpoint() {
    use diesel::prelude::*;
    use kvar::db::schema::{audit_chain, audit_events};
    each_backend(|b| {
        for (key, want) in [
            (vec![9u8; 32], "walk"),
            (kvar::crypto::Keys::for_tests().audit, "checkpoint"),
        ] {
            let app = TestApp::spawn(b);
            history(&app);
            let signed = checkpoint_now(&app);
            let mut c = app.connect();
            unlock(&app, &mut c);
            let target = 4_i64;
            c.batch_execute(&format!(
                "UPDATE audit_events SET after_json = '{{\"role\":\"admin\"}}' WHERE id = (SELECT event_id FROM audit_chain WHERE seq = {target})"
            ))
            .expect("edit");
            let rows: Vec<(i64, i64)> = audit_chain::table
                .select((audit_chain::seq, audit_chain::event_id))
                .filter(audit_chain::seq.ge(target))
                .order(audit_chain::seq)
                .load(&mut c)
                .expect("chain");
            let mut prev: String = audit_chain::table
                .select(audit_chain::hash)
                .filter(audit_chain::seq.eq(target - 1))
                .first(&mut c)
                .expect("prev");
            for (seq, event_id) in rows {
                let e: kvar::audit::sealer::EventRow = audit_events::table
                    .filter(audit_events::id.eq(event_id))
                    .first(&mut c)
                    .expect("event");
                let hash = kvar::audit::chain::hash(&key, seq, &prev, &e.fields()).expect("key");
                diesel::update(audit_chain::table.filter(audit_chain::seq.eq(seq)))
                    .set((
                        audit_chain::prev_hash.eq(&prev),
                        audit_chain::hash.eq(&hash),
                    ))
                    .execute(&mut c)
                    .expect("rehash");
                prev = hash;
            }
            let v = app.verify();
            let at = if want == "walk" { target } else { signed };
            assert_eq!(
                (v["ok"].clone(), v["first_broken_seq"].clone()),
                (json!(false), json!(at)),
                "{want}: {v}"
            );
        }
        // A checkpoint signed by another key, inserted straight into the database.
        let app = TestApp::spawn(b);
        history(&app);
        assert_eq!(app.verify()["ok"], true);
        let forger = kvar::audit::checkpoint::Signer32::from_seed(&[6u8; 32]).expect("forger");
        let mut c = app.connect();
        let head: (i64, String) = audit_chain::table
            .select((audit_chain::seq, audit_chain::hash))
            .order(audit_chain::seq.desc())
            .first(&mut c)
            .expect("head");
        let cp = forger.sign(head.0, &head.1, chrono::Utc::now().naive_utc());
        std::fs::write(
            app.data_dir().join("audit-checkpoints.jsonl"),
            serde_json::to_string(&cp).expect("json"),
        )
        .expect("write sink");
        let v = app.verify();
        assert_eq!(
            (v["ok"].clone(), v["first_broken_seq"].clone()),
            (json!(false), json!(head.0)),
            "{v}"
        );
        assert!(
            v["problem"]
                .as_str()
                .is_some_and(|p| p.contains("not signed")),
            "{v}"
        );
    });
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

/// Rotating the checkpoint key: the old key's checkpoints fail verify until its public key is
/// listed in KVAR_CHECKPOINT_RETIRED_KEYS.
#[test]
fn checkpoints_of_a_retired_key_verify_once_its_public_key_is_listed() {
    let app = TestApp::spawn(Backend::Sqlite);
    history(&app);
    let old = kvar::audit::checkpoint::Signer32::from_seed(&[6u8; 32]).expect("old key");
    let b64 = |k: [u8; 32]| base64::engine::general_purpose::STANDARD.encode(k);
    let run = |retired: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_kvar"));
        cmd.args(["audit", "checkpoint"])
            .env("DATABASE_URL", &app.database_url)
            .env("KVAR_DATA_DIR", app.data_dir())
            .env("KVAR_AUDIT_KEY", b64([2u8; 32]))
            .env("KVAR_CHECKPOINT_KEY", b64([6u8; 32]))
            .env("RUST_LOG", "error");
        if let Some(r) = retired {
            cmd.env("KVAR_CHECKPOINT_RETIRED_KEYS", r);
        }
        cmd.output().expect("kvar")
    };
    // Signed with the old key, then the installation moves to the test key.
    let out = run(None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (ok, text) = cli_verify(&app);
    assert!(!ok && text.contains("not signed"), "{text}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kvar"))
        .args(["audit", "verify"])
        .env("DATABASE_URL", &app.database_url)
        .env("KVAR_DATA_DIR", app.data_dir())
        .env("KVAR_AUDIT_KEY", b64([2u8; 32]))
        .env("KVAR_CHECKPOINT_KEY", b64([5u8; 32]))
        .env(
            "KVAR_CHECKPOINT_RETIRED_KEYS",
            format!(" {} ", old.public_key_base64()),
        )
        .env("RUST_LOG", "error")
        .output()
        .expect("kvar");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.starts_with("ok n="), "{text}");
    assert!(text.contains("checkpoints=1"), "{text}");
    // A malformed retired key is a configuration error, not a silent skip.
    let bad = run(Some("not-a-key"));
    assert_eq!(
        bad.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("KVAR_CHECKPOINT_RETIRED_KEYS"));
}
