//! Household, member and tenancy queries.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::address::StoredAddress;
use crate::auth::policy::Grant;
use crate::auth::scope;
use crate::crypto::subjects::{Keyring, SealError, Subject};
use crate::db::AnyConnection;
use crate::db::schema::{cases, household_members, households, persons, tenancies};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = households)]
pub struct HouseholdRow {
    pub id: String,
    pub organization_id: String,
    pub municipality_code: String,
    /// The address ([`super::address::StoredAddress`]) sealed under the household's key.
    pub address_enc: Option<Vec<u8>>,
    pub created_by: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl HouseholdRow {
    /// A new household at `address` (sealed under the new household's key, normalized as
    /// [`super::address::StoredAddress::of`]).
    pub fn at(
        (ring, conn): (&Keyring, &mut AnyConnection),
        organization_id: String,
        address: &super::dto::Address,
        created_by: String,
        now: NaiveDateTime,
    ) -> Result<HouseholdRow, SealError> {
        let id = crate::db::types::new_id();
        let key = ring.key_for_new(conn, Subject::household(&id))?;
        let address_enc =
            StoredAddress::of(address).seal_with(&key, ("households", "address", &id))?;
        Ok(HouseholdRow {
            id,
            organization_id,
            municipality_code: address.municipality_code.clone(),
            address_enc: Some(address_enc),
            created_by,
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }

    /// The household's address.
    pub fn address(
        &self,
        ring: &Keyring,
        conn: &mut AnyConnection,
    ) -> Result<StoredAddress, crate::error::ApiError> {
        let at = ("households", "address", self.id.as_str());
        StoredAddress::open(ring, conn, at, self.address_enc.as_deref())
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
    /// Set when the member moved out: the row stays, the member no longer counts as living there.
    pub moved_out_on: Option<NaiveDate>,
}

/// The apartment number intake stores when a submission has none.
pub const UNKNOWN_APARTMENT: &str = "unknown";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tenancies)]
pub struct TenancyRow {
    pub id: String,
    pub household_id: String,
    pub landlord_organization_id: String,
    /// The address ([`super::address::StoredAddress`]) sealed under the household's key.
    pub address_enc: Option<Vec<u8>>,
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
    /// The day a municipal second-hand contract became first-hand.
    pub converted_on: Option<NaiveDate>,
}

impl TenancyRow {
    /// The tenancy's address.
    pub fn address(
        &self,
        ring: &Keyring,
        conn: &mut AnyConnection,
    ) -> Result<StoredAddress, crate::error::ApiError> {
        let at = ("tenancies", "address", self.id.as_str());
        StoredAddress::open(ring, conn, at, self.address_enc.as_deref())
    }

    /// `address` sealed for tenancy `id` of `household_id`.
    pub fn seal_address(
        ring: &Keyring,
        conn: &mut AnyConnection,
        (household_id, id): (&str, &str),
        address: &StoredAddress,
    ) -> Result<Vec<u8>, SealError> {
        let subject = Subject::household(household_id);
        address.seal(ring, conn, subject, ("tenancies", "address", id))
    }
}

pub fn insert_household(conn: &mut AnyConnection, h: &HouseholdRow) -> QueryResult<()> {
    diesel::insert_into(households::table)
        .values((
            households::id.eq(&h.id),
            households::organization_id.eq(&h.organization_id),
            households::municipality_code.eq(&h.municipality_code),
            households::address_enc.eq(&h.address_enc),
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
            household_members::moved_out_on.eq(m.moved_out_on),
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

/// Whether the household has a member who is a minor on `today` and has not moved out.
pub fn has_minor(
    conn: &mut AnyConnection,
    household_id: &str,
    today: NaiveDate,
) -> QueryResult<bool> {
    let n: i64 = household_members::table
        .filter(household_members::household_id.eq(household_id))
        .filter(household_members::minor_until.gt(today))
        .filter(household_members::moved_out_on.is_null())
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Members living in their household who turned 18 after `since` and up to `today`
/// (household, member).
pub fn turned_adult_between(
    conn: &mut AnyConnection,
    since: NaiveDate,
    today: NaiveDate,
) -> QueryResult<Vec<(String, String)>> {
    household_members::table
        .filter(household_members::minor_until.gt(since))
        .filter(household_members::minor_until.le(today))
        .filter(household_members::moved_out_on.is_null())
        .select((household_members::household_id, household_members::id))
        .order(household_members::id)
        .load(conn)
}

pub fn insert_tenancy(conn: &mut AnyConnection, t: &TenancyRow) -> QueryResult<()> {
    diesel::insert_into(tenancies::table)
        .values((
            (
                tenancies::id.eq(&t.id),
                tenancies::household_id.eq(&t.household_id),
                tenancies::landlord_organization_id.eq(&t.landlord_organization_id),
                tenancies::address_enc.eq(&t.address_enc),
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

/// Raise a household's version (a member was added or changed); false when it had moved on.
pub fn bump_household(
    conn: &mut AnyConnection,
    id: &str,
    expected: i32,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        households::table
            .filter(households::id.eq(id))
            .filter(households::version.eq(expected)),
    )
    .set((
        households::version.eq(households::version + 1),
        households::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn find_member(
    conn: &mut AnyConnection,
    household_id: &str,
    member_id: &str,
) -> QueryResult<Option<MemberRow>> {
    household_members::table
        .filter(household_members::id.eq(member_id))
        .filter(household_members::household_id.eq(household_id))
        .select(MemberRow::as_select())
        .first(conn)
        .optional()
}

/// The membership of `person_id` in the household, moved out or not.
pub fn find_membership(
    conn: &mut AnyConnection,
    household_id: &str,
    person_id: &str,
) -> QueryResult<Option<MemberRow>> {
    household_members::table
        .filter(household_members::household_id.eq(household_id))
        .filter(household_members::person_id.eq(person_id))
        .select(MemberRow::as_select())
        .first(conn)
        .optional()
}

/// Members living in the household with `relation`, other than `except`.
pub fn count_current_with_relation(
    conn: &mut AnyConnection,
    household_id: &str,
    relation: &str,
    except: Option<&str>,
) -> QueryResult<i64> {
    household_members::table
        .filter(household_members::household_id.eq(household_id))
        .filter(household_members::relation.eq(relation))
        .filter(household_members::moved_out_on.is_null())
        .filter(household_members::id.ne(except.unwrap_or("")))
        .count()
        .get_result(conn)
}

/// Store a member's relation, residence and move-out date.
pub fn update_member(conn: &mut AnyConnection, m: &MemberRow) -> QueryResult<()> {
    diesel::update(household_members::table.find(&m.id))
        .set((
            household_members::relation.eq(&m.relation),
            household_members::residence.eq(&m.residence),
            household_members::moved_out_on.eq(m.moved_out_on),
        ))
        .execute(conn)
        .map(drop)
}

/// Every case of the household with its `children_involved` flag (the flag follows the
/// household's members: [`set_children_involved`]).
pub fn case_children_flags(
    conn: &mut AnyConnection,
    household_id: &str,
) -> QueryResult<Vec<(String, bool)>> {
    cases::table
        .filter(cases::household_id.eq(household_id))
        .select((cases::id, cases::children_involved))
        .order(cases::id)
        .load(conn)
}

/// Set a case's `children_involved`, raising its version (the case changed), and refresh its
/// worklist key.
pub fn set_children_involved(
    conn: &mut AnyConnection,
    case_id: &str,
    value: bool,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(cases::table.find(case_id))
        .set((
            cases::children_involved.eq(value),
            cases::version.eq(cases::version + 1),
            cases::updated_at.eq(now),
            cases::last_activity_at.eq(now),
        ))
        .execute(conn)?;
    // The worklist key carries the children flag and the escalation date.
    crate::worklist::repo::refresh(conn, case_id)
}

/// A household's tenancies, oldest first.
pub fn tenancies_of(conn: &mut AnyConnection, household_id: &str) -> QueryResult<Vec<TenancyRow>> {
    tenancies::table
        .filter(tenancies::household_id.eq(household_id))
        .select(TenancyRow::as_select())
        .order(tenancies::id)
        .load(conn)
}

/// A tenancy the caller may see: one of a household it reaches ([`find_visible`]).
pub fn find_visible_tenancy(
    conn: &mut AnyConnection,
    who: &Grant,
    id: &str,
) -> QueryResult<Option<TenancyRow>> {
    let Some(t) = find_tenancy(conn, id)? else {
        return Ok(None);
    };
    Ok(find_visible(conn, who, &t.household_id)?.map(|_| t))
}

/// Store a tenancy's editable columns when its version is still `expected`, raising it; false
/// when it moved on.
pub fn update_tenancy_versioned(
    conn: &mut AnyConnection,
    t: &TenancyRow,
    expected: i32,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        tenancies::table
            .filter(tenancies::id.eq(&t.id))
            .filter(tenancies::version.eq(expected)),
    )
    .set((
        (
            tenancies::landlord_organization_id.eq(&t.landlord_organization_id),
            tenancies::address_enc.eq(&t.address_enc),
            tenancies::municipality_code.eq(&t.municipality_code),
            tenancies::apartment_number.eq(&t.apartment_number),
            tenancies::rooms.eq(t.rooms),
            tenancies::size_m2.eq(t.size_m2),
            tenancies::monthly_rent.eq(t.monthly_rent),
        ),
        (
            tenancies::contract_type.eq(&t.contract_type),
            tenancies::start_on.eq(t.start_on),
            tenancies::end_on.eq(t.end_on),
            tenancies::conversion_months.eq(t.conversion_months),
            tenancies::conversion_conditions.eq(&t.conversion_conditions),
            tenancies::conversion_review_on.eq(t.conversion_review_on),
            tenancies::converted_on.eq(t.converted_on),
            tenancies::version.eq(tenancies::version + 1),
            tenancies::updated_at.eq(now),
        ),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Whether any member of the household (living there or moved out) has protected identity:
/// then its addresses are shown only as [`crate::households::protection`] decides.
pub fn has_protected_member(conn: &mut AnyConnection, household_id: &str) -> QueryResult<bool> {
    let n: i64 = household_members::table
        .inner_join(persons::table)
        .filter(household_members::household_id.eq(household_id))
        .filter(persons::protected_identity.eq(true))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// A case of a household as (unit, assignee).
pub type CaseHolder = (String, Option<String>);

/// Every case of the household as (unit, assignee), and who registered the household: what
/// decides who sees a protected address (`rules::may_see_household_address`).
pub fn address_holders(
    conn: &mut AnyConnection,
    household_id: &str,
) -> QueryResult<(Vec<CaseHolder>, String)> {
    let cases = cases::table
        .filter(cases::household_id.eq(household_id))
        .select((cases::unit_id, cases::assigned_to))
        .order(cases::id)
        .load(conn)?;
    let created_by = households::table
        .find(household_id)
        .select(households::created_by)
        .first(conn)?;
    Ok((cases, created_by))
}

/// Whether the household of a tenancy has a protected member ([`has_protected_member`]): a
/// rent-commitment letter then names the apartment, not its address.
pub fn tenancy_protected(conn: &mut AnyConnection, tenancy_id: &str) -> QueryResult<bool> {
    let household = tenancies::table
        .filter(tenancies::id.eq(tenancy_id))
        .select(tenancies::household_id);
    let n: i64 = household_members::table
        .inner_join(persons::table)
        .filter(household_members::household_id.eq_any(household))
        .filter(persons::protected_identity.eq(true))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}
