//! The series' query and answer.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::statistics::Period;
use crate::domain::text_enum::text_enum;

text_enum! {
    /// What one row of a series covers below the top: municipalities, or each municipality's
    /// units.
    #[derive(Default, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum GroupBy ("group_by", UnknownGroupBy) {
        #[default]
        Municipality => "municipality",
        Unit => "unit",
    }
}

/// `?from&to&period&group_by`: `from` the first day of a period, `to` the last day of one (so
/// that no two answers can be subtracted to reveal a small cell; 422 otherwise).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// First day of the first period (`YYYY-MM-DD`).
    pub from: NaiveDate,
    /// Last day of the last period (`YYYY-MM-DD`, inclusive).
    pub to: NaiveDate,
    #[param(inline)]
    pub period: Period,
    /// `municipality` (default) or `unit`.
    #[param(inline)]
    pub group_by: Option<GroupBy>,
}

/// One row: a period and an area (the county, a municipality or a unit), one field per figure
/// (a count, or for the prevention series also `median_days_to_first_contact`,
/// `share_contacted_before_reinstatement_end` in percent and `rent_commitment_amount` in whole
/// kronor); a suppressed figure is `null` and named in `suppressed`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatsRow {
    /// `2026`, `2026-H1`, `2026-Q2` or `2026-04`.
    pub period: String,
    /// `county`, `municipality` or `unit`.
    pub level: String,
    pub county_code: Option<String>,
    /// None on the county row.
    pub municipality_code: Option<String>,
    /// Only on unit rows.
    pub unit_id: Option<String>,
    #[serde(flatten)]
    #[schema(value_type = BTreeMap<String, Option<f64>>)]
    pub figures: BTreeMap<&'static str, Option<serde_json::Number>>,
    /// The figures shown as `null` (CSV: `..`) to protect small cells.
    pub suppressed: Vec<&'static str>,
}

/// A series: rows by area, then period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatsResponse {
    pub rows: Vec<StatsRow>,
}
