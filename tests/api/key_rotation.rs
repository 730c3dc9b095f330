//! Key rotation (issue 14 item 5), on the real binary: `kvar keys rotate-field-key` and
//! `kvar keys rotate-blind-index` are killed in the middle (the debug-build crash hook
//! `KVAR_TEST_CRASH_AFTER_BATCHES` aborts the process after a committed batch), leave a mix
//! that still reads and still finds everyone, and finish when run again; then the old field
//! key is retired, nothing is left under the old versions, and the audit chain verifies.

use std::process::{Command, Output};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use diesel::prelude::*;
use serde_json::json;

use crate::casework::{open_case, world};
use crate::support::{TestApp, each_backend};

use kvar::crypto::Keys;
use kvar::crypto::field::{BlindIndex, FieldCipher, blind_version};
use kvar::crypto::subjects::Keyring;
use kvar::db::schema::{audit_events, data_keys, notes, persons};
use kvar::domain::personnummer::Personnummer;
use kvar::persons::repo::find_by_pnr;

const NEW_FIELD: [u8; 32] = [7; 32];
const NEW_BLIND: [u8; 32] = [8; 32];
const NOTE: &str = "Canary note under rotation";

fn b64(k: &[u8]) -> String {
    STANDARD.encode(k)
}

/// The binary on the test app's database, with the tests' keys unless `env` overrides them.
fn kvar(app: &TestApp, env: &[(&str, String)], args: &[&str]) -> Output {
    let k = Keys::for_tests();
    let mut c = Command::new(env!("CARGO_BIN_EXE_kvar"));
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &app.database_url)
        .env("KVAR_DATA_DIR", app.data_dir())
        .env("RUST_LOG", "warn")
        .env("KVAR_JWT_KEY", b64(&k.jwt))
        .env("KVAR_AUDIT_KEY", b64(&k.audit))
        .env("KVAR_FIELD_KEY", b64(&k.field))
        .env("KVAR_BLIND_INDEX_KEY", b64(&k.blind_index))
        .env("KVAR_CHECKPOINT_KEY", b64(&k.checkpoint));
    for (var, value) in env {
        c.env(var, value);
    }
    c.args(args).output().expect("run kvar")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The configuration after the new field key was deployed: version 2 current, 1 readable.
fn new_field_env() -> Vec<(&'static str, String)> {
    vec![
        ("KVAR_FIELD_KEY", b64(&NEW_FIELD)),
        ("KVAR_FIELD_KEY_VERSION", "2".into()),
        (
            "KVAR_FIELD_KEYS_OLD",
            format!("1:{}", b64(&Keys::for_tests().field)),
        ),
    ]
}

/// A valid twelve-digit personnummer born in 1980 with serial `n`.
fn pnr(n: u32) -> String {
    // YYMMDD and a three-digit serial; the Luhn check digit follows.
    let ten = format!("800{}{:02}{:03}", 1 + n % 9, 10 + n % 18, 100 + n);
    let sum: u32 = ten
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let d = c.to_digit(10).expect("digit") * if i % 2 == 0 { 2 } else { 1 };
            d / 10 + d % 10
        })
        .sum();
    format!("19{ten}{}", (10 - sum % 10) % 10)
}

fn count_master(conn: &mut kvar::db::AnyConnection, v: i32) -> i64 {
    data_keys::table
        .filter(data_keys::wrapped.is_not_null())
        .filter(data_keys::master_version.eq(v))
        .count()
        .get_result(conn)
        .expect("count")
}

fn events(conn: &mut kvar::db::AnyConnection, action: &str) -> i64 {
    audit_events::table
        .filter(audit_events::action.eq(action))
        .count()
        .get_result(conn)
        .expect("count")
}

/// Every person's and note's field opens with `ring`.
fn all_fields_open(conn: &mut kvar::db::AnyConnection, ring: &Keyring, skip: &[String]) -> usize {
    let ps: Vec<(String, Vec<u8>, Vec<u8>)> = persons::table
        .select((persons::id, persons::pnr_enc, persons::name_enc))
        .load(conn)
        .expect("persons");
    let mut n = 0;
    for (id, p, name) in ps {
        if skip.contains(&id) {
            continue;
        }
        ring.open(conn, "persons", "pnr", &id, &p)
            .expect("pnr opens");
        ring.open(conn, "persons", "name", &id, &name)
            .expect("name opens");
        n += 2;
    }
    let ns: Vec<(String, Vec<u8>)> = notes::table
        .select((notes::id, notes::body_enc))
        .load(conn)
        .expect("notes");
    for (id, body) in ns {
        assert_eq!(
            ring.open(conn, "notes", "body", &id, &body).expect("note"),
            NOTE
        );
        n += 1;
    }
    n
}

/// How many of `numbers` `blind` finds in the municipality.
fn found(
    conn: &mut kvar::db::AnyConnection,
    blind: &BlindIndex,
    org: &str,
    numbers: &[String],
) -> usize {
    numbers
        .iter()
        .filter(|n| {
            let p = Personnummer::parse(n).expect("valid number");
            find_by_pnr(conn, blind, org, &p).expect("lookup").is_some()
        })
        .count()
}

#[test]
fn both_rotations_survive_a_crash_in_the_middle_and_finish_when_run_again() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let case = open_case(&app, &w, &w.worker_a1.1);
        let cid = case["id"].as_str().expect("id");
        let r = app.post(
            &format!("/api/v1/cases/{cid}/notes"),
            &w.worker_a1.1,
            json!({"body": NOTE}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        let mut numbers: Vec<String> = vec![
            crate::casework::HEAD_PNR.replace('-', ""),
            crate::casework::CHILD_PNR.to_owned(),
        ];
        for i in 0..7 {
            let n = pnr(i);
            let h = app.post(
                "/api/v1/households",
                &w.worker_a1.1,
                json!({
                    "address": {"street": "Gatan 1", "postal_code": "111 22", "city": "Stockholm", "municipality_code": "0180"},
                    "members": [{"personnummer": n, "name": format!("Person {i}"), "relation": "self"}]
                }),
            );
            assert_eq!(h.status, 201, "{n}: {}", h.body);
            numbers.push(n);
        }
        let mut conn = app.connect();
        let keys_before = count_master(&mut conn, 1);
        assert!(
            keys_before >= 10,
            "nine persons' and the case's keys: {keys_before}"
        );
        let old_ring = Keyring::new(&Keys::for_tests().field);
        let fields = all_fields_open(&mut conn, &old_ring, &[]);

        // rotate-field-key, killed after its first batch of 4.
        let mut crash = new_field_env();
        crash.push(("KVAR_TEST_CRASH_AFTER_BATCHES", "1".into()));
        let out = kvar(
            &app,
            &crash,
            &["keys", "rotate-field-key", "--batch-size", "4"],
        );
        assert!(!out.status.success(), "crashed: {}", text(&out));
        assert!(String::from_utf8_lossy(&out.stderr).contains("aborting after 1 batches"));
        assert_eq!(count_master(&mut conn, 2), 4, "one batch committed");
        assert_eq!(
            count_master(&mut conn, 1),
            keys_before - 4,
            "the rest untouched"
        );
        // The mix reads with the deployed configuration (new key current, old one readable).
        let both = Keyring::with_master(FieldCipher::versioned(
            2,
            &NEW_FIELD,
            &[(1, Keys::for_tests().field)],
        ));
        assert_eq!(all_fields_open(&mut conn, &both, &[]), fields);
        // The old version cannot be retired while keys are wrapped under it.
        let out = kvar(&app, &new_field_env(), &["keys", "retire-field-key", "1"]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("still wrapped under version 1"),
            "{}",
            text(&out)
        );
        // Run again: finishes.
        let out = kvar(
            &app,
            &new_field_env(),
            &["keys", "rotate-field-key", "--batch-size", "4"],
        );
        assert!(out.status.success(), "{}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("{} data keys wrapped again", keys_before - 4))
                && stdout.contains("4 already under it")
                && stdout.contains("0 left under older versions"),
            "{stdout}"
        );
        assert_eq!(
            count_master(&mut conn, 1),
            0,
            "nothing under the old version"
        );
        let wrapped: Vec<(String, Option<Vec<u8>>)> = data_keys::table
            .select((data_keys::subject_id, data_keys::wrapped))
            .load(&mut conn)
            .expect("keys");
        let new_only = FieldCipher::versioned(2, &NEW_FIELD, &[]);
        for (id, w) in &wrapped {
            let w = w.as_ref().expect("live");
            assert_eq!(w[0], 2, "the blob names version 2");
            new_only
                .decrypt("data_keys", "key", id, w)
                .expect("unwraps under the new key alone");
        }
        // Every field decrypts with the new key alone (the data keys did not change).
        let new_ring = Keyring::with_master(new_only.clone());
        assert_eq!(all_fields_open(&mut conn, &new_ring, &[]), fields);
        assert_eq!(
            events(&mut conn, "keys.field_rotated"),
            1,
            "the finishing run"
        );
        // Retire version 1: then it is refused as the current key, ignored as an old one.
        let out = kvar(&app, &new_field_env(), &["keys", "retire-field-key", "1"]);
        assert!(out.status.success(), "{}", text(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("version 1 retired"));
        let out = kvar(&app, &new_field_env(), &["keys", "retire-field-key", "2"]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "the current one: {}",
            text(&out)
        );
        let out = kvar(&app, &[], &["keys", "rotate-field-key"]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .contains("KVAR_FIELD_KEY_VERSION: version 1 was retired"),
            "{}",
            text(&out)
        );
        assert_eq!(events(&mut conn, "keys.field_retired"), 1);

        // A person erased meanwhile: their number cannot be recomputed.
        let erased: String = persons::table
            .order(persons::id)
            .select(persons::id)
            .first(&mut conn)
            .expect("a person");
        kvar::crypto::subjects::shred(&mut conn, std::slice::from_ref(&erased)).expect("shred");

        // rotate-blind-index, killed after its first batch of 3.
        let org = w.org.clone();
        let old_blind = BlindIndex::new(&Keys::for_tests().blind_index).expect("key");
        let live = numbers.len() - 1;
        assert!(found(&mut conn, &old_blind, &org, &numbers) == numbers.len());
        let mut blind_env = new_field_env();
        blind_env.retain(|(v, _)| *v != "KVAR_FIELD_KEYS_OLD");
        blind_env.push(("KVAR_BLIND_INDEX_KEY", b64(&NEW_BLIND)));
        blind_env.push(("KVAR_BLIND_INDEX_KEY_VERSION", "2".into()));
        blind_env.push((
            "KVAR_BLIND_INDEX_KEYS_OLD",
            format!("1:{}", b64(&Keys::for_tests().blind_index)),
        ));
        let mut crash = blind_env.clone();
        crash.push(("KVAR_TEST_CRASH_AFTER_BATCHES", "1".into()));
        let out = kvar(
            &app,
            &crash,
            &["keys", "rotate-blind-index", "--batch-size", "3"],
        );
        assert!(!out.status.success(), "crashed: {}", text(&out));
        let indexes: Vec<String> = persons::table
            .select(persons::pnr_index)
            .load(&mut conn)
            .expect("indexes");
        let v2 = indexes
            .iter()
            .filter(|i| blind_version(i) == Some(2))
            .count();
        assert!(
            (2..=3).contains(&v2),
            "one batch (the erased row is skipped): {v2}"
        );
        assert!(indexes.iter().any(|i| blind_version(i) == Some(1)));
        // Everyone is still found in the mix, with the deployed configuration.
        let both = BlindIndex::versioned(2, &NEW_BLIND, &[(1, Keys::for_tests().blind_index)])
            .expect("key");
        assert_eq!(found(&mut conn, &both, &org, &numbers), numbers.len());
        // Run again: finishes; the erased person's index is left as it was.
        let out = kvar(
            &app,
            &blind_env,
            &["keys", "rotate-blind-index", "--batch-size", "3"],
        );
        assert!(out.status.success(), "{}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("{} indexes recomputed", live - v2))
                && stdout.contains("1 of erased persons left as they are")
                && stdout.contains("1 left under older versions"),
            "{stdout}"
        );
        let new_blind = BlindIndex::versioned(2, &NEW_BLIND, &[]).expect("key");
        assert_eq!(
            found(&mut conn, &new_blind, &org, &numbers),
            live,
            "every live person is found under the new key alone"
        );
        assert_eq!(
            found(&mut conn, &old_blind, &org, &numbers),
            1,
            "only the erased person's stale index is left under the old key"
        );
        let left: Vec<(String, String)> = persons::table
            .select((persons::id, persons::pnr_index))
            .load(&mut conn)
            .expect("indexes");
        for (id, index) in &left {
            assert_eq!(
                blind_version(index),
                Some(if *id == erased { 1 } else { 2 }),
                "{id}"
            );
        }
        assert_eq!(events(&mut conn, "keys.blind_index_rotated"), 1);
        assert_eq!(
            all_fields_open(&mut conn, &new_ring, std::slice::from_ref(&erased)),
            fields - 2
        );

        // The chain verifies, on the binary and through the API.
        let out = kvar(&app, &blind_env, &["audit", "verify"]);
        assert!(out.status.success(), "{}", text(&out));
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok"));
        assert_eq!(app.verify()["ok"], true);
    });
}

#[test]
fn the_test_personnummer_are_valid() {
    for i in 0..7 {
        assert!(Personnummer::parse(&pnr(i)).is_ok(), "{}", pnr(i));
    }
}
