//! Building a series: the areas the analyst reaches (scope), their cells summed into periods
//! and up the county → municipality → unit tree, then disclosure control over the whole cube
//! (every figure, area and period at once, plus the range totals a coarser query would
//! publish), then rows.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::dto::{GroupBy, StatsQuery, StatsResponse, StatsRow};
use super::repo::{self, Cell};
use crate::auth::policy::Grant;
use crate::auth::scope::{self, StatsReach};
use crate::domain::statistics::{self as st, Figure, median};
use crate::domain::suppression::{self, Cube, ratio_published};
use crate::error::{ApiError, FieldError};
use crate::http::csv::Csv;
use crate::state::AppState;

/// The two series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    Enforcement,
    Prevention,
}

const MEDIAN: &str = "median_days_to_first_contact";
const SHARE: &str = "share_contacted_before_reinstatement_end";
const AMOUNT: &str = "rent_commitment_amount";
const MEDIAN_AMOUNT: &str = "median_rent_commitment_amount";

impl Series {
    fn counts(self) -> &'static [Figure] {
        match self {
            Series::Enforcement => st::ENFORCEMENT,
            Series::Prevention => st::PREVENTION,
        }
    }

    fn sums(self) -> &'static [(Figure, &'static [Figure])] {
        match self {
            Series::Enforcement => st::ENFORCEMENT_SUMS,
            Series::Prevention => st::PREVENTION_SUMS,
        }
    }

    /// The figure columns in order (CSV).
    pub fn columns(self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for f in self.counts() {
            out.push(f.as_str());
            if self == Series::Prevention {
                match f {
                    Figure::SocialNoticesReceived => out.push(MEDIAN),
                    Figure::ContactedBeforeReinstatementEnd => out.push(SHARE),
                    Figure::RentCommitmentsIssued => out.extend([AMOUNT, MEDIAN_AMOUNT]),
                    _ => {}
                }
            }
        }
        out
    }
}

/// One area of the cube, parents before children.
struct Area {
    level: &'static str,
    parent: Option<usize>,
    county: Option<String>,
    municipality: Option<String>,
    unit: Option<String>,
    /// The unit whose cells are this area's (units are the leaves).
    key: String,
    /// Whether the caller gets this area's rows.
    shown: bool,
}

/// The cube's areas: always the whole county of the municipalities `reach` covers, down to
/// the units, whatever the caller is shown, so that a cell gets the same decision in every
/// answer (a municipality's own view, the county board's, by unit or not) and no two answers
/// together give a suppressed cell away.
fn areas(
    conn: &mut crate::db::AnyConnection,
    reach: StatsReach<'_>,
    own_county: Option<&str>,
    group_by: GroupBy,
) -> diesel::QueryResult<Vec<Area>> {
    let (own, county) = match reach {
        StatsReach::Municipality(id) => (Some(id), own_county),
        StatsReach::County(c) => (None, Some(c)),
        StatsReach::Nothing => return Ok(Vec::new()),
    };
    let munis = match county {
        Some(c) => repo::municipalities(conn, None, Some(c))?,
        None => repo::municipalities(conn, own, None)?,
    };
    let mut out = Vec::new();
    if let Some(c) = county {
        out.push(Area {
            level: "county",
            parent: None,
            county: Some(c.to_owned()),
            municipality: None,
            unit: None,
            key: String::new(),
            shown: own.is_none(),
        });
    }
    let ids: Vec<String> = munis.iter().map(|m| m.0.clone()).collect();
    let units = repo::units_of(conn, &ids)?;
    for (id, code, county_code) in munis {
        let at = out.len();
        let shown = own.is_none_or(|o| o == id);
        out.push(Area {
            level: "municipality",
            parent: county.map(|_| 0),
            county: county_code.clone(),
            municipality: code.clone(),
            unit: None,
            key: String::new(),
            shown,
        });
        for (unit, _) in units.iter().filter(|(_, org)| *org == id) {
            out.push(Area {
                level: "unit",
                parent: Some(at),
                county: county_code.clone(),
                municipality: code.clone(),
                unit: Some(unit.clone()),
                key: unit.clone(),
                shown: shown && group_by == GroupBy::Unit,
            });
        }
    }
    Ok(out)
}

/// `GET /stats/{series}`.
pub async fn series(
    state: &AppState,
    grant: Grant,
    which: Series,
    q: StatsQuery,
) -> Result<StatsResponse, ApiError> {
    let starts = q.period.span(q.from, q.to).ok_or_else(|| {
        ApiError::Validation(vec![
            FieldError::new("from", "must be the first day of a period"),
            FieldError::new(
                "to",
                "must be the last day of a period, not before from, at most 120 periods",
            ),
        ])
    })?;
    let group_by = q.group_by.unwrap_or_default();
    // Periods whose latest reading passed since yesterday count as decided from today.
    crate::worklist::service::sweep_if_due(state, crate::domain::sweden::today()).await?;
    let rows = state
        .db
        .run(move |conn| {
            let county = repo::county_of(conn, &grant.organization_id)?;
            let reach = scope::statistics(&grant, county.as_deref());
            let areas = areas(conn, reach, county.as_deref(), group_by)?;
            let units: Vec<String> = areas
                .iter()
                .filter(|a| a.level == "unit")
                .map(|a| a.key.clone())
                .collect();
            let mut figures: Vec<&str> = which.counts().iter().map(|f| f.as_str()).collect();
            if which == Series::Prevention {
                figures.extend([
                    Figure::DaysToFirstContact.as_str(),
                    Figure::RentCommitmentAmount.as_str(),
                    Figure::RentCommitmentAmounts.as_str(),
                ]);
            }
            let cells = repo::cells(conn, &units, q.from, q.to, &figures)?;
            Ok::<_, ApiError>(build(which, &areas, &starts, q.period, &cells))
        })
        .await?;
    Ok(StatsResponse { rows })
}

/// Per (area, period) sums of the non-count figures: the days and amounts histograms and the
/// amount.
#[derive(Default, Clone)]
struct Extra {
    days: BTreeMap<i64, i64>,
    amounts: BTreeMap<i64, i64>,
    amount: i64,
}

fn build(
    which: Series,
    areas: &[Area],
    starts: &[NaiveDate],
    period: st::Period,
    cells: &[Cell],
) -> Vec<StatsRow> {
    let counts = which.counts();
    let cube = Cube {
        figures: counts.len(),
        parents: areas.iter().map(|a| a.parent).collect(),
        periods: starts.len(),
        figure_sums: which
            .sums()
            .iter()
            .map(|(t, parts)| {
                let at = |f: &Figure| counts.iter().position(|c| c == f).unwrap_or(0);
                (at(t), parts.iter().map(at).collect())
            })
            .collect(),
    };
    let leaves: std::collections::HashMap<&str, usize> = areas
        .iter()
        .enumerate()
        .filter(|(_, a)| a.level == "unit")
        .map(|(i, a)| (a.key.as_str(), i))
        .collect();
    let mut values = vec![0u64; cube.len()];
    let mut extra = vec![Extra::default(); areas.len() * starts.len()];
    for (unit, figure, month, bucket, value) in cells {
        let Some(&a) = leaves.get(unit.as_str()) else {
            continue;
        };
        let p = starts.partition_point(|s| s <= month).saturating_sub(1);
        let x = &mut extra[a * starts.len() + p];
        match Figure::parse(figure) {
            Some(Figure::DaysToFirstContact) => {
                *x.days.entry(i64::from(*bucket)).or_default() += value
            }
            Some(Figure::RentCommitmentAmount) => x.amount += value,
            Some(Figure::RentCommitmentAmounts) => {
                *x.amounts.entry(i64::from(*bucket)).or_default() += value
            }
            Some(f) => {
                if let Some(i) = counts.iter().position(|c| *c == f) {
                    values[cube.index(i, a, p)] += value.max(&0).unsigned_abs();
                }
            }
            None => {}
        }
    }
    // Up the tree (children come after their parent), then the range totals.
    for a in (0..areas.len()).rev() {
        let Some(parent) = areas[a].parent else {
            continue;
        };
        for p in 0..starts.len() {
            for f in 0..counts.len() {
                values[cube.index(f, parent, p)] += values[cube.index(f, a, p)];
            }
            let child = extra[a * starts.len() + p].clone();
            let up = &mut extra[parent * starts.len() + p];
            up.amount += child.amount;
            for (d, n) in child.days {
                *up.days.entry(d).or_default() += n;
            }
            for (a, n) in child.amounts {
                *up.amounts.entry(a).or_default() += n;
            }
        }
    }
    for f in 0..counts.len() {
        for a in 0..areas.len() {
            values[cube.index(f, a, starts.len())] =
                (0..starts.len()).map(|p| values[cube.index(f, a, p)]).sum();
        }
    }
    let hidden = suppression::suppress(&values, &cube.sums());
    let mut rows = Vec::new();
    for (a, area) in areas.iter().enumerate().filter(|(_, a)| a.shown) {
        for (p, start) in starts.iter().enumerate() {
            let mut row = StatsRow {
                period: period.label(*start),
                level: area.level.into(),
                county_code: area.county.clone(),
                municipality_code: area.municipality.clone(),
                unit_id: area.unit.clone(),
                figures: BTreeMap::new(),
                suppressed: Vec::new(),
            };
            let count = |f: Figure| {
                counts.iter().position(|c| *c == f).map(|i| {
                    let at = cube.index(i, a, p);
                    (values[at], hidden[at])
                })
            };
            for (i, f) in counts.iter().enumerate() {
                let at = cube.index(i, a, p);
                publish(
                    &mut row,
                    f.as_str(),
                    (!hidden[at]).then(|| values[at].into()),
                );
            }
            if which == Series::Prevention {
                derived(&mut row, &extra[a * starts.len() + p], count);
            }
            rows.push(row);
        }
    }
    rows
}

fn publish(row: &mut StatsRow, name: &'static str, value: Option<serde_json::Number>) {
    if value.is_none() {
        row.suppressed.push(name);
    }
    row.figures.insert(name, value);
}

/// A median of a histogram: null over no cases, suppressed over fewer than five.
fn publish_median(row: &mut StatsRow, name: &'static str, histogram: &BTreeMap<i64, i64>) {
    let hist: Vec<(i64, i64)> = histogram.iter().map(|(d, n)| (*d, *n)).collect();
    match median(&hist) {
        (None, _) => {
            row.figures.insert(name, None);
        }
        (Some(m), n) => publish(
            row,
            name,
            ratio_published(n)
                .then(|| serde_json::Number::from_f64(m))
                .flatten(),
        ),
    }
}

/// The medians, the share and the amount: medians and the share shown only over five cases or
/// more, the share and the amount only where the counts they rest on are shown.
fn derived(row: &mut StatsRow, x: &Extra, count: impl Fn(Figure) -> Option<(u64, bool)>) {
    publish_median(row, MEDIAN, &x.days);
    let den = count(Figure::ReinstatementPeriods).unwrap_or((0, false));
    let num = count(Figure::ContactedBeforeReinstatementEnd).unwrap_or((0, false));
    if den.0 == 0 {
        row.figures.insert(SHARE, None);
    } else {
        let shown = ratio_published(den.0) && !den.1 && !num.1;
        let share = (num.0 as f64 * 1000.0 / den.0 as f64).round() / 10.0;
        publish(
            row,
            SHARE,
            shown.then(|| serde_json::Number::from_f64(share)).flatten(),
        );
    }
    let issued = count(Figure::RentCommitmentsIssued).unwrap_or((0, false));
    publish(row, AMOUNT, (!issued.1).then(|| x.amount.into()));
    publish_median(row, MEDIAN_AMOUNT, &x.amounts);
}

/// The series as CSV: a header row, then every row; a suppressed figure is `..`, a figure with
/// nothing to show (a median over no cases) is empty.
pub fn to_csv(which: Series, rows: &[StatsRow]) -> String {
    let columns = which.columns();
    let mut header = vec![
        "period",
        "level",
        "county_code",
        "municipality_code",
        "unit_id",
    ];
    header.extend(&columns);
    let mut csv = Csv::new(&header);
    for r in rows {
        let mut line = vec![
            r.period.clone(),
            r.level.clone(),
            r.county_code.clone().unwrap_or_default(),
            r.municipality_code.clone().unwrap_or_default(),
            r.unit_id.clone().unwrap_or_default(),
        ];
        for c in &columns {
            line.push(match r.figures.get(c) {
                _ if r.suppressed.contains(c) => "..".into(),
                Some(Some(v)) => v.to_string(),
                _ => String::new(),
            });
        }
        csv.row(&line);
    }
    csv.finish()
}
