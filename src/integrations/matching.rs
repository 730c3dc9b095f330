//! Matching an inbound submission to a case (SPEC §7), in the municipality of the address:
//! (1) an open case with the same Kronofogden case number, (2) an open case whose household
//! has the person, (3) a case closed within 12 months, reopened, (4) otherwise a new case in
//! status `new`, with person, household and tenancy from the submission, in the municipality's
//! intake unit. No notice is ever left without a case (JO 1683-2017). The decision is audited.

use chrono::Duration;
use diesel::prelude::*;

use super::submitter::Submitter;
use crate::audit::AuditAction;
use crate::audit::{self, Changes, NewEvent};
use crate::cases::repo::{self as cases_repo, CaseRow};
use crate::db::schema::{cases, household_members, notices, organizations};
use crate::db::{Tx, types};
use crate::domain::outcome::Outcome;
use crate::domain::personnummer::Personnummer;
use crate::domain::sweden;
use crate::domain::workflow::CaseStatus;
use crate::error::ApiError;
use crate::households::dto::Address;
use crate::households::repo::{self as households, HouseholdRow, MemberRow, TenancyRow};
use crate::organizations::repo::OrgRow;
use crate::persons::repo as persons;
use crate::state::AppState;

/// Reopen a case closed less than this long ago.
pub const REOPEN_WITHIN_DAYS: i64 = 365;

pub struct Subject<'a> {
    pub personnummer: &'a Personnummer,
    pub name: &'a str,
    pub address: &'a Address,
    pub kfm_case_number: Option<&'a str>,
    /// The landlord organization, when known (landlord submissions; org number on events).
    pub landlord_organization_id: Option<&'a str>,
    pub apartment_number: Option<&'a str>,
    pub apartment_size_m2: Option<i32>,
}

/// The municipality with this code, or a 422 naming the field.
pub fn municipality(tx: &mut Tx<'_>, code: &str) -> Result<OrgRow, ApiError> {
    organizations::table
        .filter(organizations::municipality_code.eq(code))
        .filter(organizations::kind.eq(crate::domain::states::OrganizationKind::Municipality))
        .select(OrgRow::as_select())
        .first(&mut **tx)
        .optional()?
        .ok_or_else(|| ApiError::field("municipality_code", "is not a municipality known to kvar"))
}

fn open_case_by_kfm(
    tx: &mut Tx<'_>,
    blind: &crate::crypto::field::BlindIndex,
    org: &str,
    number: &str,
) -> QueryResult<Option<CaseRow>> {
    // Two lookups by index, not one statement with a sub-select: PostgreSQL planned the latter,
    // on statistics older than the rows (a batch, a fresh database), as a walk of every case
    // backwards by id, filtered by the sub-select (63 ms at 900 cases, growing with them).
    let indexes = crate::notices::repo::kfm_case_indexes(blind, org, number);
    let with_number: Vec<String> = notices::table
        .filter(notices::kfm_case_index.eq_any(indexes))
        .select(notices::case_id)
        .distinct()
        .load(&mut **tx)?;
    if with_number.is_empty() {
        return Ok(None);
    }
    cases::table
        .filter(cases::organization_id.eq(org))
        .filter(cases::status.ne(CaseStatus::Closed))
        .filter(cases::id.eq_any(with_number))
        .select(CaseRow::as_select())
        .order(cases::id.desc())
        .first(&mut **tx)
        .optional()
}

fn cases_of_person(tx: &mut Tx<'_>, org: &str, person_id: &str) -> QueryResult<Vec<CaseRow>> {
    // Two lookups by index, for the reason given at `open_case_by_kfm`.
    let households: Vec<String> = household_members::table
        .filter(household_members::person_id.eq(person_id))
        .select(household_members::household_id)
        .distinct()
        .load(&mut **tx)?;
    if households.is_empty() {
        return Ok(Vec::new());
    }
    cases::table
        .filter(cases::organization_id.eq(org))
        .filter(cases::household_id.eq_any(households))
        .select(CaseRow::as_select())
        .order(cases::id.desc())
        .load(&mut **tx)
}

/// Find or make the case for `subject`; returns it and the decision.
pub fn match_case(
    tx: &mut Tx<'_>,
    st: &AppState,
    who: &Submitter,
    org: &OrgRow,
    subject: &Subject<'_>,
) -> Result<(CaseRow, &'static str), ApiError> {
    let (case, decision) = find_or_create(tx, st, who, org, subject)?;
    let changes = Changes::new()
        .created("decision", decision)
        .created("municipality_code", org.municipality_code.clone());
    audit::record(
        tx,
        NewEvent {
            actor: &who.actor,
            action: AuditAction::IntakeMatch,
            entity_type: "case",
            entity_id: Some(&case.id),
            case_id: Some(&case.id),
            changes,
        },
    )?;
    Ok((case, decision))
}

/// Why intake reopens a case (kept on the closure row and in the `case.reopened` event).
const INTAKE_REOPEN_REASON: &str = "a new notice on the household within 12 months of closure";

/// Reopen a closed case for a new submission: the closure row is stamped (its outcome stays in
/// the history), the case's current outcome is cleared as for a reopening by hand, and
/// `case.reopened` is recorded with the reason.
fn reopen(
    tx: &mut Tx<'_>,
    st: &AppState,
    who: &Submitter,
    closed: &CaseRow,
) -> Result<(), ApiError> {
    let now = types::now();
    diesel::update(cases::table.find(&closed.id))
        .set((
            cases::status.eq(CaseStatus::Reopened),
            cases::outcome.eq(None::<Outcome>),
            cases::homelessness_situation.eq(None::<i32>),
            cases::closed_at.eq(None::<chrono::NaiveDateTime>),
            cases::version.eq(cases::version + 1),
            cases::updated_at.eq(now),
            cases::last_activity_at.eq(now),
        ))
        .execute(&mut **tx)?;
    cases_repo::stamp_reopened(
        tx,
        &st.keyring,
        &closed.id,
        &who.key,
        INTAKE_REOPEN_REASON,
        now,
    )?;
    let changes = Changes::new()
        .field(
            "status",
            closed.status.as_str(),
            CaseStatus::Reopened.as_str(),
        )
        .field(
            "outcome",
            closed.outcome.map(|o| o.as_str()),
            None::<String>,
        )
        .field(
            "homelessness_situation",
            closed.homelessness_situation,
            None::<i32>,
        )
        .created("reason", INTAKE_REOPEN_REASON);
    audit::record(
        tx,
        NewEvent {
            actor: &who.actor,
            action: AuditAction::CaseReopened,
            entity_type: "case",
            entity_id: Some(&closed.id),
            case_id: Some(&closed.id),
            changes,
        },
    )?;
    Ok(())
}

fn find_or_create(
    tx: &mut Tx<'_>,
    st: &AppState,
    who: &Submitter,
    org: &OrgRow,
    s: &Subject<'_>,
) -> Result<(CaseRow, &'static str), ApiError> {
    if let Some(number) = s.kfm_case_number
        && let Some(case) = open_case_by_kfm(tx, &st.blind, &org.id, number)?
    {
        return Ok((case, "kfm_case_number"));
    }
    let person = persons::find_by_pnr(tx, &st.blind, &org.id, s.personnummer)?;
    if let Some(person) = &person {
        let known = cases_of_person(tx, &org.id, &person.id)?;
        if let Some(open) = known.iter().find(|c| c.status != CaseStatus::Closed) {
            return Ok((open.clone(), "open_case_of_person"));
        }
        let cutoff = types::now() - Duration::days(REOPEN_WITHIN_DAYS);
        if let Some(closed) = known
            .iter()
            .find(|c| c.closed_at.is_some_and(|t| t > cutoff))
        {
            reopen(tx, st, who, closed)?;
            crate::worklist::repo::refresh(tx, &closed.id)?;
            crate::stats::facts::refresh(tx, &closed.id)?;
            return Ok((cases_repo::find(tx, &closed.id)?, "reopened_closed_case"));
        }
    }
    let unit = org
        .intake_unit_id
        .clone()
        .ok_or_else(|| ApiError::field("municipality_code", "has no intake unit yet"))?;
    let now = types::now();
    // Looked up above: reuse it, or insert without looking again.
    let person = match person {
        Some(p) => p,
        // A new record of the municipality's, with the name as reported (the landlord or
        // Kronofogden cannot know of a protected identity; staff set it).
        None => persons::insert(
            tx,
            &st.keyring,
            &st.blind,
            &persons::NewPerson {
                organization_id: &org.id,
                pnr: s.personnummer,
                name: s.name,
                protected_identity: false,
                needs_review: false,
            },
        )?,
    };
    let household = HouseholdRow::at(
        (&st.keyring, tx),
        org.id.clone(),
        s.address,
        who.key.clone(),
        now,
    )?;
    households::insert_household(tx, &household)?;
    households::insert_member(
        tx,
        &MemberRow {
            id: types::new_id(),
            household_id: household.id.clone(),
            person_id: person.id.clone(),
            relation: "self".into(),
            residence: None,
            minor_until: crate::households::service::minor_until(s.personnummer.birth_date()),
            created_at: now,
            moved_out_on: None,
        },
    )?;
    let tenancy_id = match s.landlord_organization_id {
        Some(landlord) => {
            let id = types::new_id();
            let address = crate::households::address::StoredAddress::of(s.address);
            let at = (household.id.as_str(), id.as_str());
            let address_enc = TenancyRow::seal_address(&st.keyring, tx, at, &address)?;
            let t = TenancyRow {
                id,
                household_id: household.id.clone(),
                landlord_organization_id: landlord.into(),
                address_enc: Some(address_enc),
                municipality_code: household.municipality_code.clone(),
                apartment_number: s
                    .apartment_number
                    .unwrap_or(households::UNKNOWN_APARTMENT)
                    .into(),
                rooms: None,
                size_m2: s.apartment_size_m2,
                // Not in the submission: the social worker completes it.
                monthly_rent: 0,
                contract_type: crate::households::dto::ContractType::Other.as_str().into(),
                start_on: None,
                end_on: None,
                conversion_months: None,
                conversion_conditions: None,
                conversion_review_on: None,
                converted_on: None,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            households::insert_tenancy(tx, &t)?;
            Some(t.id)
        }
        None => None,
    };
    let children = households::has_minor(tx, &household.id, sweden::today())?;
    let case = CaseRow::opened(
        org.id.clone(),
        unit,
        household.id.clone(),
        tenancy_id,
        children,
        now,
    );
    cases_repo::insert_for_notice(tx, &case)?;
    Ok((case, "new_case"))
}
