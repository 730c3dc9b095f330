//! Household, member and tenancy queries.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::auth::policy::Grant;
use crate::auth::scope;
use crate::db::AnyConnection;
use crate::db::schema::{household_members, households, persons, tenancies};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = households)]
pub struct HouseholdRow {
    pub id: String,
    pub organization_id: String,
    pub municipality_code: String,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub created_by: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl HouseholdRow {
    /// A new household at `address`, stored normalized: street and city trimmed, the postal
    /// code without spaces (how every caller and the search expect it).
    pub fn at(
        organization_id: String,
        address: &super::dto::Address,
        created_by: String,
        now: NaiveDateTime,
    ) -> HouseholdRow {
        HouseholdRow {
            id: crate::db::types::new_id(),
            organization_id,
            municipality_code: address.municipality_code.clone(),
            street: address.street.trim().into(),
            postal_code: address.postal_code.replace(' ', ""),
            city: address.city.trim().into(),
            created_by,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = household_members)]
pub struct MemberRow {
    pub id: String,
    pub household_id: String,
    pub person_id: String,
    pub relation: String,
    pub residence: Option<String>,
    pub minor_until: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tenancies)]
pub struct TenancyRow {
    pub id: String,
    pub household_id: String,
    pub landlord_organization_id: String,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub municipality_code: String,
    pub apartment_number: String,
    pub rooms: Option<i32>,
    pub size_m2: Option<i32>,
    pub monthly_rent: i64,
    pub contract_type: String,
    pub start_on: Option<NaiveDate>,
    pub end_on: Option<NaiveDate>,
    pub conversion_months: Option<i32>,
    pub conversion_conditions: Option<String>,
    pub conversion_review_on: Option<NaiveDate>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert_household(conn: &mut AnyConnection, h: &HouseholdRow) -> QueryResult<()> {
    diesel::insert_into(households::table)
        .values((
            households::id.eq(&h.id),
            households::organization_id.eq(&h.organization_id),
            households::municipality_code.eq(&h.municipality_code),
            households::street.eq(&h.street),
            households::postal_code.eq(&h.postal_code),
            households::city.eq(&h.city),
            households::created_by.eq(&h.created_by),
            households::version.eq(h.version),
            households::created_at.eq(h.created_at),
            households::updated_at.eq(h.updated_at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn insert_member(conn: &mut AnyConnection, m: &MemberRow) -> QueryResult<()> {
    diesel::insert_into(household_members::table)
        .values((
            household_members::id.eq(&m.id),
            household_members::household_id.eq(&m.household_id),
            household_members::person_id.eq(&m.person_id),
            household_members::relation.eq(&m.relation),
            household_members::residence.eq(&m.residence),
            household_members::minor_until.eq(m.minor_until),
            household_members::created_at.eq(m.created_at),
        ))
        .execute(conn)
        .map(drop)
}

/// A household the caller may see ([`scope::household_reachable`]).
pub fn find_visible(
    conn: &mut AnyConnection,
    who: &Grant,
    id: &str,
) -> QueryResult<Option<HouseholdRow>> {
    let Some(h) = households::table
        .find(id)
        .select(HouseholdRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    Ok(scope::household_reachable(conn, who, &h.id, &h.created_by)?.then_some(h))
}

/// The members with their person rows, in one static (prepared) query.
pub fn members_with_persons(
    conn: &mut AnyConnection,
    household_id: &str,
) -> QueryResult<Vec<(MemberRow, crate::persons::repo::PersonRow)>> {
    household_members::table
        .inner_join(persons::table)
        .filter(household_members::household_id.eq(household_id))
        .select((
            MemberRow::as_select(),
            crate::persons::repo::PersonRow::as_select(),
        ))
        .order(household_members::created_at)
        .then_order_by(household_members::id)
        .load(conn)
}

/// Whether the household has a member who is a minor on `today`.
pub fn has_minor(
    conn: &mut AnyConnection,
    household_id: &str,
    today: NaiveDate,
) -> QueryResult<bool> {
    let n: i64 = household_members::table
        .filter(household_members::household_id.eq(household_id))
        .filter(household_members::minor_until.gt(today))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn insert_tenancy(conn: &mut AnyConnection, t: &TenancyRow) -> QueryResult<()> {
    diesel::insert_into(tenancies::table)
        .values((
            (
                tenancies::id.eq(&t.id),
                tenancies::household_id.eq(&t.household_id),
                tenancies::landlord_organization_id.eq(&t.landlord_organization_id),
                tenancies::street.eq(&t.street),
                tenancies::postal_code.eq(&t.postal_code),
                tenancies::city.eq(&t.city),
                tenancies::municipality_code.eq(&t.municipality_code),
                tenancies::apartment_number.eq(&t.apartment_number),
                tenancies::rooms.eq(t.rooms),
                tenancies::size_m2.eq(t.size_m2),
            ),
            (
                tenancies::monthly_rent.eq(t.monthly_rent),
                tenancies::contract_type.eq(&t.contract_type),
                tenancies::start_on.eq(t.start_on),
                tenancies::end_on.eq(t.end_on),
                tenancies::conversion_months.eq(t.conversion_months),
                tenancies::conversion_conditions.eq(&t.conversion_conditions),
                tenancies::conversion_review_on.eq(t.conversion_review_on),
                tenancies::version.eq(t.version),
                tenancies::created_at.eq(t.created_at),
                tenancies::updated_at.eq(t.updated_at),
            ),
        ))
        .execute(conn)
        .map(drop)
}

pub fn find_tenancy(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<TenancyRow>> {
    tenancies::table
        .find(id)
        .select(TenancyRow::as_select())
        .first(conn)
        .optional()
}
