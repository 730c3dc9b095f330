//! Tenancies: the lease a household risks losing.

use super::address::StoredAddress;
use super::dto::{
    Address, ConversionAgreement, CreateTenancyRequest, TenancyList, TenancyResponse,
    UpdateTenancyRequest,
};
use super::protection::{self, AddressView};
use super::repo::{self, TenancyRow};
use super::service::{scoped_write, visible_for_write};
use crate::audit::AuditAction;
use crate::audit::access::{self, Access};
use crate::audit::{self, Changes, NewEvent};
use crate::auth::policy::{Authorized, Grant, ops};
use crate::crypto::subjects::Keyring;
use crate::db::{AnyConnection, Tx, types};
use crate::domain::states::OrganizationKind;
use crate::error::{ApiError, FieldError};
use crate::http::etag::IfMatch;
use crate::organizations::repo as orgs;
use crate::state::AppState;
use chrono::NaiveDate;

/// Default months until a second-hand contract converts to first-hand.
pub const DEFAULT_CONVERSION_MONTHS: i32 = 18;

/// The tenancy's address in the API's shape.
fn address_of(t: &TenancyRow, a: StoredAddress) -> Address {
    Address {
        street: a.street,
        postal_code: a.postal_code,
        city: a.city,
        municipality_code: t.municipality_code.clone(),
    }
}

/// The tenancy as `shown` lets the caller see its address (the household's protection); a
/// withheld address is not even opened.
fn response(
    ring: &Keyring,
    conn: &mut AnyConnection,
    t: TenancyRow,
    shown: AddressView,
) -> Result<TenancyResponse, ApiError> {
    let address = match shown.render(()) {
        Some(()) => Some(address_of(&t, t.address(ring, conn)?)),
        None => None,
    };
    Ok(view(t, address, shown))
}

fn view(t: TenancyRow, address: Option<Address>, shown: AddressView) -> TenancyResponse {
    let conversion = (t.conversion_months.is_some()
        || t.conversion_conditions.is_some()
        || t.conversion_review_on.is_some())
    .then(|| ConversionAgreement {
        months: t.conversion_months,
        conditions: t.conversion_conditions.clone(),
        review_on: t.conversion_review_on,
    });
    TenancyResponse {
        address,
        address_protected: shown.protected(),
        id: t.id,
        household_id: t.household_id,
        landlord_organization_id: t.landlord_organization_id,
        apartment_number: t.apartment_number,
        rooms: t.rooms,
        size_m2: t.size_m2,
        monthly_rent: t.monthly_rent,
        contract_type: t.contract_type,
        start_on: t.start_on,
        end_on: t.end_on,
        conversion,
        converted_on: t.converted_on,
        version: t.version,
        created_at: types::utc(t.created_at),
    }
}

/// The day a tenancy became first-hand after `req` (PATCH): set when a municipal second-hand
/// contract becomes first-hand (`requested`, else `today`), kept (or corrected with
/// `requested`) while it stays first-hand, cleared otherwise. The day is not in the future nor
/// before the contract's start.
pub fn converted_on(
    before: (&str, Option<NaiveDate>),
    after: (&str, Option<NaiveDate>),
    requested: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Option<NaiveDate>, FieldError> {
    use super::dto::ContractType as C;
    let (before_type, before_on) = before;
    let (after_type, start_on) = after;
    let first_hand = after_type == C::FirstHand.as_str();
    let converting = before_type == C::MunicipalSecondHand.as_str() && first_hand;
    let on = match requested {
        Some(_) if !(converting || (first_hand && before_on.is_some())) => {
            return Err(FieldError::new(
                "converted_on",
                "is only for a municipal second-hand contract becoming first-hand",
            ));
        }
        _ if !first_hand => None,
        Some(day) => Some(day),
        None if converting => Some(today),
        None => before_on,
    };
    if on.is_some_and(|d| d > today) {
        return Err(FieldError::new("converted_on", "must not be in the future"));
    }
    if on.is_some_and(|d| start_on.is_some_and(|s| d < s)) {
        return Err(FieldError::new(
            "converted_on",
            "must not be before start_on",
        ));
    }
    Ok(on)
}

/// `POST /tenancies`.
pub async fn create(
    state: &AppState,
    who: Authorized<ops::CreateTenancy>,
    req: CreateTenancyRequest,
) -> Result<TenancyResponse, ApiError> {
    req.validate().map_err(ApiError::Validation)?;
    let st = state.clone();
    state
        .db
        .write(move |tx| {
            let household = repo::find_visible(tx, &who, &req.household_id)?
                .ok_or_else(|| super::service::no_household("household_id"))?;
            check_landlord(tx, &req.landlord_organization_id)?;
            let now = types::now();
            let conversion = req.conversion.as_ref();
            let id = types::new_id();
            let address = StoredAddress::of(&req.address);
            let address_enc =
                TenancyRow::seal_address(&st.keyring, tx, (&household.id, &id), &address)?;
            let row = TenancyRow {
                id,
                household_id: household.id,
                landlord_organization_id: req.landlord_organization_id.clone(),
                address_enc: Some(address_enc),
                municipality_code: req.address.municipality_code.clone(),
                apartment_number: req.apartment_number.trim().into(),
                rooms: req.rooms,
                size_m2: req.size_m2,
                monthly_rent: req.monthly_rent,
                contract_type: req.contract_type.as_str().into(),
                start_on: req.start_on,
                end_on: req.end_on,
                conversion_months: conversion
                    .map(|c| c.months.unwrap_or(DEFAULT_CONVERSION_MONTHS)),
                conversion_conditions: conversion.and_then(|c| c.conditions.clone()),
                conversion_review_on: conversion.and_then(|c| c.review_on),
                converted_on: None,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            repo::insert_tenancy(tx, &row)?;
            let changes = Changes::new()
                .created("household_id", row.household_id.as_str())
                .created(
                    "landlord_organization_id",
                    row.landlord_organization_id.as_str(),
                )
                .created("contract_type", row.contract_type.as_str())
                .created("monthly_rent", row.monthly_rent)
                .created("rooms", row.rooms)
                .created("size_m2", row.size_m2)
                .created("conversion_months", row.conversion_months)
                .secret("address", true);
            audit::record(
                tx,
                NewEvent {
                    actor: &who.actor(),
                    action: AuditAction::TenancyCreate,
                    entity_type: "tenancy",
                    entity_id: Some(&row.id),
                    case_id: None,
                    changes,
                },
            )?;
            let shown = protection::address_view(tx, &who, &row.household_id)?;
            log_shown(tx, &who, shown, &row)?;
            response(&st.keyring, tx, row, shown)
        })
        .await
}

/// The landlord organization a tenancy names must be one.
fn check_landlord(tx: &mut AnyConnection, id: &str) -> Result<(), ApiError> {
    let landlord = orgs::find_scoped(tx, id, None)
        .ok()
        .filter(|o| o.kind == OrganizationKind::Landlord);
    if landlord.is_none() {
        return Err(ApiError::field(
            "landlord_organization_id",
            "no such landlord organization",
        ));
    }
    Ok(())
}

fn logged(t: &TenancyRow) -> Access<'_> {
    Access {
        subject_type: "tenancy",
        subject_id: &t.id,
        case_id: None,
    }
}

/// A write's answer that showed a protected address is a protected read (other answers of a
/// write show nothing the caller did not just send).
fn log_shown(
    conn: &mut AnyConnection,
    who: &Grant,
    shown: AddressView,
    t: &TenancyRow,
) -> Result<(), ApiError> {
    if shown != AddressView::Shown {
        return Ok(());
    }
    shown.log_read(conn, who, who.operation_id(), &[logged(t)])
}

/// `GET /tenancies/{id}`: in scope when its household is.
pub async fn get(
    state: &AppState,
    who: Authorized<ops::GetTenancy>,
    id: String,
) -> Result<TenancyResponse, ApiError> {
    let st = state.clone();
    state
        .db
        .run(
            move |conn| match repo::find_visible_tenancy(conn, &who, &id)? {
                Some(t) => {
                    let shown = protection::address_view(conn, &who, &t.household_id)?;
                    shown.log_read(conn, &who, who.operation_id(), &[logged(&t)])?;
                    response(&st.keyring, conn, t, shown)
                }
                None => {
                    access::denied(conn, &who, who.operation_id(), "tenancy", &id)?;
                    Err(ApiError::NotFound)
                }
            },
        )
        .await
}

/// `GET /households/{id}/tenancies`.
pub async fn list(
    state: &AppState,
    who: Authorized<ops::ListHouseholdTenancies>,
    household_id: String,
) -> Result<TenancyList, ApiError> {
    let st = state.clone();
    state
        .db
        .run(move |conn| {
            let Some(h) = repo::find_visible(conn, &who, &household_id)? else {
                access::denied(conn, &who, who.operation_id(), "household", &household_id)?;
                return Err(ApiError::NotFound);
            };
            let rows = repo::tenancies_of(conn, &h.id)?;
            let mut logged = vec![Access {
                subject_type: "household",
                subject_id: &h.id,
                case_id: None,
            }];
            logged.extend(rows.iter().map(self::logged));
            let shown = protection::address_view(conn, &who, &h.id)?;
            shown.log_read(conn, &who, who.operation_id(), &logged)?;
            let items = rows
                .into_iter()
                .map(|t| response(&st.keyring, conn, t, shown))
                .collect::<Result<_, _>>()?;
            Ok(TenancyList { items })
        })
        .await
}

/// The tenancy as it would be after `req`, in the shape of a new one so it is validated by the
/// same rules ([`CreateTenancyRequest::validate`]).
fn merged(
    t: &TenancyRow,
    stored: &StoredAddress,
    req: UpdateTenancyRequest,
) -> CreateTenancyRequest {
    let current = view(t.clone(), None, AddressView::Open);
    CreateTenancyRequest {
        household_id: t.household_id.clone(),
        landlord_organization_id: req
            .landlord_organization_id
            .unwrap_or(current.landlord_organization_id),
        address: req.address.unwrap_or_else(|| address_of(t, stored.clone())),
        apartment_number: req.apartment_number.unwrap_or(current.apartment_number),
        rooms: req.rooms.unwrap_or(current.rooms),
        size_m2: req.size_m2.unwrap_or(current.size_m2),
        monthly_rent: req.monthly_rent.unwrap_or(current.monthly_rent),
        contract_type: match req.contract_type {
            Some(c) => c,
            None => current_contract(&current.contract_type),
        },
        start_on: req.start_on.unwrap_or(current.start_on),
        end_on: req.end_on.unwrap_or(current.end_on),
        conversion: req.conversion.unwrap_or(current.conversion),
    }
}

fn current_contract(stored: &str) -> super::dto::ContractType {
    use super::dto::ContractType as C;
    [C::FirstHand, C::MunicipalSecondHand, C::Sublet, C::Other]
        .into_iter()
        .find(|c| c.as_str() == stored)
        .unwrap_or(C::Other)
}

/// A visible tenancy inside a write ([`scoped_write`] logs a miss).
fn tenancy_for_write(tx: &mut Tx<'_>, who: &Grant, id: &str) -> Result<TenancyRow, ApiError> {
    let missing = || ApiError::NotVisible {
        subject_type: "tenancy",
        subject_id: id.to_owned(),
    };
    let t = repo::find_tenancy(tx, id)?.ok_or_else(missing)?;
    visible_for_write(tx, who, &t.household_id).map_err(|_| missing())?;
    Ok(t)
}

/// `PATCH /tenancies/{id}` (If-Match: the tenancy's version).
pub async fn update(
    state: &AppState,
    who: Authorized<ops::UpdateTenancy>,
    id: String,
    if_match: IfMatch,
    req: UpdateTenancyRequest,
) -> Result<TenancyResponse, ApiError> {
    let expected = if_match.version()?;
    let grant = (*who).clone();
    let st = state.clone();
    scoped_write(state, &grant, move |tx| {
        let before = tenancy_for_write(tx, &who, &id)?;
        if before.version != expected {
            return Err(ApiError::PreconditionFailed);
        }
        let landlord_changes = req.landlord_organization_id.is_some();
        let requested = req.converted_on;
        let before_address = before.address(&st.keyring, tx)?;
        let m = merged(&before, &before_address, req);
        m.validate().map_err(ApiError::Validation)?;
        let converted = converted_on(
            (before.contract_type.as_str(), before.converted_on),
            (m.contract_type.as_str(), m.start_on),
            requested,
            crate::domain::sweden::today(),
        )
        .map_err(|e| ApiError::Validation(vec![e]))?;
        if landlord_changes && m.landlord_organization_id != before.landlord_organization_id {
            check_landlord(tx, &m.landlord_organization_id)?;
        }
        let conversion = m.conversion.as_ref();
        let after_address = StoredAddress::of(&m.address);
        let address_changed = after_address != before_address
            || before.municipality_code != m.address.municipality_code;
        let address_enc = if after_address == before_address {
            before.address_enc.clone()
        } else {
            let at = (before.household_id.as_str(), before.id.as_str());
            Some(TenancyRow::seal_address(
                &st.keyring,
                tx,
                at,
                &after_address,
            )?)
        };
        let after = TenancyRow {
            landlord_organization_id: m.landlord_organization_id.clone(),
            address_enc,
            municipality_code: m.address.municipality_code.clone(),
            apartment_number: m.apartment_number.trim().into(),
            rooms: m.rooms,
            size_m2: m.size_m2,
            monthly_rent: m.monthly_rent,
            contract_type: m.contract_type.as_str().into(),
            start_on: m.start_on,
            end_on: m.end_on,
            conversion_months: conversion.map(|c| c.months.unwrap_or(DEFAULT_CONVERSION_MONTHS)),
            conversion_conditions: conversion.and_then(|c| c.conditions.clone()),
            conversion_review_on: conversion.and_then(|c| c.review_on),
            converted_on: converted,
            ..before.clone()
        };
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string());
        let changes = Changes::new()
            .field(
                "landlord_organization_id",
                before.landlord_organization_id.as_str(),
                after.landlord_organization_id.as_str(),
            )
            .field(
                "contract_type",
                before.contract_type.as_str(),
                after.contract_type.as_str(),
            )
            .field("monthly_rent", before.monthly_rent, after.monthly_rent)
            .field("rooms", before.rooms, after.rooms)
            .field("size_m2", before.size_m2, after.size_m2)
            .field("start_on", date(before.start_on), date(after.start_on))
            .field("end_on", date(before.end_on), date(after.end_on))
            .field(
                "conversion_months",
                before.conversion_months,
                after.conversion_months,
            )
            .field(
                "conversion_review_on",
                date(before.conversion_review_on),
                date(after.conversion_review_on),
            )
            .field(
                "converted_on",
                date(before.converted_on),
                date(after.converted_on),
            )
            .secret(
                "conversion_conditions",
                before.conversion_conditions != after.conversion_conditions,
            )
            .secret(
                "apartment_number",
                before.apartment_number != after.apartment_number,
            )
            .secret("address", address_changed);
        let shown = protection::address_view(tx, &who, &before.household_id)?;
        if changes.is_empty() {
            log_shown(tx, &who, shown, &before)?;
            return response(&st.keyring, tx, before, shown);
        }
        if !repo::update_tenancy_versioned(tx, &after, expected, types::now())? {
            return Err(ApiError::PreconditionFailed);
        }
        audit::record(
            tx,
            NewEvent {
                actor: &who.actor(),
                action: AuditAction::TenancyUpdate,
                entity_type: "tenancy",
                entity_id: Some(&after.id),
                case_id: None,
                changes,
            },
        )?;
        if before.converted_on != after.converted_on || before.start_on != after.start_on {
            crate::stats::facts::refresh_household(tx, &after.household_id)?;
        }
        let stored = repo::find_tenancy(tx, &after.id)?.ok_or(ApiError::NotFound)?;
        log_shown(tx, &who, shown, &stored)?;
        response(&st.keyring, tx, stored, shown)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::converted_on;
    use chrono::NaiveDate;

    fn d(s: &str) -> Option<NaiveDate> {
        s.parse().ok()
    }

    #[test]
    fn the_conversion_day_is_set_when_a_municipal_second_hand_contract_becomes_first_hand() {
        let today = d("2026-11-29").unwrap_or_default();
        let second = ("municipal_second_hand", None);
        let start = Some(today - chrono::Duration::days(600));
        let after = ("first_hand", start);
        assert_eq!(converted_on(second, after, None, today), Ok(Some(today)));
        assert_eq!(
            converted_on(second, after, d("2026-06-15"), today),
            Ok(d("2026-06-15"))
        );
        // Corrected later; kept while first-hand; cleared when it is not.
        let done = ("first_hand", d("2026-06-15"));
        assert_eq!(
            converted_on(done, after, d("2026-06-16"), today),
            Ok(d("2026-06-16"))
        );
        assert_eq!(converted_on(done, after, None, today), Ok(d("2026-06-15")));
        assert_eq!(converted_on(done, ("sublet", start), None, today), Ok(None));
        // Refused: on its own, in the future, before the start, for another contract.
        let refused = |before, after, on| converted_on(before, after, on, today).is_err();
        assert!(refused(
            second,
            ("municipal_second_hand", start),
            d("2026-06-15")
        ));
        assert!(refused(second, after, d("2026-11-30")));
        assert!(refused(
            second,
            after,
            start.map(|s| s - chrono::Duration::days(1))
        ));
        assert!(refused(("sublet", None), after, d("2026-06-15")));
    }
}
