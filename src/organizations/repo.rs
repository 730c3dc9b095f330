//! Organization and unit queries, scoped by the caller's organization filter.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{organizations, units};
use crate::domain::states::OrganizationKind;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = organizations)]
pub struct OrgRow {
    pub id: String,
    pub kind: OrganizationKind,
    pub name: String,
    pub org_number: Option<String>,
    pub municipality_code: Option<String>,
    pub intake_unit_id: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The county (länskod, 2 digits): a municipality's and a county board's.
    pub county_code: Option<String>,
    /// The research sample's days of the month (retention), e.g. `5,15,25`.
    pub research_sample_days: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = units)]
pub struct UnitRow {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Above this amount (whole kronor) only a supervisor may draft a rent commitment.
    pub rent_commitment_limit: Option<i64>,
}

pub fn insert_org(conn: &mut AnyConnection, row: &OrgRow) -> QueryResult<()> {
    diesel::insert_into(organizations::table)
        .values((
            organizations::id.eq(&row.id),
            organizations::kind.eq(&row.kind),
            organizations::name.eq(&row.name),
            organizations::org_number.eq(&row.org_number),
            organizations::municipality_code.eq(&row.municipality_code),
            organizations::county_code.eq(&row.county_code),
            organizations::research_sample_days.eq(&row.research_sample_days),
            organizations::intake_unit_id.eq(&row.intake_unit_id),
            organizations::version.eq(row.version),
            organizations::created_at.eq(row.created_at),
            organizations::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
        .map(drop)
}

/// Set an organization's county code if its version is still `expected`.
pub fn set_county_code(
    conn: &mut AnyConnection,
    id: &str,
    expected: i32,
    county_code: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        organizations::table
            .filter(organizations::id.eq(id))
            .filter(organizations::version.eq(expected)),
    )
    .set((
        organizations::county_code.eq(county_code),
        organizations::version.eq(organizations::version + 1),
        organizations::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// An organization in scope (`org` None: any).
pub fn find_scoped(conn: &mut AnyConnection, id: &str, org: Option<&str>) -> QueryResult<OrgRow> {
    let mut q = organizations::table
        .filter(organizations::id.eq(id))
        .select(OrgRow::as_select())
        .into_boxed();
    if let Some(org) = org {
        q = q.filter(organizations::id.eq(org));
    }
    q.first(conn)
}

pub fn list_scoped(
    conn: &mut AnyConnection,
    org: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<OrgRow>> {
    let mut q = organizations::table
        .select(OrgRow::as_select())
        .into_boxed();
    if let Some(org) = org {
        q = q.filter(organizations::id.eq(org));
    }
    if let Some(after) = after {
        q = q.filter(organizations::id.gt(after));
    }
    q.order(organizations::id).limit(limit).load(conn)
}

pub fn find_by_kind(
    conn: &mut AnyConnection,
    kind: OrganizationKind,
) -> QueryResult<Option<OrgRow>> {
    organizations::table
        .filter(organizations::kind.eq(kind))
        .select(OrgRow::as_select())
        .order(organizations::id)
        .first(conn)
        .optional()
}

/// Set the intake unit when the organization has none yet (its first unit).
pub fn set_intake_unit_if_unset(
    conn: &mut AnyConnection,
    org_id: &str,
    unit_id: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        organizations::table
            .filter(organizations::id.eq(org_id))
            .filter(organizations::intake_unit_id.is_null()),
    )
    .set((
        organizations::intake_unit_id.eq(unit_id),
        organizations::version.eq(organizations::version + 1),
        organizations::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn insert_unit(conn: &mut AnyConnection, row: &UnitRow) -> QueryResult<()> {
    diesel::insert_into(units::table)
        .values((
            units::id.eq(&row.id),
            units::organization_id.eq(&row.organization_id),
            units::name.eq(&row.name),
            units::version.eq(row.version),
            units::created_at.eq(row.created_at),
            units::updated_at.eq(row.updated_at),
            units::rent_commitment_limit.eq(row.rent_commitment_limit),
        ))
        .execute(conn)
        .map(drop)
}

pub fn find_unit(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<UnitRow>> {
    units::table
        .find(id)
        .select(UnitRow::as_select())
        .first(conn)
        .optional()
}

pub fn list_units(conn: &mut AnyConnection, org_id: &str) -> QueryResult<Vec<UnitRow>> {
    units::table
        .filter(units::organization_id.eq(org_id))
        .select(UnitRow::as_select())
        .order(units::id)
        .load(conn)
}
