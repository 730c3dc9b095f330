//! Per-subject data keys (issue 14 item 1): every personal field is sealed under its subject's
//! data key; destroying the key makes the field unreadable with any key kvar holds, in rows
//! that may never be updated too; fields written before data keys are sealed again at start,
//! with the append-only rules back in force afterwards.

use diesel::prelude::*;
use serde_json::json;

use crate::casework::{HEAD_NAME, HEAD_PNR, open_case, world};
use crate::support::{TestApp, each_backend};

use kvar::crypto::subjects::{ENVELOPE_VERSION, Keyring, SealError, subject_of};
use kvar::db::schema::{data_keys, notes, persons};

const NOTE: &str = "Canary note text: hyresskuld 23 000 kr";

fn keyring() -> Keyring {
    Keyring::new(&kvar::crypto::Keys::for_tests().field)
}

/// Every (row id, blob) of the persons' and notes' sealed columns.
fn blobs(conn: &mut kvar::db::AnyConnection) -> Vec<(&'static str, &'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    let ps: Vec<(String, Vec<u8>, Vec<u8>)> = persons::table
        .select((persons::id, persons::pnr_enc, persons::name_enc))
        .load(conn)
        .expect("persons");
    for (id, pnr, name) in ps {
        out.push(("persons", "pnr", id.clone(), pnr));
        out.push(("persons", "name", id, name));
    }
    let ns: Vec<(String, Vec<u8>)> = notes::table
        .select((notes::id, notes::body_enc))
        .load(conn)
        .expect("notes");
    for (id, body) in ns {
        out.push(("notes", "body", id, body));
    }
    out
}

#[test]
fn fields_name_their_subject_and_a_destroyed_key_leaves_them_unreadable() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let case = open_case(&app, &w, &w.worker_a1.1);
        let cid = case["id"].as_str().expect("id").to_owned();
        let r = app.post(
            &format!("/api/v1/cases/{cid}/notes"),
            &w.worker_a1.1,
            json!({"body": NOTE}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        let mut conn = app.connect();
        let ring = keyring();
        let all = blobs(&mut conn);
        assert!(all.len() >= 3, "a person's two fields and a note");
        let mut subjects = Vec::new();
        for (table, column, row, blob) in &all {
            assert_eq!(
                blob[0], ENVELOPE_VERSION,
                "{table}.{column} sealed under a data key"
            );
            let (subject, _) = subject_of(blob).expect("subject");
            if *table == "notes" {
                assert_eq!(subject, cid, "a note is the case's");
            } else {
                assert_eq!(subject, row, "a person's fields are the person's");
            }
            ring.open(&mut conn, table, column, row, blob)
                .expect("readable while the key lives");
            subjects.push(subject.to_owned());
        }
        let n = kvar::crypto::subjects::shred(&mut conn, &subjects).expect("shred");
        assert!(n >= 2, "the person's and the case's keys destroyed");
        let left: Vec<Option<Vec<u8>>> = data_keys::table
            .filter(data_keys::subject_id.eq_any(&subjects))
            .select(data_keys::wrapped)
            .load(&mut conn)
            .expect("keys");
        assert!(left.iter().all(Option::is_none), "no wrapped key remains");
        let fresh = keyring();
        let master = kvar::crypto::field::FieldCipher::new(&kvar::crypto::Keys::for_tests().field);
        for (table, column, row, blob) in &all {
            assert!(
                matches!(
                    fresh.open(&mut conn, table, column, row, blob),
                    Err(SealError::Erased)
                ),
                "{table}.{column} unreadable after the key is destroyed"
            );
            assert!(
                master.decrypt(table, column, row, blob).is_err(),
                "nor under the master key"
            );
            let (_, sealed) = subject_of(blob).expect("subject");
            assert!(
                master
                    .decrypt(table, column, row, &[&[1u8][..], sealed].concat())
                    .is_err(),
                "nor as a master-key blob"
            );
            let text = String::from_utf8_lossy(blob);
            assert!(!text.contains("Canary") && !text.contains(HEAD_NAME));
        }
        // The API says so instead of showing anything.
        let r = app.get(&format!("/api/v1/cases/{cid}/notes"), &w.worker_a1.1);
        assert_eq!(r.status, 409, "{}", r.body);
        assert!(!r.body.contains("Canary"));
        // Nothing new is written under a destroyed key.
        let r = app.post(
            &format!("/api/v1/cases/{cid}/notes"),
            &w.worker_a1.1,
            json!({"body": "after"}),
        );
        assert_eq!(r.status, 409, "{}", r.body);
    });
}

#[test]
fn fields_of_before_are_sealed_again_at_start_and_the_logs_stay_append_only() {
    use kvar::db::schema::{audit_events, pending_data_steps};
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let case = open_case(&app, &w, &w.worker_a1.1);
        let cid = case["id"].as_str().expect("id").to_owned();
        let hid = case["household_id"].as_str().expect("household").to_owned();
        let master = kvar::crypto::field::FieldCipher::new(&kvar::crypto::Keys::for_tests().field);
        let mut conn = app.connect();
        // Make the database look as before data keys: fields sealed by the master key alone.
        let (pid, pnr_now): (String, Vec<u8>) = persons::table
            .select((persons::id, persons::pnr_enc))
            .first(&mut conn)
            .expect("person");
        let pnr = keyring()
            .open(&mut conn, "persons", "pnr", &pid, &pnr_now)
            .expect("pnr");
        diesel::update(persons::table.find(&pid))
            .set((
                persons::pnr_enc.eq(master
                    .encrypt_str("persons", "pnr", &pid, &pnr)
                    .expect("enc")),
                persons::name_enc.eq(master
                    .encrypt_str("persons", "name", &pid, HEAD_NAME)
                    .expect("enc")),
            ))
            .execute(&mut conn)
            .expect("legacy person");
        diesel::delete(data_keys::table.find(&pid))
            .execute(&mut conn)
            .expect("no key of before");
        let note_id = "0190aaaa-0000-7000-8000-000000000001";
        diesel::insert_into(notes::table)
            .values((
                notes::id.eq(note_id),
                notes::case_id.eq(&cid),
                notes::author_id.eq(&w.worker_a1.0),
                notes::body_enc.eq(master
                    .encrypt_str("notes", "body", note_id, NOTE)
                    .expect("enc")),
                notes::created_at.eq(chrono::Utc::now().naive_utc()),
            ))
            .execute(&mut conn)
            .expect("legacy note");
        diesel::insert_into(pending_data_steps::table)
            .values((
                pending_data_steps::name.eq(kvar::crypto::reseal::STEP),
                pending_data_steps::created_at.eq(chrono::Utc::now().naive_utc()),
            ))
            .execute(&mut conn)
            .expect("pending");

        kvar::persons::split::migrate(&mut conn, &kvar::crypto::Keys::for_tests())
            .expect("migrate");

        for (table, column, row, blob) in blobs(&mut conn) {
            assert_eq!(
                blob[0], ENVELOPE_VERSION,
                "{table}.{column} of {row} sealed again"
            );
        }
        let steps: i64 = pending_data_steps::table
            .count()
            .get_result(&mut conn)
            .expect("steps");
        assert_eq!(steps, 0, "the step is done");
        let sealed: i64 = audit_events::table
            .filter(audit_events::action.eq("data_keys.sealed"))
            .count()
            .get_result(&mut conn)
            .expect("audit");
        assert_eq!(
            sealed, 1,
            "the step is audited once (a fresh database's step is empty)"
        );
        // The app reads what was sealed again.
        let r = app.get(&format!("/api/v1/cases/{cid}/notes"), &w.worker_a1.1);
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains(NOTE), "{}", r.body);
        let r = app.get(&format!("/api/v1/households/{hid}"), &w.worker_a1.1);
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains(HEAD_NAME));
        assert!(r.body.contains(&HEAD_PNR[..8]), "{}", r.body);
        // notes refuse updates again (the trigger tests in `audit.rs` run after this step too,
        // on every fresh database, for notes and notices).
        let res = diesel::update(notes::table.find(note_id))
            .set(notes::author_id.eq(&w.worker_a1.0))
            .execute(&mut conn);
        assert!(res.is_err(), "notes is append-only again");
        assert_eq!(app.verify()["ok"], true);
    });
}
