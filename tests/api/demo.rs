//! `kvar demo`: the seeded municipality is served by the API as its own data.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Output};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::support::{TestApp, each_backend};

/// Run `kvar demo` against the app's database, with the keys the app uses.
fn demo(app: &TestApp, dir: &Path, households: &str) -> Output {
    let keys = kvar::crypto::Keys::for_tests();
    Command::new(env!("CARGO_BIN_EXE_kvar"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &app.database_url)
        .env("KVAR_DATA_DIR", dir)
        .env("RUST_LOG", "warn")
        .env("KVAR_JWT_KEY", STANDARD.encode(&keys.jwt))
        .env("KVAR_AUDIT_KEY", STANDARD.encode(&keys.audit))
        .env("KVAR_FIELD_KEY", STANDARD.encode(&keys.field))
        .env("KVAR_BLIND_INDEX_KEY", STANDARD.encode(&keys.blind_index))
        .env("KVAR_CHECKPOINT_KEY", STANDARD.encode(&keys.checkpoint))
        .args(["demo", "--households", households])
        .output()
        .expect("run kvar demo")
}

/// Every case a caller can list, following `next_cursor`.
fn all_cases(app: &TestApp, token: &str) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/cases?limit=100&cursor={c}"),
            None => "/api/v1/cases?limit=100".to_owned(),
        };
        let r = app.get(&path, token);
        assert_eq!(r.status, 200, "{}", r.body);
        out.extend(r.json["items"].as_array().expect("items").iter().cloned());
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

#[test]
fn demo_seeds_every_status_through_the_services_and_runs_once() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let dir = tempfile::tempdir().expect("tempdir");
        let out = demo(&app, dir.path(), "40");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{backend:?}: {}{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        let password = stdout
            .lines()
            .find_map(|l| l.strip_prefix("password (shown once): "))
            .expect("password line");
        assert_eq!(stdout.matches(password).count(), 1, "shown once");
        assert!(stdout.contains("cases by status: new "), "{stdout}");

        let mut statuses = HashSet::new();
        let mut ids = HashSet::new();
        let mut child_case = None;
        for supervisor in ["demo.supervisor1", "demo.supervisor2"] {
            let token = app.login(supervisor, password).access;
            for case in all_cases(&app, &token) {
                statuses.insert(case["status"].as_str().expect("status").to_owned());
                assert!(ids.insert(case["id"].as_str().expect("id").to_owned()));
                if case["children_involved"] == true && child_case.is_none() {
                    child_case = Some((token.clone(), case["id"].as_str().expect("id").to_owned()));
                }
            }
        }
        assert_eq!(ids.len(), 40, "the two units hold every case once");
        for status in [
            "new",
            "triage",
            "outreach",
            "active",
            "follow_up",
            "closed",
            "reopened",
        ] {
            assert!(statuses.contains(status), "{backend:?}: no {status} case");
        }

        // The CLI encrypted with the app's keys: the case view decrypts and masks.
        let (token, id) = child_case.expect("a case with children");
        let r = app.get(&format!("/api/v1/cases/{id}"), &token);
        assert_eq!(r.status, 200, "{}", r.body);
        let members = r.json["members"].as_array().expect("members");
        assert!(!members.is_empty());
        assert!(members.iter().any(|m| m["is_minor"] == true), "{}", r.body);
        for m in members {
            let pnr = m["personnummer"].as_str().expect("personnummer");
            assert!(
                pnr.len() == 13
                    && pnr[..8].bytes().all(|b| b.is_ascii_digit())
                    && pnr.ends_with("-****"),
                "{pnr}"
            );
            assert!(!m["name"].as_str().expect("name").is_empty());
        }
        // Every demo role signs in.
        for user in [
            "demo.admin",
            "demo.caseworker1",
            "demo.auditor",
            "demo.analyst",
            "demo.landlord",
        ] {
            app.login(user, password);
        }
        assert_eq!(app.verify()["ok"], true, "{backend:?}");

        // A second run finds the demo municipality and changes nothing.
        let again = demo(&app, dir.path(), "40");
        assert_eq!(again.status.code(), Some(1), "{backend:?}");
        assert!(
            String::from_utf8_lossy(&again.stderr).contains("already exists"),
            "{}",
            String::from_utf8_lossy(&again.stderr)
        );
        assert!(!String::from_utf8_lossy(&again.stdout).contains("password"));
    });
}
