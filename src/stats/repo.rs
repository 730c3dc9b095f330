//! Reads for the series: the areas in reach and their cells. Never the raw case rows.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{organizations, stats_cells, units};
use crate::domain::states::OrganizationKind;

/// A municipality in reach: (organization id, kommunkod, county code).
pub type Municipality = (String, Option<String>, Option<String>);

/// The caller's organization's county code.
pub fn county_of(conn: &mut AnyConnection, org_id: &str) -> QueryResult<Option<String>> {
    organizations::table
        .find(org_id)
        .select(organizations::county_code)
        .first(conn)
}

/// One municipality, or every municipality of a county, by kommunkod.
pub fn municipalities(
    conn: &mut AnyConnection,
    org_id: Option<&str>,
    county: Option<&str>,
) -> QueryResult<Vec<Municipality>> {
    let mut q = organizations::table
        .filter(organizations::kind.eq(OrganizationKind::Municipality))
        .select((
            organizations::id,
            organizations::municipality_code,
            organizations::county_code,
        ))
        .order(organizations::municipality_code)
        .into_boxed();
    if let Some(id) = org_id {
        q = q.filter(organizations::id.eq(id.to_owned()));
    }
    if let Some(c) = county {
        q = q.filter(organizations::county_code.eq(c.to_owned()));
    }
    q.load(conn)
}

/// The units of `orgs`: (unit id, organization id), by id.
pub fn units_of(conn: &mut AnyConnection, orgs: &[String]) -> QueryResult<Vec<(String, String)>> {
    units::table
        .filter(units::organization_id.eq_any(orgs))
        .select((units::id, units::organization_id))
        .order(units::id)
        .load(conn)
}

/// A cell: (unit, figure, month, bucket, value).
pub type Cell = (String, String, NaiveDate, i32, i64);

/// The cells of `units` from `from` to `to` (months, inclusive) for `figures`.
pub fn cells(
    conn: &mut AnyConnection,
    units: &[String],
    from: NaiveDate,
    to: NaiveDate,
    figures: &[&str],
) -> QueryResult<Vec<Cell>> {
    stats_cells::table
        .filter(stats_cells::unit_id.eq_any(units))
        .filter(stats_cells::month.between(from, to))
        .filter(stats_cells::figure.eq_any(figures))
        .select((
            stats_cells::unit_id,
            stats_cells::figure,
            stats_cells::month,
            stats_cells::bucket,
            stats_cells::value,
        ))
        .load(conn)
}
