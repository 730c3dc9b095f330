//! Concurrent writers of the statistics cells (issue 15 item 5). Moving a case to another unit
//! takes its facts out of one unit's cells and puts them in the other's, in one transaction.
//! Two supervisors moving two cases in opposite directions at once used to update the two
//! units' cells in opposite orders, which PostgreSQL can answer with a deadlock; the cells are
//! now written in key order at the end of each transaction. Every move must succeed and the
//! cells must still equal the facts' sums. (On SQLite the single writer serializes them; the
//! test runs there too.)

use std::collections::BTreeMap;
use std::sync::Barrier;

use chrono::NaiveDate;
use diesel::prelude::*;
use kvar::db::schema::{stats_cells, stats_facts};
use serde_json::json;

use crate::casework::{open_case, world};
use crate::support::{TestApp, each_backend};

/// Moves per thread.
const MOVES: usize = 30;

type Key = (String, String, NaiveDate, i32);

fn sums(app: &TestApp) -> (BTreeMap<Key, i64>, BTreeMap<Key, i64>) {
    let mut conn = app.connect();
    let mut facts = BTreeMap::new();
    for (u, f, m, b, v) in stats_facts::table
        .select((
            stats_facts::unit_id,
            stats_facts::figure,
            stats_facts::month,
            stats_facts::bucket,
            stats_facts::value,
        ))
        .load::<(String, String, NaiveDate, i32, i64)>(&mut conn)
        .expect("facts")
    {
        *facts.entry((u, f, m, b)).or_insert(0) += v;
    }
    facts.retain(|_, v| *v != 0);
    let cells = stats_cells::table
        .select((
            stats_cells::unit_id,
            stats_cells::figure,
            stats_cells::month,
            stats_cells::bucket,
            stats_cells::value,
        ))
        .load::<(String, String, NaiveDate, i32, i64)>(&mut conn)
        .expect("cells")
        .into_iter()
        .map(|(u, f, m, b, v)| ((u, f, m, b), v))
        .collect();
    (facts, cells)
}

#[test]
fn cases_moved_between_two_units_in_opposite_directions_at_once_never_deadlock() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        // Two cases with the same facts (same figures, same month), one in each unit.
        let mut cases = Vec::new();
        for worker in [&w.worker_a1.1, &w.worker_b.1] {
            let id = open_case(&app, &w, worker)["id"]
                .as_str()
                .expect("id")
                .to_owned();
            for body in [
                json!({"kind": "termination_served", "sent_on": "2026-03-02", "served_on": "2026-03-02"}),
                json!({"kind": "social_notice_received", "sent_on": "2026-03-03", "received_on": "2026-03-03", "amount_to_reinstate": 9000, "apartment_size_m2": 54}),
                json!({"kind": "kfm_application_received", "sent_on": "2026-04-01"}),
            ] {
                let r = app.post(&format!("/api/v1/cases/{id}/notices"), worker, body);
                assert_eq!(r.status, 201, "{}", r.body);
            }
            cases.push(id);
        }
        let (before_facts, before_cells) = sums(&app);
        assert!(!before_cells.is_empty());
        assert_eq!(before_cells, before_facts);
        let units = [w.unit_a.as_str(), w.unit_b.as_str()];
        let supervisors = [w.supervisor_a.1.as_str(), w.supervisor_b.1.as_str()];
        let gate = Barrier::new(2);
        std::thread::scope(|s| {
            for (i, case) in cases.iter().enumerate() {
                let (app, gate) = (&app, &gate);
                s.spawn(move || {
                    gate.wait();
                    // Case 0 starts in A, case 1 in B; each goes back and forth.
                    for m in 0..MOVES {
                        let from = (i + m) % 2;
                        let to = 1 - from;
                        let path = format!("/api/v1/cases/{case}");
                        let sup = supervisors[from];
                        let etag = app.get(&path, sup).header("etag").expect("etag").to_owned();
                        let r = app
                            .req("PATCH", &path)
                            .token(sup)
                            .header("if-match", &etag)
                            .json(json!({"unit_id": units[to]}))
                            .send();
                        assert_eq!(r.status, 200, "move {m} of case {i}: {}", r.body);
                    }
                });
            }
        });
        let (facts, cells) = sums(&app);
        assert_eq!(
            cells, facts,
            "the cells are the facts' sums after the moves"
        );
        assert_eq!(
            facts, before_facts,
            "an even number of moves brings both back"
        );
    });
}
