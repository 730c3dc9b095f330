//! Rent-commitment queries. Staff reach a commitment through its case (already scoped by the
//! caller's grant); landlords through [`letters_to`], approved letters addressed to them only.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::disclosure::Disclosure;
use crate::db::AnyConnection;
use crate::db::schema::{rent_commitments, users};
use crate::domain::consent::DisclosureBasis;
use crate::domain::rent_commitment::{DeliveryChannel, RentCommitmentStatus};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = rent_commitments)]
pub struct RentCommitmentRow {
    pub id: String,
    pub case_id: String,
    pub organization_id: String,
    pub landlord_organization_id: String,
    pub tenancy_id: String,
    pub amount: i64,
    pub months_covered: i32,
    pub reason_enc: Vec<u8>,
    pub status: RentCommitmentStatus,
    pub drafted_by: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_reason_enc: Option<Vec<u8>>,
    pub number: Option<String>,
    pub issued_on: Option<NaiveDate>,
    pub tenant_name_enc: Option<Vec<u8>>,
    pub apartment_ref: Option<String>,
    /// The letter's copy of the address, sealed under the case's key.
    pub letter_address_enc: Option<Vec<u8>>,
    pub delivered_on: Option<NaiveDate>,
    pub delivery_channel: Option<DeliveryChannel>,
    pub delivery_notice_id: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub disclosure_basis: Option<DisclosureBasis>,
    pub consent_id: Option<String>,
    pub legal_basis_enc: Option<Vec<u8>>,
}

/// What a decision writes: the status, the decider, and for an approval the letter's contents.
pub struct Decision<'a> {
    pub status: RentCommitmentStatus,
    pub decided_by: &'a str,
    pub decided_at: NaiveDateTime,
    pub reason_enc: Vec<u8>,
    pub letter: Option<Letter>,
    /// An approval's basis for telling the landlord.
    pub disclosure: Option<Disclosure>,
}

/// The letter's contents, fixed at approval.
pub struct Letter {
    pub number: String,
    pub issued_on: NaiveDate,
    pub tenant_name_enc: Vec<u8>,
    pub apartment_ref: String,
    /// The tenancy's address at approval, sealed under the case's key.
    pub address_enc: Vec<u8>,
}

pub fn insert(conn: &mut AnyConnection, row: &RentCommitmentRow) -> QueryResult<()> {
    diesel::insert_into(rent_commitments::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// The commitments of a case (the case is in the caller's scope), oldest first.
pub fn for_case(conn: &mut AnyConnection, case_id: &str) -> QueryResult<Vec<RentCommitmentRow>> {
    rent_commitments::table
        .filter(rent_commitments::case_id.eq(case_id))
        .select(RentCommitmentRow::as_select())
        .order(rent_commitments::id)
        .load(conn)
}

/// One commitment of a case (the case is in the caller's scope).
pub fn find_on_case(
    conn: &mut AnyConnection,
    case_id: &str,
    id: &str,
) -> QueryResult<Option<RentCommitmentRow>> {
    rent_commitments::table
        .filter(rent_commitments::case_id.eq(case_id))
        .filter(rent_commitments::id.eq(id))
        .select(RentCommitmentRow::as_select())
        .first(conn)
        .optional()
}

/// Decide a pending commitment at `version`; false when it was decided or changed meanwhile.
pub fn decide(
    conn: &mut AnyConnection,
    id: &str,
    version: i32,
    d: Decision<'_>,
) -> QueryResult<bool> {
    let letter = d.letter.as_ref();
    let disclosure = d.disclosure.as_ref();
    let n = diesel::update(
        rent_commitments::table
            .filter(rent_commitments::id.eq(id))
            .filter(rent_commitments::version.eq(version))
            .filter(rent_commitments::status.eq(RentCommitmentStatus::Pending)),
    )
    .set((
        rent_commitments::status.eq(d.status),
        rent_commitments::decided_by.eq(d.decided_by),
        rent_commitments::decided_at.eq(d.decided_at),
        rent_commitments::decision_reason_enc.eq(&d.reason_enc),
        rent_commitments::number.eq(letter.map(|l| l.number.as_str())),
        rent_commitments::issued_on.eq(letter.map(|l| l.issued_on)),
        rent_commitments::tenant_name_enc.eq(letter.map(|l| l.tenant_name_enc.as_slice())),
        rent_commitments::apartment_ref.eq(letter.map(|l| l.apartment_ref.as_str())),
        rent_commitments::letter_address_enc.eq(letter.map(|l| l.address_enc.as_slice())),
        rent_commitments::version.eq(version + 1),
        rent_commitments::updated_at.eq(d.decided_at),
        rent_commitments::disclosure_basis.eq(disclosure.map(|b| b.basis)),
        rent_commitments::consent_id.eq(disclosure.and_then(|b| b.consent_id.as_deref())),
        rent_commitments::legal_basis_enc.eq(disclosure.and_then(|b| b.legal_basis_enc.as_deref())),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Record the delivery of an approved, undelivered commitment at `version`; false when it was
/// delivered or changed meanwhile.
pub fn deliver(
    conn: &mut AnyConnection,
    id: &str,
    version: i32,
    delivered_on: NaiveDate,
    channel: DeliveryChannel,
    notice_id: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        rent_commitments::table
            .filter(rent_commitments::id.eq(id))
            .filter(rent_commitments::version.eq(version))
            .filter(rent_commitments::status.eq(RentCommitmentStatus::Approved))
            .filter(rent_commitments::delivered_on.is_null()),
    )
    .set((
        rent_commitments::delivered_on.eq(delivered_on),
        rent_commitments::delivery_channel.eq(channel),
        rent_commitments::delivery_notice_id.eq(notice_id),
        rent_commitments::version.eq(version + 1),
        rent_commitments::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The municipality's letters numbered so far with `prefix` (the year's numbers).
pub fn count_numbered(
    conn: &mut AnyConnection,
    organization_id: &str,
    prefix: &str,
) -> QueryResult<i64> {
    rent_commitments::table
        .filter(rent_commitments::organization_id.eq(organization_id))
        .filter(rent_commitments::number.like(format!("{prefix}%")))
        .count()
        .get_result(conn)
}

/// Active supervisors of `unit_id` other than `except` (who may decide instead of a stand-in).
pub fn other_active_supervisors(
    conn: &mut AnyConnection,
    unit_id: &str,
    except: &str,
) -> QueryResult<i64> {
    users::table
        .filter(users::unit_id.eq(unit_id))
        .filter(users::role.eq(crate::auth::Role::Supervisor))
        .filter(users::status.eq(crate::domain::states::UserStatus::Active))
        .filter(users::id.ne(except))
        .count()
        .get_result(conn)
}

/// The approved letters addressed to `landlord_organization_id`, oldest first, after `after`.
pub fn letters_to(
    conn: &mut AnyConnection,
    landlord_organization_id: &str,
    after: Option<String>,
    limit: i64,
) -> QueryResult<Vec<RentCommitmentRow>> {
    let mut q = rent_commitments::table
        .filter(rent_commitments::landlord_organization_id.eq(landlord_organization_id.to_owned()))
        .filter(rent_commitments::status.eq(RentCommitmentStatus::Approved))
        .select(RentCommitmentRow::as_select())
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(rent_commitments::id.gt(a));
    }
    q.order(rent_commitments::id).limit(limit).load(conn)
}
