//! Access reviews (logguppföljning) and the access-log part of an art. 15 request: flagged
//! reads with their reasons, a reproducible sample, verdicts (never on one's own reads),
//! sign-off only when complete, audit rows, a CSV export without case content, and a data
//! subject's extract bounded by their household membership.

use diesel::prelude::*;
use kvar::audit::access::{self, Access};
use kvar::auth::{Principal, Role};
use kvar::db::schema::{access_log, audit_events};
use kvar::domain::access_review::sample;
use kvar::domain::states::OrganizationKind;
use kvar::domain::sweden;
use serde_json::{Value, json};

use crate::casework::{CHILD_PNR, HEAD_NAME, HEAD_PNR, World, open_case, world};
use crate::support::{PASSWORD, Resp, TestApp, each_backend};

const NEWCOMER_PNR: &str = "19900101-0017";
const NEWCOMER_NAME: &str = "Nils Nykomling";

fn actions(app: &TestApp, entity_id: &str) -> Vec<String> {
    audit_events::table
        .filter(audit_events::entity_id.eq(entity_id))
        .select(audit_events::action)
        .order(audit_events::id)
        .load(&mut app.connect())
        .expect("audit")
}

fn max_access_log_id(app: &TestApp) -> i64 {
    access_log::table
        .select(diesel::dsl::max(access_log::id))
        .first::<Option<i64>>(&mut app.connect())
        .expect("max")
        .unwrap_or(0)
}

fn patch(app: &TestApp, token: &str, path: &str, etag: &str, body: Value) -> Resp {
    app.req("PATCH", path)
        .token(token)
        .header("if-match", etag)
        .json(body)
        .send()
}

fn principal(user_id: &str, w: &World) -> Principal {
    Principal {
        user_id: user_id.into(),
        username: "worker.a1".into(),
        display_name: "worker.a1".into(),
        role: Role::Caseworker,
        organization_id: w.org.clone(),
        organization_kind: OrganizationKind::Municipality,
        unit_id: Some(w.unit_a.clone()),
        request_id: "protected-read".into(),
    }
}

fn today() -> String {
    sweden::today().to_string()
}

/// The entries of a review, with the reasons of each as strings.
fn entries(review: &Value) -> Vec<Value> {
    review["items"].as_array().expect("items").clone()
}

fn has_reason(e: &Value, reason: &str) -> bool {
    e["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .any(|r| r == reason)
}

#[test]
fn a_review_set_flags_risky_reads_samples_reproducibly_and_is_signed_off_when_complete() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let sup_a = &w.supervisor_a.1;
        let case = open_case(&app, &w, sup_a);
        let cid = case["id"].as_str().expect("id").to_owned();
        let head = case["members"][0]["person_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let case_path = format!("/api/v1/cases/{cid}");
        // Two more caseworkers of unit A read the (unassigned) case, then one is disabled and
        // the other moved to unit B: readers gone.
        let gone = app.user(
            &w.admin,
            "worker.gone",
            "caseworker",
            &w.org,
            Some(&w.unit_a),
        );
        let mover = app.user(
            &w.admin,
            "worker.mover",
            "caseworker",
            &w.org,
            Some(&w.unit_a),
        );
        for name in ["worker.gone", "worker.mover"] {
            let t = app.login(name, PASSWORD).access;
            assert_eq!(app.get(&case_path, &t).status, 200);
        }
        let disabled = patch(
            &app,
            &w.admin,
            &format!("/api/v1/users/{gone}"),
            "\"1\"",
            json!({"status": "disabled"}),
        );
        assert_eq!(disabled.status, 200, "{}", disabled.body);
        let moved = patch(
            &app,
            &w.admin,
            &format!("/api/v1/users/{mover}"),
            "\"1\"",
            json!({"unit_id": w.unit_b}),
        );
        assert_eq!(moved.status, 200, "{}", moved.body);
        // Worker a2 reads it while unassigned; then it is assigned to worker a1, who reads it:
        // a2's read is outside the assignment as it stands when the set is built.
        assert_eq!(app.get(&case_path, &w.worker_a2.1).status, 200);
        let etag = app
            .get(&case_path, sup_a)
            .header("etag")
            .expect("etag")
            .to_owned();
        let assigned = patch(
            &app,
            sup_a,
            &case_path,
            &etag,
            json!({"assigned_to": w.worker_a1.0}),
        );
        assert_eq!(assigned.status, 200, "{}", assigned.body);
        assert_eq!(app.get(&case_path, &w.worker_a1.1).status, 200);
        // A person search, and a burst of 31 single-subject views by the supervisor (the
        // threshold is 30 an hour); list pages do not count.
        let search = app.post(
            "/api/v1/persons/search",
            sup_a,
            json!({"personnummer": HEAD_PNR}),
        );
        assert_eq!(search.status, 200, "{}", search.body);
        for _ in 0..5 {
            assert_eq!(app.get("/api/v1/cases", sup_a).status, 200);
        }
        for _ in 0..31 {
            assert_eq!(app.get(&case_path, sup_a).status, 200);
        }
        // A read of a protected person's address, as a later change will log it.
        let mut conn = app.connect();
        access::granted_protected(
            &mut conn,
            &principal(&w.worker_a1.0, &w),
            "get_household",
            &[Access {
                subject_type: "person",
                subject_id: &head,
                case_id: Some(&cid),
            }],
        )
        .expect("protected read");
        let last_read = max_access_log_id(&app);

        // Unit B's supervisor cannot build unit A's set; unit A's supervisor builds their own.
        let period = json!({"unit_id": w.unit_a, "period_start": today(), "period_end": today()});
        app.post("/api/v1/access-reviews", &w.supervisor_b.1, period.clone())
            .problem(422);
        app.post(
            "/api/v1/access-reviews",
            sup_a,
            json!({"period_start": today(), "period_end": "2999-01-01"}),
        )
        .problem(422);
        // An auditor names the unit: only a supervisor's review defaults to their own.
        let no_unit = app.post(
            "/api/v1/access-reviews",
            &w.auditor.1,
            json!({"period_start": today(), "period_end": today()}),
        );
        assert_eq!(no_unit.status, 422, "{}", no_unit.body);
        assert_eq!(no_unit.json["errors"][0]["field"], "unit_id");
        assert!(
            no_unit.body.contains("only a supervisor"),
            "{}",
            no_unit.body
        );
        let created = app.post(
            "/api/v1/access-reviews",
            sup_a,
            json!({"period_start": today(), "period_end": today()}),
        );
        assert_eq!(created.status, 201, "{}", created.body);
        assert_eq!(created.json["unit_id"], w.unit_a.as_str());
        assert_eq!(created.json["trigger"], "on_demand");
        let rid = created.str("id");
        let path = format!("/api/v1/access-reviews/{rid}");
        let review = app.get(&path, sup_a);
        assert_eq!(review.status, 200, "{}", review.body);
        let items = entries(&review.json);
        let with = |reason: &str| -> Vec<&Value> {
            items.iter().filter(|e| has_reason(e, reason)).collect()
        };
        // Every flag, with its reader.
        // Every row of each caseworker's view before the assignment (the case and its two
        // members); none of the assignee's.
        let outside = with("outside_assignment");
        assert_eq!(outside.len(), 9, "{outside:?}");
        let mut outside_readers: Vec<&str> = outside
            .iter()
            .map(|e| e["actor_id"].as_str().expect("actor"))
            .collect();
        outside_readers.dedup();
        let mut expected = vec![gone.as_str(), mover.as_str(), w.worker_a2.0.as_str()];
        expected.sort_unstable();
        outside_readers.sort_unstable();
        assert_eq!(outside_readers, expected);
        let readers_gone: Vec<&str> = with("reader_gone")
            .iter()
            .map(|e| e["actor_id"].as_str().expect("actor"))
            .collect();
        assert!(readers_gone.contains(&gone.as_str()), "{readers_gone:?}");
        assert!(readers_gone.contains(&mover.as_str()), "{readers_gone:?}");
        assert!(readers_gone.iter().all(|r| *r == gone || *r == mover));
        let searches = with("person_search");
        assert!(!searches.is_empty());
        assert!(searches.iter().all(|e| e["operation"] == "search_persons"));
        // The 31 views and the supervisor's other single-subject requests in the same hour.
        let burst = with("volume");
        assert!(
            burst
                .iter()
                .all(|e| e["actor_id"] == w.supervisor_a.0.as_str()),
            "{burst:?}"
        );
        let views = burst
            .iter()
            .filter(|e| e["operation"] == "get_case")
            .count();
        assert!(
            views >= 31 && views <= burst.len(),
            "{views} of {}",
            burst.len()
        );
        assert!(
            burst.iter().all(|e| e["operation"] != "list_cases"),
            "list rows do not count"
        );
        let protected = with("protected");
        assert_eq!(protected.len(), 1);
        assert_eq!(protected[0]["actor_unit_id"], w.unit_a.as_str());
        assert!(
            !items
                .iter()
                .any(|e| e["operation"] == "list_cases" && !has_reason(e, "sample"))
        );
        // The sample: reproducible from the stored seed over the period's entries.
        let seed = review.json["seed"].as_i64().expect("seed");
        assert_eq!(review.json["sample_size"], 25);
        let from = sweden::start_of_day_utc(sweden::today());
        let ids: Vec<i64> = kvar::access_reviews::repo::reads_for_unit(
            &mut conn,
            &w.unit_a,
            from,
            from + chrono::TimeDelta::days(1),
        )
        .expect("reads")
        .into_iter()
        .map(|r| r.id)
        .filter(|id| *id <= last_read)
        .collect();
        assert_eq!(review.json["reads_in_period"], ids.len());
        let drawn = sample(&ids, 25, u64::from_le_bytes(seed.to_le_bytes()));
        let sampled: Vec<i64> = with("sample")
            .iter()
            .map(|e| e["access_log_id"].as_i64().expect("id"))
            .collect();
        assert_eq!(sampled, drawn);
        assert_eq!(sampled.len(), 25);

        // Unit B's supervisor does not see it; the auditor does.
        app.get(&path, &w.supervisor_b.1).problem(404);
        assert_eq!(app.get(&path, &w.auditor.1).status, 200);
        let listed = app.get("/api/v1/access-reviews", &w.supervisor_b.1);
        assert_eq!(listed.json["items"], json!([]), "{}", listed.body);
        let listed = app.get("/api/v1/access-reviews", &w.auditor.1);
        assert_eq!(listed.json["items"][0]["id"], rid.as_str());

        // Verdicts: never on one's own read; the auditor gives those.
        let verdict = |token: &str, e: &Value, v: &str| {
            app.post(
                &format!("{path}/entries/{}/verdict", e["id"].as_str().expect("id")),
                token,
                json!({"verdict": v, "comment": "Kollat med handläggaren"}),
            )
        };
        let own = burst[0];
        assert_eq!(own["own_read"], true);
        let refused = verdict(sup_a, own, "ok");
        refused.problem(403);
        assert!(
            refused.json["detail"]
                .as_str()
                .is_some_and(|d| d.contains("your own read")),
            "{}",
            refused.body
        );
        let etag = review.header("etag").expect("etag").to_owned();
        let early = app
            .req("POST", &format!("{path}/sign-off"))
            .token(sup_a)
            .header("if-match", &etag)
            .send();
        early.problem(409);
        assert_eq!(
            early.json["extra"]["undecided"],
            items.len(),
            "{}",
            early.body
        );
        let mut decided = 0;
        for e in &items {
            let token = if e["own_read"] == true {
                &w.auditor.1
            } else {
                sup_a
            };
            let v = if has_reason(e, "outside_assignment") {
                "question"
            } else {
                "ok"
            };
            let r = verdict(token, e, v);
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.json["verdict"], v);
            assert_eq!(r.json["comment"], "Kollat med handläggaren");
            decided += 1;
        }
        // The comment is stored encrypted.
        #[derive(diesel::QueryableByName)]
        struct Enc {
            #[diesel(sql_type = diesel::sql_types::Binary)]
            comment_enc: Vec<u8>,
        }
        let stored = diesel::sql_query(format!(
            "SELECT comment_enc FROM access_review_entries WHERE review_id = '{rid}'"
        ))
        .load::<Enc>(&mut conn)
        .expect("stored");
        assert!(
            stored
                .iter()
                .all(|s| !String::from_utf8_lossy(&s.comment_enc).contains("Kollat"))
        );
        // Stale version: 412; the current one signs off, once.
        let sign = |etag: &str| {
            app.req("POST", &format!("{path}/sign-off"))
                .token(sup_a)
                .header("if-match", etag)
                .send()
        };
        sign(&etag).problem(412);
        let current = app.get(&path, sup_a);
        assert_eq!(current.json["undecided"], 0);
        let signed = sign(current.header("etag").expect("etag"));
        assert_eq!(signed.status, 200, "{}", signed.body);
        assert_eq!(signed.json["status"], "signed_off");
        assert_eq!(signed.json["signed_off_by"], w.supervisor_a.0.as_str());
        sign(signed.header("etag").expect("etag")).problem(409);
        verdict(sup_a, &items[0], "incident").problem(409);
        // Audited: the set, each verdict, the sign-off.
        let review_actions = actions(&app, &rid);
        assert_eq!(
            review_actions,
            ["access_review.create", "access_review.sign_off"]
        );
        let verdict_rows: i64 = audit_events::table
            .filter(audit_events::action.eq("access_review.verdict"))
            .count()
            .get_result(&mut conn)
            .expect("verdicts");
        assert_eq!(verdict_rows, decided);

        // The export: CSV only, ids and verdicts, no names, numbers or addresses.
        let export = app
            .req("GET", &format!("{path}/export"))
            .token(&w.auditor.1)
            .header("accept", "text/csv")
            .send();
        assert_eq!(export.status, 200, "{}", export.body);
        assert!(
            export
                .header("content-type")
                .is_some_and(|c| c.starts_with("text/csv")),
            "{:?}",
            export.headers
        );
        let lines: Vec<&str> = export.body.lines().collect();
        assert!(lines[0].starts_with("review_id,unit_id,period_start"));
        assert_eq!(lines.len(), items.len() + 1);
        assert!(export.body.contains("outside_assignment"));
        assert!(export.body.contains(",question,"));
        for canary in [
            HEAD_PNR,
            "198112289874",
            "8112289874",
            CHILD_PNR,
            HEAD_NAME,
            "Testsson",
            "Storgatan",
            "Kollat",
        ] {
            assert!(!export.body.contains(canary), "{canary} in the export");
        }
        app.req("GET", &format!("{path}/export"))
            .token(&w.auditor.1)
            .header("accept", "application/json")
            .send()
            .problem(406);
        assert_eq!(
            actions(&app, &rid).last().map(String::as_str),
            Some("access_review.export")
        );

        // The monthly run is idempotent: one monthly set per unit and month.
        let month = kvar::domain::access_review::previous_month(sweden::today()).expect("month");
        let t = kvar::domain::access_review::Thresholds {
            sample_size: 25,
            volume_per_hour: 30,
        };
        let first = kvar::access_reviews::generate::monthly(&mut conn, month, t).expect("run");
        assert!(first.len() >= 2 && first.iter().all(|o| o.built.is_some()));
        let again = kvar::access_reviews::generate::monthly(&mut conn, month, t).expect("run");
        assert!(again.iter().all(|o| o.built.is_none()));
    });
}

#[test]
fn the_access_extract_lists_reads_of_the_person_and_of_their_household_while_a_member() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let sup_a = &w.supervisor_a.1;
        let case = open_case(&app, &w, sup_a);
        let cid = case["id"].as_str().expect("id").to_owned();
        let hid = case["household_id"].as_str().expect("hid").to_owned();
        let case_path = format!("/api/v1/cases/{cid}");
        // A read before the newcomer joins the household, and one after.
        let before = app.get(&case_path, sup_a);
        assert_eq!(before.status, 200);
        let added = app.post(
            &format!("/api/v1/households/{hid}/members"),
            sup_a,
            json!({"personnummer": NEWCOMER_PNR, "name": NEWCOMER_NAME, "relation": "other"}),
        );
        assert_eq!(added.status, 201, "{}", added.body);
        let member = added.json["members"]
            .as_array()
            .expect("members")
            .iter()
            .find(|m| m["relation"] == "other")
            .expect("newcomer")
            .clone();
        let newcomer = member["person_id"].as_str().expect("person").to_owned();
        let after = app.get(&case_path, &w.worker_a1.1);
        assert_eq!(after.status, 200);
        let note = app.post(
            &format!("{case_path}/notes"),
            sup_a,
            json!({"body": "Hembesök"}),
        );
        assert_eq!(note.status, 201, "{}", note.body);
        let notes = app.get(&format!("{case_path}/notes"), sup_a);
        assert_eq!(notes.status, 200);
        // The newcomer moves out today; a read of the case two days later is not theirs, a
        // read of the newcomer themself is.
        let moved = patch(
            &app,
            sup_a,
            &format!(
                "/api/v1/households/{hid}/members/{}",
                member["member_id"].as_str().expect("m")
            ),
            added.header("etag").expect("etag"),
            json!({"moved_out_on": today()}),
        );
        assert_eq!(moved.status, 200, "{}", moved.body);
        let later = chrono::Utc::now().naive_utc() + chrono::TimeDelta::days(2);
        let mut conn = app.connect();
        let zone = match app.backend {
            crate::support::Backend::Sqlite => "",
            crate::support::Backend::Postgres => "+00",
        };
        for (subject_type, subject_id) in [("case", cid.as_str()), ("person", newcomer.as_str())] {
            diesel::sql_query(format!(
                "INSERT INTO access_log (at, actor_id, actor_role, operation, subject_type, subject_id, case_id, request_id, decision, actor_unit_id) \
                 VALUES ('{}{zone}', '{}', 'supervisor', 'get_case', '{subject_type}', '{subject_id}', '{cid}', 'later', 'granted', '{}')",
                later.format("%Y-%m-%d %H:%M:%S"),
                w.supervisor_a.0,
                w.unit_a
            ))
            .execute(&mut conn)
            .expect("seed a later read");
        }

        let extract = |pnr: &str, accept: &str| {
            app.req("POST", "/api/v1/persons/access-extract")
                .token(&w.auditor.1)
                .header("accept", accept)
                .json(json!({"personnummer": pnr}))
                .send()
        };
        let r = extract(NEWCOMER_PNR, "application/json");
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json["person_id"], newcomer.as_str());
        let items = r.json["items"].as_array().expect("items");
        let of_request = |resp: &Resp| -> Vec<&Value> {
            let rid = resp.header("x-request-id").expect("id").to_owned();
            let ids: Vec<i64> = request_rows(&app, &rid);
            items
                .iter()
                .filter(|e| ids.contains(&e["access_log_id"].as_i64().expect("id")))
                .collect()
        };
        assert!(of_request(&before).is_empty(), "before joining: {}", r.body);
        let seen = of_request(&after);
        let types: Vec<&str> = seen
            .iter()
            .map(|e| e["subject_type"].as_str().expect("t"))
            .collect();
        // The case and the newcomer themself; not the other members' rows.
        assert_eq!(
            types.iter().filter(|t| **t == "case").count(),
            1,
            "{types:?}"
        );
        assert_eq!(
            types.iter().filter(|t| **t == "person").count(),
            1,
            "{types:?}"
        );
        assert!(seen.iter().all(|e| e["actor_role"] == "caseworker"
            && e["actor_unit_id"] == w.unit_a.as_str()
            && e["operation"] == "get_case"));
        assert!(!of_request(&notes).is_empty(), "notes of the case");
        let late: Vec<&Value> = items
            .iter()
            .filter(|e| {
                e["at"]
                    .as_str()
                    .and_then(|a| chrono::DateTime::parse_from_rfc3339(a).ok())
                    .is_some_and(|a| a.naive_utc() > chrono::Utc::now().naive_utc())
            })
            .collect();
        assert_eq!(late.len(), 1, "only the later read of the person: {late:?}");
        assert_eq!(late[0]["subject_type"], "person");
        assert!(!r.body.contains(NEWCOMER_NAME) && !r.body.contains(NEWCOMER_PNR));
        // The head, a member from the start, sees the first read too.
        let head = extract(HEAD_PNR, "application/json");
        let head_ids: Vec<i64> = head.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|e| e["access_log_id"].as_i64().expect("id"))
            .collect();
        let first = request_rows(&app, before.header("x-request-id").expect("id"));
        assert!(first.iter().any(|id| head_ids.contains(id)));
        // CSV on request; unknown numbers answer an empty extract like any other.
        let csv = extract(NEWCOMER_PNR, "text/csv");
        assert_eq!(csv.status, 200, "{}", csv.body);
        assert!(
            csv.header("content-type")
                .is_some_and(|c| c.starts_with("text/csv"))
        );
        let lines: Vec<&str> = csv.body.lines().collect();
        assert_eq!(
            lines[0],
            "access_log_id,at,actor_role,actor_unit_id,operation,subject_type,case_id"
        );
        // The JSON extract a moment ago was itself a read of the person's data.
        assert_eq!(lines.len(), items.len() + 2);
        assert!(
            lines
                .last()
                .is_some_and(|l| l.contains(",auditor,,extract_person_access,person,"))
        );
        assert!(!csv.body.contains(NEWCOMER_PNR) && !csv.body.contains(NEWCOMER_NAME));
        let none = extract("19121212-1212", "application/json");
        assert_eq!(none.status, 200);
        assert_eq!(none.json["items"], json!([]));
        assert_eq!(none.json["person_id"], Value::Null);
        extract(NEWCOMER_PNR, "application/pdf").problem(406);
        extract("12345", "application/json").problem(422);
        // The extract itself is logged and audited.
        let logged = request_rows(&app, r.header("x-request-id").expect("id"));
        assert_eq!(logged.len(), 1);
        assert!(actions(&app, &newcomer).contains(&"person.access_extract".to_owned()));
    });
}

/// The access-log ids written under a request id.
fn request_rows(app: &TestApp, request_id: &str) -> Vec<i64> {
    access_log::table
        .filter(access_log::request_id.eq(request_id))
        .select(access_log::id)
        .order(access_log::id)
        .load(&mut app.connect())
        .expect("rows")
}
