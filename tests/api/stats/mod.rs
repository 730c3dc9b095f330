//! Statistics over HTTP (issue 15): a known world of Kronofogden events (with and without
//! children and social services) in two municipalities of one county and one of another, then
//! every cell of the enforcement series checked against the raw counts, suppression included,
//! the CSV against the JSON, the county view against its municipalities, and an attacker who
//! holds every published answer solving for the suppressed cells.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::integrations::{submit, token};
use crate::support::{PASSWORD, TestApp, each_backend};

mod concurrency;
mod prevention;

/// A valid personnummer born on `date` (`YYYYMMDD`) with serial `n`.
pub(super) fn pnr(date: &str, n: u32) -> String {
    let nine = format!("{}{n:03}", &date[2..]);
    let sum: u32 = nine
        .chars()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| {
            let p = if i % 2 == 0 { d * 2 } else { d };
            p / 10 + p % 10
        })
        .sum();
    format!("{}-{n:03}{}", date, (10 - sum % 10) % 10)
}

pub(super) fn adult(i: u32) -> String {
    pnr("19800101", 100 + i * 2)
}

fn event(who: &str, code: &str, kind: &str, day: &str, extra: Value) -> Value {
    let mut e = json!({"event_type": kind, "occurred_at": format!("{day}T09:00:00Z"),
        "kfm_case_number": format!("Ä-{who}-{kind}"), "municipality_code": code,
        "tenant": {"personnummer": who, "name": "Test Testsson"},
        "address": {"street": "Storgatan 1", "postal_code": "11122", "city": "Staden", "municipality_code": code}});
    if let (Some(e), Some(x)) = (e.as_object_mut(), extra.as_object()) {
        e.extend(x.clone());
    }
    e
}

struct World {
    analyst_a: String,
    analyst_b: String,
    board: String,
    auditor_a: String,
    admin: String,
    unit_a1: String,
    unit_a2: String,
    unit_b1: String,
}

fn world(app: &TestApp) -> World {
    let admin = app.admin_token();
    let (org_a, unit_a1) = app.municipality(&admin, "1480");
    let (org_b, unit_b1) = app.municipality(&admin, "1401");
    let (org_c, _) = app.municipality(&admin, "0180");
    let unit_a2 = app
        .post(
            &format!("/api/v1/organizations/{org_a}/units"),
            &admin,
            json!({"name": "A2"}),
        )
        .str("id");
    let no_county = app.post(
        "/api/v1/organizations",
        &admin,
        json!({"kind": "county_board", "name": "Lst"}),
    );
    assert_eq!(no_county.problem(422)["errors"][0]["field"], "county_code");
    let wrong = app.post("/api/v1/organizations", &admin,
        json!({"kind": "municipality", "name": "X", "municipality_code": "1402", "county_code": "01"}));
    wrong.problem(422);
    let lst = app.post(
        "/api/v1/organizations",
        &admin,
        json!({"kind": "county_board", "name": "Länsstyrelsen", "county_code": "14"}),
    );
    assert_eq!(lst.status, 201, "{}", lst.body);
    assert_eq!(lst.json["county_code"], "14");
    let muni = app.get(&format!("/api/v1/organizations/{org_a}"), &admin);
    assert_eq!(muni.json["county_code"], "14", "derived from the kommunkod");
    let mk = |name: &str, role: &str, org: &str, unit: Option<&str>| {
        app.user(&admin, name, role, org, unit);
        app.login(name, PASSWORD).access
    };
    let w = World {
        analyst_a: mk("analyst.a", "analyst", &org_a, None),
        analyst_b: mk("analyst.b", "analyst", &org_b, None),
        board: mk("analyst.lst", "analyst", &lst.str("id"), None),
        auditor_a: mk("auditor.a", "auditor", &org_a, None),
        admin: admin.clone(),
        unit_a1,
        unit_a2: unit_a2.clone(),
        unit_b1,
    };
    // p4's household (two children: permanent and alternating) is followed in unit A2.
    let worker = mk("worker.a2", "caseworker", &org_a, Some(&unit_a2));
    let h = app.post("/api/v1/households", &worker, json!({
        "address": {"street": "Storgatan 1", "postal_code": "11122", "city": "Staden", "municipality_code": "1480"},
        "members": [
            {"personnummer": adult(4), "name": "P Fyra", "relation": "self"},
            {"personnummer": pnr("20150102", 238), "name": "Barn Ett", "relation": "child", "residence": "permanent"},
            {"personnummer": pnr("20160304", 244), "name": "Barn Två", "relation": "child", "residence": "alternating"}
        ]}));
    assert_eq!(h.status, 201, "{}", h.body);
    let c = app.post(
        "/api/v1/cases",
        &worker,
        json!({"household_id": h.str("id")}),
    );
    assert_eq!(c.status, 201, "{}", c.body);
    // Kronofogden's events.
    let kfm = app.post("/api/v1/organizations", &admin,
        json!({"kind": "enforcement_authority", "name": "Kronofogden", "org_number": "202100-5026"}));
    let client = app.post(
        "/api/v1/integration-clients",
        &admin,
        json!({"organization_id": kfm.str("id"), "name": "KFM", "scopes": ["enforcement:submit"]}),
    );
    let kfm = token(app, &client.json);
    let mut n = 0;
    let mut send = |e: Value| {
        n += 1;
        let r = submit(app, &kfm, "/api/v1/enforcement/events", &format!("k{n}"), e);
        assert_eq!(r.status, 202, "{}", r.body);
    };
    let none = json!({});
    for i in 1..=7 {
        send(event(
            &adult(i),
            "1480",
            "kfm_application_received",
            "2026-01-15",
            none.clone(),
        ));
    }
    for i in 1..=3 {
        send(event(
            &adult(i),
            "1480",
            "kfm_withdrawn",
            "2026-02-10",
            none.clone(),
        ));
    }
    for i in 8..=13 {
        send(event(
            &adult(i),
            "1480",
            "kfm_application_received",
            "2026-04-10",
            none.clone(),
        ));
    }
    send(event(
        &adult(4),
        "1480",
        "kfm_executed",
        "2026-05-05",
        json!({"outcome": "executed",
        "children_present": true, "social_services_present": true, "children_registered": 2, "children_not_registered": 0}),
    ));
    send(event(
        &adult(5),
        "1480",
        "kfm_executed",
        "2026-05-05",
        json!({"outcome": "executed",
        "children_present": true, "social_services_present": false, "children_registered": 0, "children_not_registered": 1}),
    ));
    for i in 6..=8 {
        send(event(
            &adult(i),
            "1480",
            "kfm_executed",
            "2026-05-06",
            json!({"outcome": "executed"}),
        ));
    }
    send(event(
        &adult(9),
        "1480",
        "kfm_executed",
        "2026-05-07",
        json!({"outcome": "abandoned"}),
    ));
    for i in 20..=21 {
        send(event(
            &adult(i),
            "1401",
            "kfm_application_received",
            "2026-02-01",
            none.clone(),
        ));
    }
    for i in 22..=26 {
        send(event(
            &adult(i),
            "1401",
            "kfm_application_received",
            "2026-05-01",
            none.clone(),
        ));
    }
    send(event(
        &adult(30),
        "0180",
        "kfm_application_received",
        "2026-03-01",
        none.clone(),
    ));
    let _ = org_c;
    w
}

/// The raw counts: (unit, period) → figure → value; figures not named are 0.
fn raw(w: &World) -> BTreeMap<(String, &'static str), BTreeMap<&'static str, u64>> {
    let mut m = BTreeMap::new();
    let mut put = |unit: &str, p: &'static str, figures: &[(&'static str, u64)]| {
        m.insert(
            (unit.to_owned(), p),
            figures.iter().copied().collect::<BTreeMap<_, _>>(),
        );
    };
    put(
        &w.unit_a1,
        "2026-Q1",
        &[("applications_received", 6), ("applications_withdrawn", 3)],
    );
    put(
        &w.unit_a1,
        "2026-Q2",
        &[
            ("applications_received", 6),
            ("evictions_executed", 4),
            ("evictions_abandoned", 1),
            ("evictions_with_children", 1),
            ("children_not_registered", 1),
            ("evictions_children_present", 1),
            ("evictions_children_present_without_social_services", 1),
        ],
    );
    put(&w.unit_a2, "2026-Q1", &[("applications_received", 1)]);
    put(
        &w.unit_a2,
        "2026-Q2",
        &[
            ("evictions_executed", 1),
            ("evictions_with_children", 1),
            ("children_affected", 2),
            ("children_permanent", 1),
            ("children_alternating", 1),
            ("children_registered", 2),
            ("evictions_children_present", 1),
            ("evictions_children_present_with_social_services", 1),
        ],
    );
    put(&w.unit_b1, "2026-Q1", &[("applications_received", 2)]);
    put(&w.unit_b1, "2026-Q2", &[("applications_received", 5)]);
    m
}

const FIGURES: [&str; 15] = [
    "applications_received",
    "applications_withdrawn",
    "evictions_executed",
    "evictions_abandoned",
    "evictions_moved_voluntarily",
    "evictions_with_children",
    "children_affected",
    "children_permanent",
    "children_alternating",
    "children_visiting",
    "children_registered",
    "children_not_registered",
    "evictions_children_present",
    "evictions_children_present_with_social_services",
    "evictions_children_present_without_social_services",
];

/// The raw value of a row's area (a unit, a municipality's units, the county's) in a period.
fn expected(w: &World, row: &Value, figure: &str) -> u64 {
    let raw = raw(w);
    let units: Vec<&String> = match (row["level"].as_str(), row["municipality_code"].as_str()) {
        (Some("unit"), _) => vec![],
        (_, Some("1480")) => vec![&w.unit_a1, &w.unit_a2],
        (_, Some("1401")) => vec![&w.unit_b1],
        _ => vec![&w.unit_a1, &w.unit_a2, &w.unit_b1],
    };
    let unit_row = row["unit_id"].as_str().map(str::to_owned);
    let periods: Vec<&str> = match row["period"].as_str() {
        Some("2026-H1") => vec!["2026-Q1", "2026-Q2"],
        Some(p) => vec![if p == "2026-Q1" { "2026-Q1" } else { "2026-Q2" }],
        None => vec![],
    };
    let mut sum = 0;
    for p in periods {
        for u in units.iter().map(|u| (*u).clone()).chain(unit_row.clone()) {
            sum += raw
                .get(&(u, p))
                .and_then(|f| f.get(figure))
                .copied()
                .unwrap_or(0);
        }
    }
    sum
}

/// Every cell: published with its raw value, or null and named in `suppressed`; every small
/// cell suppressed. Returns the published cells keyed by (area, period, figure).
fn check_cells(w: &World, rows: &[Value], published: &mut BTreeMap<(String, String, String), u64>) {
    for row in rows {
        let area = format!(
            "{}/{}/{}",
            row["level"].as_str().unwrap_or(""),
            row["municipality_code"].as_str().unwrap_or(""),
            row["unit_id"].as_str().unwrap_or("")
        );
        let suppressed: Vec<&str> = row["suppressed"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for f in FIGURES {
            let want = expected(w, row, f);
            match row[f].as_u64() {
                Some(v) => {
                    assert_eq!(v, want, "{area} {} {f}", row["period"]);
                    assert!(!suppressed.contains(&f));
                    assert!(
                        !(1..5).contains(&v),
                        "{area} {} {f} = {v} is small",
                        row["period"]
                    );
                    published.insert(
                        (
                            area.clone(),
                            row["period"].as_str().unwrap().into(),
                            f.into(),
                        ),
                        v,
                    );
                }
                None => {
                    assert!(
                        row[f].is_null() && suppressed.contains(&f),
                        "{area} {f}: {row}"
                    );
                }
            }
        }
    }
}

fn stats(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/stats/enforcement?{query}"), token);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json["rows"].as_array().unwrap().clone()
}

const QUARTERS: &str = "from=2026-01-01&to=2026-06-30&period=quarter";

#[test]
fn the_enforcement_series_shows_every_cell_or_suppresses_it_and_nothing_can_be_solved_for() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let w = world(&app);
        let mut published = BTreeMap::new();
        // A municipality's analyst: its own rows only.
        let own = stats(&app, &w.analyst_a, QUARTERS);
        assert_eq!(own.len(), 2, "{own:?}");
        assert!(
            own.iter()
                .all(|r| r["municipality_code"] == "1480" && r["level"] == "municipality")
        );
        assert_eq!(own[0]["period"], "2026-Q1");
        assert_eq!(
            own[1]["evictions_executed"], 5,
            "five executions in Q2 are shown"
        );
        assert_eq!(own[1]["applications_withdrawn"], 0);
        assert!(
            own[0]["applications_withdrawn"].is_null(),
            "three withdrawals are a small cell"
        );
        check_cells(&w, &own, &mut published);
        let units = stats(&app, &w.analyst_a, &format!("{QUARTERS}&group_by=unit"));
        assert_eq!(
            units.len(),
            6,
            "the municipality and its two units, two quarters"
        );
        check_cells(&w, &units, &mut published);
        check_cells(&w, &stats(&app, &w.analyst_b, QUARTERS), &mut published);
        // The county board: the county's municipalities (not 0180) and the county total.
        let county = stats(&app, &w.board, QUARTERS);
        let areas: Vec<(&str, Option<&str>)> = county
            .iter()
            .map(|r| {
                (
                    r["level"].as_str().unwrap(),
                    r["municipality_code"].as_str(),
                )
            })
            .collect();
        assert_eq!(
            areas,
            [
                ("county", None),
                ("county", None),
                ("municipality", Some("1401")),
                ("municipality", Some("1401")),
                ("municipality", Some("1480")),
                ("municipality", Some("1480"))
            ]
        );
        assert_eq!(county[0]["county_code"], "14");
        assert_eq!(
            (
                county[0]["applications_received"].as_u64(),
                county[1]["applications_received"].as_u64()
            ),
            (Some(9), Some(11)),
            "the county adds up its municipalities, not 0180's"
        );
        assert_eq!(county[1]["evictions_executed"], 5);
        check_cells(&w, &county, &mut published);
        check_cells(
            &w,
            &stats(&app, &w.board, &format!("{QUARTERS}&group_by=unit")),
            &mut published,
        );
        let half = stats(
            &app,
            &w.board,
            "from=2026-01-01&to=2026-06-30&period=half_year&group_by=unit",
        );
        assert_eq!(half[0]["period"], "2026-H1");
        check_cells(&w, &half, &mut published);
        // The same cell gets the same answer whoever asks.
        assert_eq!(
            own[1], county[5],
            "1480's Q2 row in its own view and the county's"
        );
        attacker_solves_nothing(&w, &published);
    });
}

/// Every cell of the world as an unknown unless some answer published it; the equations are
/// the sums the answers imply (units into municipalities into the county, quarters into the
/// half year, children by residence, children present by social services). A suppressed cell
/// is determined when removing its column lowers the rank of the system.
fn attacker_solves_nothing(w: &World, published: &BTreeMap<(String, String, String), u64>) {
    let units = [
        ("1480", w.unit_a1.as_str()),
        ("1480", w.unit_a2.as_str()),
        ("1401", w.unit_b1.as_str()),
    ];
    let area = |level: &str, m: &str, u: &str| format!("{level}/{m}/{u}");
    let mut cells: Vec<(String, String, String)> = Vec::new();
    let mut idx = |k: (String, String, String)| match cells.iter().position(|c| *c == k) {
        Some(i) => i,
        None => {
            cells.push(k);
            cells.len() - 1
        }
    };
    let mut sums: Vec<(usize, Vec<usize>)> = Vec::new();
    for p in ["2026-Q1", "2026-Q2", "2026-H1"] {
        for f in FIGURES {
            let k = |a: String| (a, p.to_owned(), f.to_owned());
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
    let mut areas: Vec<String> = vec![
        area("county", "", ""),
        area("municipality", "1401", ""),
        area("municipality", "1480", ""),
    ];
    areas.extend(units.iter().map(|(m, u)| area("unit", m, u)));
    for a in &areas {
        for f in FIGURES {
            let k = |p: &str| (a.clone(), p.to_owned(), f.to_owned());
            sums.push((
                idx(k("2026-H1")),
                vec![idx(k("2026-Q1")), idx(k("2026-Q2"))],
            ));
        }
        for p in ["2026-Q1", "2026-Q2", "2026-H1"] {
            let k = |f: &str| (a.clone(), p.to_owned(), f.to_owned());
            sums.push((
                idx(k("children_affected")),
                [
                    "children_permanent",
                    "children_alternating",
                    "children_visiting",
                ]
                .iter()
                .map(|f| idx(k(f)))
                .collect(),
            ));
            sums.push((
                idx(k("evictions_children_present")),
                [
                    "evictions_children_present_with_social_services",
                    "evictions_children_present_without_social_services",
                ]
                .iter()
                .map(|f| idx(k(f)))
                .collect(),
            ));
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
    let full = rank(&matrix, None);
    for (j, u) in unknown.iter().enumerate() {
        assert_eq!(
            rank(&matrix, Some(j)),
            full,
            "{:?} can be solved for from the published cells",
            cells[*u]
        );
    }
}

fn rank(rows: &[Vec<f64>], without: Option<usize>) -> usize {
    let mut m: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .filter(|(j, _)| Some(*j) != without)
                .map(|(_, v)| *v)
                .collect()
        })
        .collect();
    let width = m.first().map_or(0, Vec::len);
    let mut r = 0;
    for c in 0..width {
        let Some(p) = (r..m.len()).max_by(|&a, &b| m[a][c].abs().total_cmp(&m[b][c].abs())) else {
            break;
        };
        if m[p][c].abs() < 1e-9 {
            continue;
        }
        m.swap(r, p);
        let pivot = m[r].clone();
        for (i, row) in m.iter_mut().enumerate() {
            if i != r {
                let f = row[c] / pivot[c];
                row.iter_mut().zip(&pivot).for_each(|(v, p)| *v -= f * p);
            }
        }
        r += 1;
    }
    r
}

#[test]
fn csv_has_the_same_cells_periods_must_be_whole_and_only_analysts_get_statistics() {
    each_backend(|backend| {
        let app = TestApp::spawn(backend);
        let w = world(&app);
        let rows = stats(&app, &w.board, QUARTERS);
        let csv = app
            .req("GET", &format!("/api/v1/stats/enforcement?{QUARTERS}"))
            .token(&w.board)
            .header("accept", "text/csv")
            .send();
        assert_eq!(csv.status, 200, "{}", csv.body);
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
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
        assert_eq!(&header[5..], FIGURES);
        assert_eq!(lines.len(), rows.len() + 1);
        for (line, row) in lines[1..].iter().zip(&rows) {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields[0], row["period"]);
            for (f, cell) in FIGURES.iter().zip(&fields[5..]) {
                match row[*f].as_u64() {
                    Some(v) => assert_eq!(*cell, v.to_string()),
                    None => assert_eq!(*cell, "..", "a suppressed cell is .."),
                }
            }
        }
        // Periods are whole: otherwise two answers could be subtracted.
        for q in [
            "from=2026-01-02&to=2026-06-30&period=quarter",
            "from=2026-01-01&to=2026-06-29&period=quarter",
            "from=2026-01-01&to=2026-06-30&period=year",
            "from=2026-07-01&to=2026-06-30&period=month",
        ] {
            app.get(&format!("/api/v1/stats/enforcement?{q}"), &w.analyst_a)
                .problem(422);
        }
        let p = app.get(
            &format!("/api/v1/stats/prevention?{QUARTERS}"),
            &w.analyst_a,
        );
        assert_eq!(p.status, 200, "{}", p.body);
        for t in [&w.admin, &w.auditor_a] {
            app.get(&format!("/api/v1/stats/enforcement?{QUARTERS}"), t)
                .problem(403);
            app.get(&format!("/api/v1/stats/prevention?{QUARTERS}"), t)
                .problem(403);
        }
    });
}
