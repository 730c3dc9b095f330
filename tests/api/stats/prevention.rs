//! The prevention series over HTTP (issue 15 item 2): a known world of arrears cycles (paid,
//! met by a delivered commitment, kept by a payment plan, lapsed), formulär 3 and first contact
//! attempts, rent commitments with their amounts, closures with outcomes and homelessness
//! situations, repeat signals and second-hand → first-hand conversions, in three units of two
//! municipalities of one county. Every cell of the series is checked against the raw counts
//! (medians, the share and the amounts too), suppression included; the CSV has the same
//! figures; the county adds up; an attacker holding every answer solves for no suppressed cell.
//!
//! The legal events have fixed dates in 2026-Q1 and Q2 (their cycles are long decided); rent
//! commitments and closures happen today, so they fall in today's quarter.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use serde_json::{Value, json};

use super::adult;
use crate::support::{PASSWORD, TestApp, each_backend};

/// The count columns of the prevention series, in order.
const COUNTS: [&str; 28] = [
    "social_notices_received",
    "reinstatement_periods",
    "contacted_before_reinstatement_end",
    "cycles_reinstated",
    "cycles_reinstated_paid",
    "cycles_reinstated_rent_commitment",
    "cycles_reinstated_payment_plan",
    "cycles_lapsed",
    "rent_commitments_issued",
    "repeat_signals_12m",
    "second_hand_conversions",
    "second_hand_converted_within_18m",
    "second_hand_converted_within_24m",
    "closures",
    "closed_retained_paid",
    "closed_retained_payment_plan",
    "closed_retained_rent_commitment",
    "closed_moved_new_tenancy",
    "closed_moved_municipal_contract",
    "closed_moved_family_friends",
    "closed_evicted_homeless",
    "closed_evicted_other",
    "closed_no_contact",
    "closed_not_applicable",
    "homelessness_situation_1",
    "homelessness_situation_2",
    "homelessness_situation_3",
    "homelessness_situation_4",
];

fn counts() -> Vec<&'static str> {
    COUNTS.to_vec()
}

/// Figures that are the sum of others in every row.
const ROW_SUMS: [(&str, &[&str]); 2] = [
    (
        "closures",
        &[
            "closed_retained_paid",
            "closed_retained_payment_plan",
            "closed_retained_rent_commitment",
            "closed_moved_new_tenancy",
            "closed_moved_municipal_contract",
            "closed_moved_family_friends",
            "closed_evicted_homeless",
            "closed_evicted_other",
            "closed_no_contact",
            "closed_not_applicable",
        ],
    ),
    (
        "cycles_reinstated",
        &[
            "cycles_reinstated_paid",
            "cycles_reinstated_rent_commitment",
            "cycles_reinstated_payment_plan",
        ],
    ),
];

fn today() -> NaiveDate {
    kvar::domain::sweden::today()
}

fn quarter_of(d: NaiveDate) -> String {
    format!("{}-Q{}", d.year(), (d.month() - 1) / 3 + 1)
}

fn plus(d: &str, days: i64) -> String {
    (d.parse::<NaiveDate>().expect("date") + Duration::days(days)).to_string()
}

/// What one unit holds in one quarter: counts, days to first contact, commitment amounts.
#[derive(Default, Clone)]
struct Raw {
    counts: BTreeMap<&'static str, u64>,
    days: Vec<i64>,
    amounts: Vec<i64>,
}

impl Raw {
    fn add(&mut self, figure: &'static str, n: u64) {
        *self.counts.entry(figure).or_default() += n;
    }
}

struct World {
    analyst_a: String,
    board: String,
    unit_a1: String,
    unit_a2: String,
    unit_b1: String,
    /// (unit, quarter) → what happened there.
    raw: BTreeMap<(String, String), Raw>,
}

struct Unit {
    id: String,
    worker: String,
    supervisor: String,
}

struct Builder<'a> {
    app: &'a TestApp,
    landlord: String,
    n: u32,
    raw: BTreeMap<(String, String), Raw>,
}

impl Builder<'_> {
    fn raw(&mut self, unit: &Unit, quarter: &str) -> &mut Raw {
        self.raw
            .entry((unit.id.clone(), quarter.to_owned()))
            .or_default()
    }

    /// A household with a tenancy of `contract` (started `start_on`) and a case in `unit`:
    /// (case id, tenancy id).
    fn case(
        &mut self,
        unit: &Unit,
        code: &str,
        contract: &str,
        start_on: &str,
    ) -> (String, String) {
        self.n += 1;
        let address = json!({"street": "Storgatan 1", "postal_code": "11122", "city": "Staden", "municipality_code": code});
        let h = self.app.post(
            "/api/v1/households",
            &unit.worker,
            json!({"address": address,
                   "members": [{"personnummer": adult(40 + self.n), "name": "P Test", "relation": "self"}]}),
        );
        assert_eq!(h.status, 201, "{}", h.body);
        let t = self.app.post(
            "/api/v1/tenancies",
            &unit.worker,
            json!({"household_id": h.str("id"), "landlord_organization_id": self.landlord,
                   "apartment_number": "1102", "address": address, "monthly_rent": 8500,
                   "contract_type": contract, "start_on": start_on}),
        );
        assert_eq!(t.status, 201, "{}", t.body);
        let c = self.app.post(
            "/api/v1/cases",
            &unit.worker,
            json!({"household_id": h.str("id"), "tenancy_id": t.str("id")}),
        );
        assert_eq!(c.status, 201, "{}", c.body);
        (c.str("id"), t.str("id"))
    }

    fn notice(&self, unit: &Unit, case: &str, body: Value) {
        let r = self
            .app
            .post(&format!("/api/v1/cases/{case}/notices"), &unit.worker, body);
        assert_eq!(r.status, 201, "{}", r.body);
    }

    fn intervention(&self, unit: &Unit, case: &str, kind: &str, on: &str) {
        let r = self.app.post(
            &format!("/api/v1/cases/{case}/interventions"),
            &unit.worker,
            json!({"kind": kind, "status": "completed", "started_on": on, "ended_on": on}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }

    /// A termination served and its formulär 3 received on `on` (9 000 kr to reinstate).
    fn cycle(&self, unit: &Unit, case: &str, on: &str) {
        self.notice(
            unit,
            case,
            json!({"kind": "termination_served", "sent_on": on, "served_on": on, "apartment_size_m2": 54}),
        );
        self.notice(
            unit,
            case,
            json!({"kind": "social_notice_received", "sent_on": on, "received_on": on,
                   "amount_to_reinstate": 9000, "apartment_size_m2": 54}),
        );
    }

    fn pay(&self, unit: &Unit, case: &str, on: &str) {
        self.notice(
            unit,
            case,
            json!({"kind": "payment_confirmed", "sent_on": on, "amount_paid": 9000}),
        );
    }

    /// A rent commitment drafted by the caseworker and approved by the supervisor today.
    fn commitment(&mut self, unit: &Unit, case: &str, amount: i64) {
        let d = self.app.post(
            &format!("/api/v1/cases/{case}/rent-commitments"),
            &unit.worker,
            json!({"amount": amount, "months_covered": 2, "reason": "Två månaders hyra."}),
        );
        assert_eq!(d.status, 201, "{}", d.body);
        let ok = self.app.post(
            &format!(
                "/api/v1/cases/{case}/rent-commitments/{}/decision",
                d.str("id")
            ),
            &unit.supervisor,
            json!({"decision": "approve", "reason": "Underlaget räcker.",
                   "legal_basis": {"reason": "Prövat enligt OSL 26:1."}}),
        );
        assert_eq!(ok.status, 200, "{}", ok.body);
        let q = quarter_of(today());
        let raw = self.raw(unit, &q);
        raw.add("rent_commitments_issued", 1);
        raw.amounts.push(amount);
    }

    fn transition(&self, unit: &Unit, case: &str, body: Value) {
        let e = self
            .app
            .get(&format!("/api/v1/cases/{case}"), &unit.supervisor)
            .header("etag")
            .expect("etag")
            .to_owned();
        let r = self
            .app
            .req("POST", &format!("/api/v1/cases/{case}/transitions"))
            .token(&unit.supervisor)
            .header("if-match", &e)
            .json(body)
            .send();
        assert_eq!(r.status, 200, "{}", r.body);
    }

    /// Closed today with `outcome` (and a homelessness situation).
    fn close(&mut self, unit: &Unit, case: &str, outcome: &'static str, situation: Option<u8>) {
        self.transition(unit, case, json!({"to": "triage", "reason": "r"}));
        let mut body = json!({"to": "closed", "reason": "klart", "outcome": outcome});
        if let Some(s) = situation {
            body["homelessness_situation"] = json!(s);
        }
        self.transition(unit, case, body);
        let raw = self.raw(unit, &quarter_of(today()));
        raw.add("closures", 1);
        raw.add(Box::leak(format!("closed_{outcome}").into_boxed_str()), 1);
        if let Some(s) = situation {
            raw.add(
                Box::leak(format!("homelessness_situation_{s}").into_boxed_str()),
                1,
            );
        }
    }
}

fn world(app: &TestApp) -> World {
    let admin = app.admin_token();
    let (org_a, unit_a1) = app.municipality(&admin, "1480");
    let (org_b, unit_b1) = app.municipality(&admin, "1401");
    let unit_a2 = app
        .post(
            &format!("/api/v1/organizations/{org_a}/units"),
            &admin,
            json!({"name": "A2"}),
        )
        .str("id");
    let landlord = app.post(
        "/api/v1/organizations",
        &admin,
        json!({"kind": "landlord", "name": "Bostäder AB"}),
    );
    assert_eq!(landlord.status, 201, "{}", landlord.body);
    // The county board is created without the county's code in mind and given it later
    // (PATCH, validated and audited).
    let lst = app.post(
        "/api/v1/organizations",
        &admin,
        json!({"kind": "county_board", "name": "Länsstyrelsen", "county_code": "01"}),
    );
    assert_eq!(lst.status, 201, "{}", lst.body);
    let lst_id = lst.str("id");
    let set_county = |org: &str, code: Value, etag: Option<&str>| {
        let e = app
            .get(&format!("/api/v1/organizations/{org}"), &admin)
            .header("etag")
            .expect("etag")
            .to_owned();
        app.req("PATCH", &format!("/api/v1/organizations/{org}"))
            .token(&admin)
            .header("if-match", etag.unwrap_or(&e))
            .json(json!({"county_code": code}))
            .send()
    };
    set_county(&lst_id, json!("1"), None).problem(422);
    set_county(&lst_id, json!("14"), Some("\"99\"")).problem(412);
    set_county(&org_a, json!("01"), None).problem(422);
    let patched = set_county(&lst_id, json!("14"), None);
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.json["county_code"], "14");
    assert_eq!(patched.json["version"], 2);
    let mk = |name: &str, role: &str, org: &str, unit: Option<&str>| {
        app.user(&admin, name, role, org, unit);
        app.login(name, PASSWORD).access
    };
    let unit = |id: &str, org: &str, tag: &str| Unit {
        id: id.to_owned(),
        worker: mk(&format!("worker.{tag}"), "caseworker", org, Some(id)),
        supervisor: mk(&format!("super.{tag}"), "supervisor", org, Some(id)),
    };
    let (a1, a2, b1) = (
        unit(&unit_a1, &org_a, "a1"),
        unit(&unit_a2, &org_a, "a2"),
        unit(&unit_b1, &org_b, "b1"),
    );
    let mut b = Builder {
        app,
        landlord: landlord.str("id"),
        n: 0,
        raw: BTreeMap::new(),
    };
    let end = |d: &str| {
        kvar::domain::deadlines::reinstatement_end(d.parse().expect("date")).expect("end")
    };
    // Unit A1: ten cycles in January and February (decided in Q1).
    let mut a1_cases = Vec::new();
    for i in 0..10 {
        let on = if i < 5 { "2026-01-12" } else { "2026-02-09" };
        assert_eq!(quarter_of(end(on)), "2026-Q1");
        let (case, _) = b.case(&a1, "1480", "first_hand", "2020-01-01");
        b.cycle(&a1, &case, on);
        let q = b.raw(&a1, "2026-Q1");
        q.add("social_notices_received", 1);
        q.add("reinstatement_periods", 1);
        match i {
            0..7 => {
                b.intervention(&a1, &case, "outreach_letter", &plus(on, 2));
                let q = b.raw(&a1, "2026-Q1");
                q.add("contacted_before_reinstatement_end", 1);
                q.days.push(2);
            }
            7 => {
                b.intervention(&a1, &case, "phone_call", &plus(on, 30));
                b.raw(&a1, "2026-Q1").days.push(30);
            }
            _ => {}
        }
        let outcome = match i {
            0..5 => {
                b.pay(&a1, &case, &plus(on, 5));
                "cycles_reinstated_paid"
            }
            5 => {
                b.notice(
                    &a1,
                    &case,
                    json!({"kind": "rent_commitment_issued", "sent_on": plus(on, 9), "delivered_on": plus(on, 10)}),
                );
                "cycles_reinstated_rent_commitment"
            }
            6 => {
                b.intervention(&a1, &case, "payment_plan", &plus(on, 25));
                "cycles_reinstated_payment_plan"
            }
            _ => "cycles_lapsed",
        };
        let q = b.raw(&a1, "2026-Q1");
        q.add(outcome, 1);
        if outcome != "cycles_lapsed" {
            q.add("cycles_reinstated", 1);
        }
        a1_cases.push(case);
    }
    // Unit A2: two cycles in February (decided in Q1), one paid, one lapsed.
    let on = "2026-02-09";
    let (a2_paid, _) = b.case(&a2, "1480", "first_hand", "2020-01-01");
    let (a2_lapsed, _) = b.case(&a2, "1480", "first_hand", "2020-01-01");
    for c in [&a2_paid, &a2_lapsed] {
        b.cycle(&a2, c, on);
    }
    b.intervention(&a2, &a2_paid, "home_visit", &plus(on, 1));
    b.pay(&a2, &a2_paid, &plus(on, 4));
    {
        let q = b.raw(&a2, "2026-Q1");
        q.add("social_notices_received", 2);
        q.add("reinstatement_periods", 2);
        q.add("contacted_before_reinstatement_end", 1);
        q.days.push(1);
        q.add("cycles_reinstated", 1);
        q.add("cycles_reinstated_paid", 1);
        q.add("cycles_lapsed", 1);
    }
    // Unit B1: six paid cycles in April; six municipal second-hand contracts converted in June,
    // five within 18 months of their start, one after more than 24.
    let on = "2026-04-13";
    assert_eq!(quarter_of(end(on)), "2026-Q2");
    let mut b1_cases = Vec::new();
    for i in 0..6 {
        let start = if i < 5 { "2025-01-01" } else { "2024-01-01" };
        let (case, tenancy) = b.case(&b1, "1401", "municipal_second_hand", start);
        b.cycle(&b1, &case, on);
        b.intervention(&b1, &case, "outreach_letter", &plus(on, 3));
        b.pay(&b1, &case, &plus(on, 6));
        let e = app
            .get(&format!("/api/v1/tenancies/{tenancy}"), &b1.worker)
            .header("etag")
            .expect("etag")
            .to_owned();
        let patch = |body: Value| {
            app.req("PATCH", &format!("/api/v1/tenancies/{tenancy}"))
                .token(&b1.worker)
                .header("if-match", &e)
                .json(body)
                .send()
        };
        if i == 0 {
            // Not while it stays second-hand; not in the future; not before the start.
            patch(json!({"converted_on": "2026-06-15"})).problem(422);
            let tomorrow = (today() + Duration::days(1)).to_string();
            patch(json!({"contract_type": "first_hand", "converted_on": tomorrow})).problem(422);
            patch(json!({"contract_type": "first_hand", "converted_on": "2024-12-31"}))
                .problem(422);
        }
        let r = patch(json!({"contract_type": "first_hand", "converted_on": "2026-06-15"}));
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json["converted_on"], "2026-06-15");
        let q = b.raw(&b1, "2026-Q2");
        for f in [
            "social_notices_received",
            "reinstatement_periods",
            "contacted_before_reinstatement_end",
            "cycles_reinstated",
            "cycles_reinstated_paid",
            "second_hand_conversions",
        ] {
            q.add(f, 1);
        }
        q.days.push(3);
        if i < 5 {
            q.add("second_hand_converted_within_18m", 1);
            q.add("second_hand_converted_within_24m", 1);
        }
        b1_cases.push(case);
    }
    // Today: rent commitments (five in A1, one in A2), then closures.
    for (case, amount) in a1_cases
        .iter()
        .zip([10_000, 12_000, 12_000, 15_000, 30_000])
    {
        b.commitment(&a1, case, amount);
    }
    b.commitment(&a2, &a2_paid, 5_000);
    let a1_closures: [(&str, Option<u8>); 10] = [
        ("retained_paid", None),
        ("retained_paid", None),
        ("retained_paid", None),
        ("retained_paid", None),
        ("retained_paid", None),
        ("retained_rent_commitment", None),
        ("retained_payment_plan", None),
        ("evicted_homeless", Some(1)),
        ("evicted_homeless", Some(2)),
        ("moved_family_friends", Some(3)),
    ];
    for (case, (outcome, situation)) in a1_cases.iter().zip(a1_closures) {
        b.close(&a1, case, outcome, situation);
    }
    b.close(&a2, &a2_lapsed, "evicted_other", Some(4));
    for case in &b1_cases[..5] {
        b.close(&b1, case, "moved_municipal_contract", None);
    }
    // Five of A1's households are back within the year: a repeat signal each.
    for case in &a1_cases[..5] {
        b.transition(
            &a1,
            case,
            json!({"to": "reopened", "reason": "ny hyresskuld"}),
        );
        b.notice(
            &a1,
            case,
            json!({"kind": "arrears_reported", "sent_on": today().to_string(), "arrears_amount": 4000}),
        );
        b.raw(&a1, &quarter_of(today()))
            .add("repeat_signals_12m", 1);
    }
    let _ = org_b;
    World {
        analyst_a: mk("analyst.a", "analyst", &org_a, None),
        board: mk("analyst.lst", "analyst", &lst_id, None),
        unit_a1,
        unit_a2,
        unit_b1,
        raw: b.raw,
    }
}

/// The quarters from 2026-Q1 to today's, and the years they make.
fn periods() -> (Vec<String>, Vec<String>, String) {
    let mut quarters = Vec::new();
    let mut d = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    let last = today();
    let year_end = NaiveDate::from_ymd_opt(last.year(), 12, 31).expect("date");
    while d <= year_end {
        quarters.push(quarter_of(d));
        d = d.checked_add_months(chrono::Months::new(3)).expect("date");
    }
    let years = (2026..=last.year()).map(|y| y.to_string()).collect();
    (quarters, years, year_end.to_string())
}

/// The units a row covers.
fn units_of<'a>(w: &'a World, row: &Value) -> Vec<&'a String> {
    match (
        row["level"].as_str(),
        row["municipality_code"].as_str(),
        row["unit_id"].as_str(),
    ) {
        (Some("unit"), _, Some(u)) => [&w.unit_a1, &w.unit_a2, &w.unit_b1]
            .into_iter()
            .filter(|x| x.as_str() == u)
            .collect(),
        (_, Some("1480"), _) => vec![&w.unit_a1, &w.unit_a2],
        (_, Some("1401"), _) => vec![&w.unit_b1],
        _ => vec![&w.unit_a1, &w.unit_a2, &w.unit_b1],
    }
}

/// What a row's area held in its period (a quarter, or a year of quarters).
fn expected(w: &World, row: &Value) -> Raw {
    let period = row["period"].as_str().expect("period");
    let mut out = Raw::default();
    for ((unit, quarter), raw) in &w.raw {
        let in_period = quarter == period || quarter.starts_with(&format!("{period}-"));
        if !in_period || !units_of(w, row).contains(&unit) {
            continue;
        }
        for (f, n) in &raw.counts {
            out.add(f, *n);
        }
        out.days.extend(&raw.days);
        out.amounts.extend(&raw.amounts);
    }
    out
}

fn median(v: &[i64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_unstable();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    }
}

/// Every cell of every row: published with its raw value, or null and named in `suppressed`;
/// no small count published; medians and the share only over five cases. Returns the
/// published counts keyed by (area, period, figure).
fn check_rows(w: &World, rows: &[Value], published: &mut BTreeMap<(String, String, String), u64>) {
    for row in rows {
        let area = format!(
            "{}/{}/{}",
            row["level"].as_str().unwrap_or(""),
            row["municipality_code"].as_str().unwrap_or(""),
            row["unit_id"].as_str().unwrap_or("")
        );
        let period = row["period"].as_str().expect("period").to_owned();
        let at = format!("{area} {period}");
        let suppressed: Vec<&str> = row["suppressed"]
            .as_array()
            .expect("suppressed")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let raw = expected(w, row);
        let count = |f: &str| raw.counts.get(f).copied().unwrap_or(0);
        for f in counts() {
            match row[f].as_u64() {
                Some(v) => {
                    assert_eq!(v, count(f), "{at} {f}");
                    assert!(!suppressed.contains(&f), "{at} {f}");
                    assert!(!(1..5).contains(&v), "{at} {f} = {v} is small");
                    published.insert((area.clone(), period.clone(), f.into()), v);
                }
                None => assert!(
                    row[f].is_null() && suppressed.contains(&f) && count(f) > 0,
                    "{at} {f}: {row}"
                ),
            }
        }
        // Medians: over five cases or more; suppressed below; null over none.
        for (name, values) in [
            ("median_days_to_first_contact", &raw.days),
            ("median_rent_commitment_amount", &raw.amounts),
        ] {
            match values.len() {
                0 => assert!(
                    row[name].is_null() && !suppressed.contains(&name),
                    "{at} {name}"
                ),
                1..5 => assert!(
                    row[name].is_null() && suppressed.contains(&name),
                    "{at} {name}"
                ),
                _ => assert_eq!(row[name].as_f64(), Some(median(values)), "{at} {name}"),
            }
        }
        let share = "share_contacted_before_reinstatement_end";
        let (num, den) = (
            count("contacted_before_reinstatement_end"),
            count("reinstatement_periods"),
        );
        let hidden = |f: &str| suppressed.contains(&f);
        if den == 0 {
            assert!(row[share].is_null() && !hidden(share), "{at} share");
        } else if den < 5
            || hidden("reinstatement_periods")
            || hidden("contacted_before_reinstatement_end")
        {
            assert!(row[share].is_null() && hidden(share), "{at} share");
        } else {
            let want = (num as f64 * 1000.0 / den as f64).round() / 10.0;
            assert_eq!(row[share].as_f64(), Some(want), "{at} share");
        }
        let amount = "rent_commitment_amount";
        if hidden("rent_commitments_issued") {
            assert!(row[amount].is_null() && hidden(amount), "{at} amount");
        } else {
            let sum: i64 = raw.amounts.iter().sum();
            assert_eq!(row[amount].as_i64(), Some(sum), "{at} amount");
        }
    }
}

fn series(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/stats/prevention?{query}"), token);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json["rows"].as_array().expect("rows").clone()
}

fn value<'a>(rows: &'a [Value], level: &str, muni: Option<&str>, period: &str) -> &'a Value {
    rows.iter()
        .find(|r| {
            r["level"] == level && r["municipality_code"].as_str() == muni && r["period"] == period
        })
        .expect("row")
}

#[test]
fn the_prevention_series_shows_every_cell_or_suppresses_it_and_nothing_can_be_solved_for() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let w = world(&app);
        let (quarters, years, to) = periods();
        let by_quarter = format!("from=2026-01-01&to={to}&period=quarter");
        let by_year = format!("from=2026-01-01&to={to}&period=year");
        let now = quarter_of(today());
        let mut published = BTreeMap::new();

        let own = series(&app, &w.analyst_a, &by_quarter);
        assert_eq!(own.len(), quarters.len());
        let q1 = value(&own, "municipality", Some("1480"), "2026-Q1");
        assert_eq!(
            (
                q1["social_notices_received"].as_u64(),
                q1["cycles_reinstated"].as_u64(),
                q1["cycles_reinstated_paid"].as_u64(),
                q1["contacted_before_reinstatement_end"].as_u64(),
                q1["median_days_to_first_contact"].as_f64(),
                q1["share_contacted_before_reinstatement_end"].as_f64(),
            ),
            (Some(12), Some(8), Some(6), Some(8), Some(2.0), Some(66.7)),
            "{q1}"
        );
        for small in [
            "cycles_reinstated_rent_commitment",
            "cycles_reinstated_payment_plan",
            "cycles_lapsed",
        ] {
            assert!(q1[small].is_null(), "{small}: one, one and four are small");
        }
        let today_row = value(&own, "municipality", Some("1480"), &now);
        assert_eq!(today_row["rent_commitments_issued"], 6);
        assert_eq!(today_row["rent_commitment_amount"], 84_000);
        assert_eq!(today_row["median_rent_commitment_amount"], 12_000.0);
        assert_eq!(today_row["closures"], 11);
        assert_eq!(today_row["repeat_signals_12m"], 5);
        check_rows(&w, &own, &mut published);
        check_rows(
            &w,
            &series(&app, &w.analyst_a, &format!("{by_quarter}&group_by=unit")),
            &mut published,
        );
        let county = series(&app, &w.board, &by_quarter);
        let q2 = value(&county, "county", None, "2026-Q2");
        assert_eq!(q2["county_code"], "14");
        assert_eq!(
            (
                q2["social_notices_received"].as_u64(),
                q2["cycles_reinstated_paid"].as_u64(),
                q2["second_hand_conversions"].as_u64(),
                q2["second_hand_converted_within_18m"].as_u64(),
            ),
            (Some(6), Some(6), Some(6), Some(5)),
            "the county adds up its municipalities: {q2}"
        );
        check_rows(&w, &county, &mut published);
        for q in [
            format!("{by_quarter}&group_by=unit"),
            by_year.clone(),
            format!("{by_year}&group_by=unit"),
        ] {
            check_rows(&w, &series(&app, &w.board, &q), &mut published);
        }
        // The county's row is the sum of its municipalities' wherever all are published.
        for p in &quarters {
            let c = value(&county, "county", None, p);
            for f in counts() {
                let parts: Option<u64> = ["1401", "1480"]
                    .iter()
                    .map(|m| value(&county, "municipality", Some(m), p)[f].as_u64())
                    .sum();
                if let (Some(total), Some(parts)) = (c[f].as_u64(), parts) {
                    assert_eq!(total, parts, "{p} {f}");
                }
            }
        }
        attacker_solves_nothing(&w, &quarters, &years, &published);
        csv_matches_json(&app, &w.board, &format!("{by_quarter}&group_by=unit"));
    });
}

/// The CSV of a query: the same rows and cells as its JSON, suppressed cells `..`.
fn csv_matches_json(app: &TestApp, token: &str, query: &str) {
    let rows = series(app, token, query);
    let csv = app
        .req("GET", &format!("/api/v1/stats/prevention?{query}"))
        .token(token)
        .header("accept", "text/csv")
        .send();
    assert_eq!(csv.status, 200, "{}", csv.body);
    let lines: Vec<&str> = csv.body.split("\r\n").filter(|l| !l.is_empty()).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(
        &header[..5],
        [
            "period",
            "level",
            "county_code",
            "municipality_code",
            "unit_id"
        ]
    );
    let columns = &header[5..];
    for c in counts() {
        assert!(columns.contains(&c), "{c} is a column");
    }
    assert_eq!(lines.len(), rows.len() + 1);
    for (line, row) in lines[1..].iter().zip(&rows) {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), header.len());
        assert_eq!(fields[0], row["period"]);
        let suppressed: Vec<&str> = row["suppressed"]
            .as_array()
            .expect("suppressed")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for (c, cell) in columns.iter().zip(&fields[5..]) {
            let want = match &row[*c] {
                _ if suppressed.contains(c) => "..".to_owned(),
                Value::Null => String::new(),
                v => v.to_string(),
            };
            assert_eq!(*cell, want, "{} {c}", row["period"]);
        }
    }
}

/// Every count cell of every area (county, municipalities, units), quarter and year is an
/// unknown unless published; the equations are the sums the answers imply (units into
/// municipalities into the county, quarters into years, outcomes into their totals). A
/// suppressed cell is determined when its unit vector lies in the equations' row space.
fn attacker_solves_nothing(
    w: &World,
    quarters: &[String],
    years: &[String],
    published: &BTreeMap<(String, String, String), u64>,
) {
    let units = [
        ("1480", w.unit_a1.as_str()),
        ("1480", w.unit_a2.as_str()),
        ("1401", w.unit_b1.as_str()),
    ];
    let area = |level: &str, m: &str, u: &str| format!("{level}/{m}/{u}");
    let mut areas = vec![
        area("county", "", ""),
        area("municipality", "1401", ""),
        area("municipality", "1480", ""),
    ];
    areas.extend(units.iter().map(|(m, u)| area("unit", m, u)));
    let mut cells: Vec<(String, String, String)> = Vec::new();
    let mut idx = |k: (String, String, String)| match cells.iter().position(|c| *c == k) {
        Some(i) => i,
        None => {
            cells.push(k);
            cells.len() - 1
        }
    };
    let mut sums: Vec<(usize, Vec<usize>)> = Vec::new();
    let all_periods: Vec<&String> = quarters.iter().chain(years).collect();
    for p in &all_periods {
        for f in counts() {
            let k = |a: String| (a, (*p).clone(), f.to_owned());
            let county = idx(k(area("county", "", "")));
            let munis: Vec<usize> = ["1401", "1480"]
                .iter()
                .map(|m| idx(k(area("municipality", m, ""))))
                .collect();
            sums.push((county, munis.clone()));
            for (i, m) in ["1401", "1480"].iter().enumerate() {
                let parts = units
                    .iter()
                    .filter(|(mm, _)| mm == m)
                    .map(|(mm, u)| idx(k(area("unit", mm, u))))
                    .collect();
                sums.push((munis[i], parts));
            }
        }
    }
    for a in &areas {
        for f in counts() {
            for y in years {
                let k = |p: &str| (a.clone(), p.to_owned(), f.to_owned());
                let parts = quarters
                    .iter()
                    .filter(|q| q.starts_with(&format!("{y}-")))
                    .map(|q| idx(k(q)))
                    .collect();
                sums.push((idx(k(y)), parts));
            }
        }
        for p in &all_periods {
            for (total, parts) in ROW_SUMS {
                let k = |f: &str| (a.clone(), (*p).clone(), f.to_owned());
                sums.push((idx(k(total)), parts.iter().map(|f| idx(k(f))).collect()));
            }
        }
    }
    let unknown: Vec<usize> = (0..cells.len())
        .filter(|&i| !published.contains_key(&cells[i]))
        .collect();
    let matrix: Vec<Vec<f64>> = sums
        .iter()
        .map(|(t, parts)| {
            unknown
                .iter()
                .map(|u| {
                    f64::from(u8::from(t == u)) - parts.iter().filter(|p| *p == u).count() as f64
                })
                .collect()
        })
        .filter(|r: &Vec<f64>| r.iter().any(|v| *v != 0.0))
        .collect();
    let det = determined(matrix);
    for (j, u) in unknown.iter().enumerate() {
        assert!(
            !det[j],
            "{:?} can be solved for from the published cells",
            cells[*u]
        );
    }
}

/// Which unknowns the equations `rows · x = b` determine: x_j is determined when e_j lies in
/// the row space, i.e. when its pivot row of the reduced row echelon form has no other
/// non-zero entry.
fn determined(mut m: Vec<Vec<f64>>) -> Vec<bool> {
    let width = m.first().map_or(0, Vec::len);
    let mut pivots = Vec::new();
    let mut r = 0;
    for c in 0..width {
        let Some(p) = (r..m.len()).max_by(|&a, &b| m[a][c].abs().total_cmp(&m[b][c].abs())) else {
            break;
        };
        if m[p][c].abs() < 1e-9 {
            continue;
        }
        m.swap(r, p);
        let pivot: Vec<f64> = m[r].iter().map(|v| v / m[r][c]).collect();
        m[r] = pivot.clone();
        for (i, row) in m.iter_mut().enumerate() {
            if i != r && row[c].abs() > 1e-12 {
                let f = row[c];
                row.iter_mut().zip(&pivot).for_each(|(v, p)| *v -= f * p);
            }
        }
        pivots.push((r, c));
        r += 1;
    }
    let mut out = vec![false; width];
    for (r, c) in pivots {
        out[c] = m[r]
            .iter()
            .enumerate()
            .all(|(j, v)| j == c || v.abs() < 1e-9);
    }
    out
}
