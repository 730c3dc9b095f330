//! Tenancies: the lease a household risks losing.

use super::dto::{Address, ConversionAgreement, CreateTenancyRequest, TenancyResponse};
use super::repo::{self, TenancyRow};
use crate::audit::AuditAction;
use crate::audit::{self, Changes, NewEvent};
use crate::auth::policy::{Authorized, ops};
use crate::db::types;
use crate::domain::states::OrganizationKind;
use crate::error::ApiError;
use crate::organizations::repo as orgs;
use crate::state::AppState;

/// Default months until a second-hand contract converts to first-hand.
pub const DEFAULT_CONVERSION_MONTHS: i32 = 18;

impl From<TenancyRow> for TenancyResponse {
    fn from(t: TenancyRow) -> Self {
        let conversion = (t.conversion_months.is_some()
            || t.conversion_conditions.is_some()
            || t.conversion_review_on.is_some())
        .then(|| ConversionAgreement {
            months: t.conversion_months,
            conditions: t.conversion_conditions.clone(),
            review_on: t.conversion_review_on,
        });
        TenancyResponse {
            id: t.id,
            household_id: t.household_id,
            landlord_organization_id: t.landlord_organization_id,
            address: Address {
                street: t.street,
                postal_code: t.postal_code,
                city: t.city,
                municipality_code: t.municipality_code,
            },
            apartment_number: t.apartment_number,
            rooms: t.rooms,
            size_m2: t.size_m2,
            monthly_rent: t.monthly_rent,
            contract_type: t.contract_type,
            start_on: t.start_on,
            end_on: t.end_on,
            conversion,
            version: t.version,
            created_at: types::utc(t.created_at),
        }
    }
}

/// `POST /tenancies`.
pub async fn create(
    state: &AppState,
    who: Authorized<ops::CreateTenancy>,
    req: CreateTenancyRequest,
) -> Result<TenancyResponse, ApiError> {
    req.validate().map_err(ApiError::Validation)?;
    state
        .db
        .write(move |tx| {
            let household = repo::find_visible(tx, &who, &req.household_id)?
                .ok_or_else(|| super::service::no_household("household_id"))?;
            let landlord = orgs::find_scoped(tx, &req.landlord_organization_id, None)
                .ok()
                .filter(|o| o.kind == OrganizationKind::Landlord);
            if landlord.is_none() {
                return Err(ApiError::field(
                    "landlord_organization_id",
                    "no such landlord organization",
                ));
            }
            let now = types::now();
            let conversion = req.conversion.as_ref();
            let row = TenancyRow {
                id: types::new_id(),
                household_id: household.id,
                landlord_organization_id: req.landlord_organization_id.clone(),
                street: req.address.street.trim().into(),
                postal_code: req.address.postal_code.replace(' ', ""),
                city: req.address.city.trim().into(),
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
            Ok(row.into())
        })
        .await
}
