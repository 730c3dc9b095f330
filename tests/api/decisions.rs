//! What waits for a supervisor (issue 17): the unit's pending closure requests and rent
//! commitments as lists scoped to the unit, whom a supervisor may assign a case to, and the
//! transitions the case view offers (`allowed_transitions`).

use serde_json::{Value, json};

use crate::casework::{open_case, transition, world};
use crate::support::{TestApp, each_backend};

fn statuses(v: &Value) -> Vec<&str> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| s.as_str().expect("status"))
        .collect()
}

fn count_granted(app: &TestApp, r: &crate::support::Resp, op: &str) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let id = r.header("x-request-id").expect("request id");
    diesel::sql_query(format!(
        "SELECT COUNT(*) AS n FROM access_log WHERE request_id = '{id}' AND operation = '{op}' AND decision = 'granted'"
    ))
    .load::<N>(&mut app.connect())
    .expect("access log")[0]
        .n
}

#[test]
fn a_supervisor_lists_and_decides_what_waits_in_the_unit_and_nothing_of_other_units() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let worker = &w.worker_a1.1;
        let case = open_case(&app, &w, worker);
        let cid = case["id"].as_str().expect("id").to_owned();
        let view = app.get(&format!("/api/v1/cases/{cid}"), worker);
        assert_eq!(
            statuses(&view.json["allowed_transitions"]),
            ["triage", "closed"]
        );
        assert_eq!(
            transition(&app, worker, &cid, json!({"to": "triage", "reason": "r"})).status,
            200
        );
        // The household has a child: the caseworker's closure becomes a request.
        let r = transition(
            &app,
            worker,
            &cid,
            json!({"to": "closed", "reason": "Skulden är betald.", "outcome": "retained_paid"}),
        );
        assert_eq!(r.status, 202, "{}", r.body);
        let request_id = r.str("id");
        // Closing is no longer offered while the request waits.
        let view = app.get(&format!("/api/v1/cases/{cid}"), worker);
        assert_eq!(
            statuses(&view.json["allowed_transitions"]),
            ["outreach", "active"]
        );
        // A pending rent commitment on the same case.
        let rc = app.post(
            &format!("/api/v1/cases/{cid}/rent-commitments"),
            worker,
            json!({"amount": 9000, "months_covered": 1, "reason": "Oktoberhyran."}),
        );
        assert_eq!(rc.status, 201, "{}", rc.body);
        let rc_id = rc.str("id");

        let sup_a = &w.supervisor_a.1;
        let closures = app.get("/api/v1/closure-requests?status=pending", sup_a);
        assert_eq!(closures.status, 200, "{}", closures.body);
        let items = closures.json["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "{}", closures.body);
        assert_eq!(items[0]["closure_request"]["id"], request_id.as_str());
        assert_eq!(items[0]["reason"], "Skulden är betald.");
        assert_eq!(items[0]["case"]["id"], cid.as_str());
        assert_eq!(items[0]["case"]["children_involved"], true);
        assert_eq!(count_granted(&app, &closures, "list_closure_requests"), 1);
        let commitments = app.get("/api/v1/rent-commitments", sup_a);
        assert_eq!(commitments.status, 200, "{}", commitments.body);
        let items = commitments.json["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "{}", commitments.body);
        assert_eq!(items[0]["commitment"]["id"], rc_id.as_str());
        assert_eq!(items[0]["commitment"]["reason"], "Oktoberhyran.");
        assert_eq!(items[0]["case"]["id"], cid.as_str());
        assert_eq!(
            count_granted(&app, &commitments, "list_unit_rent_commitments"),
            1
        );

        // Another unit's supervisor sees none of it; caseworkers may not list.
        for path in ["/api/v1/closure-requests", "/api/v1/rent-commitments"] {
            let r = app.get(path, &w.supervisor_b.1);
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.json["items"], json!([]), "{path}");
            app.get(path, worker).problem(403);
        }
        app.get("/api/v1/closure-requests?status=maybe", sup_a)
            .problem(400);
        app.get("/api/v1/rent-commitments?limit=0", sup_a)
            .problem(422);

        // Pagination: one per page.
        let page = app.get("/api/v1/closure-requests?limit=1&status=pending", sup_a);
        assert_eq!(page.json["next_cursor"], Value::Null);

        // Decided, they leave the pending lists and appear under their new status.
        let d = app.post(
            &format!("/api/v1/cases/{cid}/closure-approvals"),
            sup_a,
            json!({"closure_request_id": request_id, "decision": "reject", "reason": "Följ upp först."}),
        );
        assert_eq!(d.status, 200, "{}", d.body);
        let d = app.post(
            &format!("/api/v1/cases/{cid}/rent-commitments/{rc_id}/decision"),
            sup_a,
            json!({"decision": "reject", "reason": "Inte nu."}),
        );
        assert_eq!(d.status, 200, "{}", d.body);
        assert_eq!(
            app.get("/api/v1/closure-requests", sup_a).json["items"],
            json!([])
        );
        assert_eq!(
            app.get("/api/v1/rent-commitments", sup_a).json["items"],
            json!([])
        );
        let rejected = app.get("/api/v1/closure-requests?status=rejected", sup_a);
        assert_eq!(
            rejected.json["items"][0]["closure_request"]["id"],
            request_id.as_str()
        );
        let rejected = app.get("/api/v1/rent-commitments?status=rejected", sup_a);
        assert_eq!(
            rejected.json["items"][0]["commitment"]["id"],
            rc_id.as_str()
        );
        // Closing is offered again.
        let view = app.get(&format!("/api/v1/cases/{cid}"), worker);
        assert_eq!(
            statuses(&view.json["allowed_transitions"]),
            ["outreach", "active", "closed"]
        );
    });
}

#[test]
fn a_supervisor_lists_the_assignable_members_of_its_own_unit_only() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let sup_a = &w.supervisor_a.1;
        let r = app.get(&format!("/api/v1/units/{}/members", w.unit_a), sup_a);
        assert_eq!(r.status, 200, "{}", r.body);
        let items = r.json["items"].as_array().expect("items");
        let mut ids: Vec<&str> = items
            .iter()
            .map(|m| m["id"].as_str().expect("id"))
            .collect();
        ids.sort_unstable();
        let mut want = vec![
            w.worker_a1.0.as_str(),
            w.worker_a2.0.as_str(),
            w.supervisor_a.0.as_str(),
        ];
        want.sort_unstable();
        assert_eq!(ids, want);
        for m in items {
            let mut keys: Vec<&String> = m.as_object().expect("object").keys().collect();
            keys.sort();
            assert_eq!(keys, ["display_name", "id", "role"], "nothing more: {m}");
        }
        let page = app.get(
            &format!("/api/v1/units/{}/members?limit=2", w.unit_a),
            sup_a,
        );
        assert_eq!(page.json["items"].as_array().map(Vec::len), Some(2));
        let cursor = page.json["next_cursor"]
            .as_str()
            .expect("cursor")
            .to_owned();
        let rest = app.get(
            &format!("/api/v1/units/{}/members?limit=2&cursor={cursor}", w.unit_a),
            sup_a,
        );
        assert_eq!(rest.json["items"].as_array().map(Vec::len), Some(1));
        // Another unit is missing; caseworkers and admins may not list.
        app.get(&format!("/api/v1/units/{}/members", w.unit_b), sup_a)
            .problem(404);
        app.get(
            &format!("/api/v1/units/{}/members", w.unit_a),
            &w.worker_a1.1,
        )
        .problem(403);
        app.get(&format!("/api/v1/units/{}/members", w.unit_a), &w.admin)
            .problem(403);
        // A listed member can be assigned the unit's case.
        let case = open_case(&app, &w, sup_a);
        let cid = case["id"].as_str().expect("id");
        let etag = app
            .get(&format!("/api/v1/cases/{cid}"), sup_a)
            .header("etag")
            .expect("etag")
            .to_owned();
        let p = app
            .req("PATCH", &format!("/api/v1/cases/{cid}"))
            .token(sup_a)
            .header("if-match", &etag)
            .json(json!({"assigned_to": w.worker_a2.0}))
            .send();
        assert_eq!(p.status, 200, "{}", p.body);
        assert_eq!(p.json["assigned_to"], w.worker_a2.0.as_str());
    });
}
