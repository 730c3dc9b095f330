//! Rent commitments (förbindelser, SPEC §4.6): four-eyes decision, the landlord's letter (its
//! contents and nothing else; first read = delivery), the PDF and its content negotiation,
//! delivery against the reinstatement end, the unit's amount limit.

use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};

use crate::casework::{HEAD_NAME, World, open_case, world};
use crate::integrations::token;
use crate::support::{PASSWORD, TestApp, each_backend};

fn draft(app: &TestApp, token: &str, case: &str, amount: i64) -> crate::support::Resp {
    app.post(
        &format!("/api/v1/cases/{case}/rent-commitments"),
        token,
        json!({"amount": amount, "months_covered": 3, "reason": "Tre månaders hyra; inkomst säkrad från januari."}),
    )
}

fn decide(
    app: &TestApp,
    token: &str,
    case: &str,
    rc: &str,
    decision: &str,
) -> crate::support::Resp {
    // An approval needs the tenant's consent or a legal basis (tests/api/consents.rs): these
    // tests give the legal basis.
    let mut body = json!({"decision": decision, "reason": "Underlaget räcker."});
    if decision == "approve" {
        body["legal_basis"] = json!({"reason": "Prövat enligt OSL 26:1."});
    }
    app.post(
        &format!("/api/v1/cases/{case}/rent-commitments/{rc}/decision"),
        token,
        body,
    )
}

fn actions(app: &TestApp, token: &str, case: &str) -> Vec<String> {
    let h = app.get(&format!("/api/v1/cases/{case}/history?limit=100"), token);
    assert_eq!(h.status, 200, "{}", h.body);
    h.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect()
}

fn user(app: &TestApp, w: &World, name: &str, role: &str, unit: Option<&str>) -> String {
    app.user(&w.admin, name, role, &w.org, unit);
    app.login(name, PASSWORD).access
}

fn landlord_user(app: &TestApp, w: &World, name: &str, org: &str) -> String {
    app.user(&w.admin, name, "landlord", org, None);
    app.login(name, PASSWORD).access
}

fn client(app: &TestApp, w: &World, scopes: Value) -> String {
    let c = app.post(
        "/api/v1/integration-clients",
        &w.admin,
        json!({"organization_id": w.landlord_org, "name": "Hyressystem", "scopes": scopes}),
    );
    assert_eq!(c.status, 201, "{}", c.body);
    token(app, &c.json)
}

/// The case's worklist bucket as the unit's supervisor sees it.
fn bucket(app: &TestApp, w: &World, case: &str) -> String {
    crate::worklist::item_of(app, &w.supervisor_a.1, case)["bucket"]
        .as_str()
        .expect("bucket")
        .to_owned()
}

fn today() -> NaiveDate {
    kvar::domain::sweden::today()
}

#[test]
fn a_commitment_is_decided_by_another_supervisor_and_the_landlord_sees_only_the_letter() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let super_a2 = user(&app, &w, "super.a2", "supervisor", Some(&w.unit_a));
        let case = open_case(&app, &w, &w.worker_a1.1)["id"]
            .as_str()
            .expect("id")
            .to_owned();

        // A caseworker drafts; caseworkers cannot decide at all (the table).
        let by_worker = draft(&app, &w.worker_a1.1, &case, 24_000);
        assert_eq!(by_worker.status, 201, "{}", by_worker.body);
        assert_eq!(by_worker.json["status"], "pending");
        assert_eq!(
            by_worker.json["landlord_organization_id"],
            w.landlord_org.as_str()
        );
        let rc1 = by_worker.str("id");
        assert_eq!(bucket(&app, &w, &case), "commitment_pending");
        assert_eq!(
            decide(&app, &w.worker_a1.1, &case, &rc1, "approve").status,
            403
        );

        // A supervisor drafts: four eyes hold for them too.
        let by_super = draft(&app, &w.supervisor_a.1, &case, 8_000);
        assert_eq!(by_super.status, 201, "{}", by_super.body);
        let rc2 = by_super.str("id");
        let own = decide(&app, &w.supervisor_a.1, &case, &rc2, "approve");
        assert_eq!(own.status, 403, "the drafter cannot approve: {}", own.body);

        // Another supervisor of the unit decides, once.
        let ok = decide(&app, &w.supervisor_a.1, &case, &rc1, "approve");
        assert_eq!(ok.status, 200, "{}", ok.body);
        assert_eq!(ok.json["status"], "approved");
        assert_eq!(ok.json["issued_on"], today().to_string());
        let number = ok.str("number");
        assert!(number.starts_with("F-"), "{number}");
        assert_eq!(decide(&app, &super_a2, &case, &rc1, "reject").status, 409);
        let rejected = decide(&app, &super_a2, &case, &rc2, "reject");
        assert_eq!(rejected.status, 200, "{}", rejected.body);
        assert_eq!(rejected.json["status"], "rejected");
        assert_eq!(rejected.json["number"], Value::Null);

        // The PDF: only when approved, only as application/pdf.
        let letter = |rc: &str, accept: &str| {
            app.req(
                "GET",
                &format!("/api/v1/cases/{case}/rent-commitments/{rc}/letter"),
            )
            .token(&w.worker_a1.1)
            .header("accept", accept)
            .send()
        };
        let pdf = letter(&rc1, "application/pdf");
        assert_eq!(pdf.status, 200, "{}", pdf.body);
        assert!(
            pdf.header("content-type")
                .unwrap_or("")
                .starts_with("application/pdf"),
            "{:?}",
            pdf.headers
        );
        assert!(pdf.bytes.starts_with(b"%PDF-"));
        assert!(pdf.body.contains(&number), "the letter carries its number");
        assert_eq!(letter(&rc1, "application/json").status, 406);
        assert_eq!(
            letter(&rc2, "application/pdf").status,
            409,
            "rejected: no letter"
        );
        // A JSON route still refuses a PDF-only Accept.
        let json_route = app
            .req("GET", &format!("/api/v1/cases/{case}/rent-commitments"))
            .token(&w.worker_a1.1)
            .header("accept", "application/pdf")
            .send();
        assert_eq!(json_route.status, 406);

        // The landlord: the letter's contents and nothing else; the first read delivers it.
        let landlord = landlord_user(&app, &w, "landlord.a", &w.landlord_org);
        let seen = app.get("/api/v1/landlord/rent-commitments", &landlord);
        assert_eq!(seen.status, 200, "{}", seen.body);
        let items = seen.json["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "approved letters only: {}", seen.body);
        let item = items[0].as_object().expect("object");
        let mut keys: Vec<&str> = item.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "address",
                "amount",
                "apartment_reference",
                "issued_on",
                "months_covered",
                "number",
                "tenant_name"
            ]
        );
        for absent in [
            "id",
            "case_id",
            "status",
            "reason",
            "household_id",
            "members",
            "notes",
        ] {
            assert!(!item.contains_key(absent), "{absent} leaked");
        }
        assert_eq!(item["number"], number.as_str());
        assert_eq!(item["tenant_name"], HEAD_NAME);
        assert_eq!(item["apartment_reference"], "1102");
        assert_eq!(
            item["address"],
            json!({"street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm"})
        );
        assert_eq!(item["amount"], 24_000);
        assert_eq!(item["months_covered"], 3);
        assert!(
            !seen.body.contains("Olle"),
            "no other person of the household"
        );
        assert!(!seen.body.contains(&case), "no case id");

        let staff = app.get(
            &format!("/api/v1/cases/{case}/rent-commitments"),
            &w.worker_a1.1,
        );
        assert_eq!(staff.status, 200, "{}", staff.body);
        let delivered = &staff.json["items"][0];
        assert_eq!(delivered["delivered_on"], today().to_string());
        assert_ne!(
            bucket(&app, &w, &case),
            "commitment_pending",
            "decided and delivered"
        );
        assert_eq!(delivered["delivery_channel"], "portal");
        let notices = app.get(&format!("/api/v1/cases/{case}/notices"), &w.worker_a1.1);
        let issued: Vec<&Value> = notices.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|n| n["kind"] == "rent_commitment_issued")
            .collect();
        assert_eq!(issued.len(), 1, "{}", notices.body);
        assert_eq!(issued[0]["delivered_on"], today().to_string());
        // A second read does not deliver again.
        assert_eq!(
            app.get("/api/v1/landlord/rent-commitments", &landlord)
                .status,
            200
        );
        let again = app.get(&format!("/api/v1/cases/{case}/notices"), &w.worker_a1.1);
        assert_eq!(
            again.json["items"]
                .as_array()
                .expect("items")
                .iter()
                .filter(|n| n["kind"] == "rent_commitment_issued")
                .count(),
            1
        );
        // Staff cannot record the delivery a second time.
        let twice = app.post(
            &format!("/api/v1/cases/{case}/rent-commitments/{rc1}/delivery"),
            &w.worker_a1.1,
            json!({"delivered_on": today(), "channel": "post"}),
        );
        assert_eq!(twice.status, 409, "{}", twice.body);

        // Another landlord sees nothing; clients need `landlord:commitments`.
        let other_org = app
            .post(
                "/api/v1/organizations",
                &w.admin,
                json!({"kind": "landlord", "name": "Annan AB"}),
            )
            .str("id");
        let other = landlord_user(&app, &w, "landlord.b", &other_org);
        let none = app.get("/api/v1/landlord/rent-commitments", &other);
        assert_eq!(none.status, 200, "{}", none.body);
        assert_eq!(none.json["items"], json!([]));
        let without = client(&app, &w, json!(["landlord:submit", "landlord:receipts"]));
        assert_eq!(
            app.get("/api/v1/landlord/rent-commitments", &without)
                .status,
            403
        );
        let with = client(&app, &w, json!(["landlord:commitments"]));
        let via_client = app.get("/api/v1/landlord/rent-commitments", &with);
        assert_eq!(via_client.status, 200, "{}", via_client.body);
        assert_eq!(via_client.json["items"][0]["number"], number.as_str());
        // Staff routes are not for landlords.
        assert_eq!(
            app.get(&format!("/api/v1/cases/{case}/rent-commitments"), &landlord)
                .status,
            403
        );

        // Every step is in the case's history.
        let history = actions(&app, &w.supervisor_a.1, &case);
        for a in [
            "rent_commitment.draft",
            "rent_commitment.approve",
            "rent_commitment.reject",
            "rent_commitment.deliver",
        ] {
            assert!(history.iter().any(|h| h == a), "{a} missing in {history:?}");
        }
    });
}

#[test]
fn a_supervisor_of_another_unit_stands_in_only_when_the_unit_has_no_other() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let case = open_case(&app, &w, &w.worker_a1.1)["id"]
            .as_str()
            .expect("id")
            .to_owned();
        // Unit A's only supervisor drafts: nobody else in the unit, so unit B's supervisor may.
        let rc = draft(&app, &w.supervisor_a.1, &case, 9_000).str("id");
        let stand_in = decide(&app, &w.supervisor_b.1, &case, &rc, "approve");
        assert_eq!(stand_in.status, 200, "{}", stand_in.body);
        // With a caseworker's draft, unit A's supervisor is there: unit B's gets a 404, the
        // same as for a missing case.
        let rc2 = draft(&app, &w.worker_a1.1, &case, 9_000).str("id");
        let out = decide(&app, &w.supervisor_b.1, &case, &rc2, "approve");
        assert_eq!(out.status, 404, "{}", out.body);
        let missing = decide(
            &app,
            &w.supervisor_b.1,
            &uuid::Uuid::now_v7().to_string(),
            &rc2,
            "approve",
        );
        assert_eq!(missing.status, 404);
        assert_eq!(
            out.body
                .replace(out.header("x-request-id").unwrap_or("-"), ""),
            missing
                .body
                .replace(missing.header("x-request-id").unwrap_or("-"), "")
        );
        // And unit B's supervisor still cannot read unit A's commitments.
        assert_eq!(
            app.get(
                &format!("/api/v1/cases/{case}/rent-commitments"),
                &w.supervisor_b.1
            )
            .status,
            404
        );
    });
}

/// A case whose reinstatement period started `days_ago` (termination served and formulär 3
/// received that day), with an approved commitment; returns (case, commitment).
fn case_with_period(app: &TestApp, w: &World, super_a2: &str, days_ago: i64) -> (String, String) {
    let case = open_case(app, w, &w.worker_a1.1)["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let start = today() - Duration::days(days_ago);
    for body in [
        json!({"kind": "termination_served", "served_on": start, "service_method": "personal"}),
        json!({"kind": "social_notice_received", "received_on": start, "amount_to_reinstate": 24000}),
    ] {
        let n = app.post(
            &format!("/api/v1/cases/{case}/notices"),
            &w.worker_a1.1,
            body,
        );
        assert_eq!(n.status, 201, "{}", n.body);
    }
    let rc = draft(app, &w.worker_a1.1, &case, 24_000).str("id");
    assert_eq!(decide(app, super_a2, &case, &rc, "approve").status, 200);
    (case, rc)
}

#[test]
fn a_delivery_is_measured_against_the_reinstatement_end() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let deliver = |case: &str, rc: &str, on: NaiveDate| {
            app.post(
                &format!("/api/v1/cases/{case}/rent-commitments/{rc}/delivery"),
                &w.worker_a1.1,
                json!({"delivered_on": on, "channel": "post"}),
            )
        };
        // Started five days ago: the end is about two weeks ahead; delivered today, in time.
        let (early_case, early) = case_with_period(&app, &w, &w.supervisor_a.1, 5);
        let tomorrow = today() + Duration::days(1);
        assert_eq!(
            deliver(&early_case, &early, tomorrow).status,
            422,
            "future date"
        );
        let in_time = deliver(&early_case, &early, today());
        assert_eq!(in_time.status, 200, "{}", in_time.body);
        assert_eq!(in_time.json["delivery_channel"], "post");
        assert_eq!(in_time.json["delivery_timeliness"], "in_time");
        let end: NaiveDate = serde_json::from_value(in_time.json["reinstatement_due_on"].clone())
            .expect("reinstatement end");
        assert!(end >= today());
        let deadlines = app.get(
            &format!("/api/v1/cases/{early_case}/deadlines"),
            &w.worker_a1.1,
        );
        assert!(
            deadlines.json["items"]
                .as_array()
                .expect("items")
                .iter()
                .any(|d| d["kind"] == "reinstatement_end" && d["status"] == "met"),
            "{}",
            deadlines.body
        );
        // Started forty days ago: the end has passed; delivered today, late.
        let (late_case, late) = case_with_period(&app, &w, &w.supervisor_a.1, 40);
        let late_r = deliver(&late_case, &late, today());
        assert_eq!(late_r.status, 200, "{}", late_r.body);
        assert_eq!(late_r.json["delivery_timeliness"], "late");
        // A pending commitment cannot be delivered.
        let pending = draft(&app, &w.worker_a1.1, &late_case, 1_000).str("id");
        assert_eq!(deliver(&late_case, &pending, today()).status, 409);
        assert!(
            actions(&app, &w.supervisor_a.1, &late_case)
                .iter()
                .any(|a| a == "rent_commitment.deliver")
        );
    });
}

#[test]
fn above_the_unit_limit_only_a_supervisor_drafts_and_a_landlord_must_be_known() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let unit = app.post(
            &format!("/api/v1/organizations/{}/units", w.org),
            &w.admin,
            json!({"name": "Enhet med tak", "rent_commitment_limit": 10000}),
        );
        assert_eq!(unit.status, 201, "{}", unit.body);
        assert_eq!(unit.json["rent_commitment_limit"], 10000);
        let unit = unit.str("id");
        let worker = user(&app, &w, "worker.l", "caseworker", Some(&unit));
        let boss = user(&app, &w, "super.l", "supervisor", Some(&unit));
        let case = open_case(&app, &w, &worker)["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let above = draft(&app, &worker, &case, 10_001);
        assert_eq!(above.status, 403, "{}", above.body);
        assert_eq!(draft(&app, &worker, &case, 10_000).status, 201);
        assert_eq!(draft(&app, &boss, &case, 10_001).status, 201);

        // A case without a tenancy has no landlord to write to: 409, the case's state.
        let h = crate::casework::household(&app, &worker);
        let bare = app.post(
            "/api/v1/cases",
            &worker,
            json!({"household_id": h.str("id")}),
        );
        assert_eq!(bare.status, 201, "{}", bare.body);
        let no_landlord = draft(&app, &worker, &bare.str("id"), 1_000);
        assert_eq!(no_landlord.status, 409, "{}", no_landlord.body);
        assert!(
            no_landlord.json["detail"]
                .as_str()
                .is_some_and(|d| d.contains("tenancy")),
            "{}",
            no_landlord.body
        );
        // Validation collects every field error.
        let bad = app.post(
            &format!("/api/v1/cases/{case}/rent-commitments"),
            &worker,
            json!({"amount": 0, "months_covered": 99, "reason": " "}),
        );
        assert_eq!(bad.status, 422);
        assert_eq!(
            bad.json["errors"].as_array().map(Vec::len),
            Some(3),
            "{}",
            bad.body
        );
    });
}
