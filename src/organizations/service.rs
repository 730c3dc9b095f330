//! Organization and unit administration.

use super::dto::{
    CreateOrganizationRequest, CreateUnitRequest, OrganizationKind, OrganizationList,
    OrganizationResponse, UnitList, UnitResponse, UpdateOrganizationRequest,
};
use super::repo::{self, OrgRow, UnitRow};
use crate::audit::AuditAction;
use crate::audit::{self, Changes, NewEvent};
use crate::auth::policy::{Authorized, ops};
use crate::auth::scope;
use crate::db::{Db, types};
use crate::error::{ApiError, FieldError};
use crate::http::etag::IfMatch;
use crate::pagination::{Cursor, Page};

/// Luhn check over a string of digits.
pub fn luhn_ok(digits: &str) -> bool {
    let sum: u32 = digits
        .chars()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = c.to_digit(10).unwrap_or(0);
            if i % 2 == 1 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// `NNNNNN-NNNN` with a valid check digit; returns the normalized form.
pub fn parse_org_number(s: &str) -> Option<String> {
    let digits: String = s.chars().filter(|c| *c != '-').collect();
    let ok = digits.len() == 10
        && digits.chars().all(|c| c.is_ascii_digit())
        && s.chars().filter(|c| *c == '-').count() <= 1
        && luhn_ok(&digits);
    ok.then(|| format!("{}-{}", &digits[..6], &digits[6..]))
}

fn valid_name(s: &str) -> bool {
    !s.trim().is_empty() && s.chars().count() <= 200
}

/// The county code to store for an organization of `kind` with `municipality_code`: `given`,
/// or a municipality's from its kommunkod.
fn county(
    kind: OrganizationKind,
    municipality_code: Option<&str>,
    given: Option<&String>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let derived = municipality_code
        .filter(|_| kind == OrganizationKind::Municipality)
        .and_then(|c| c.get(..2))
        .map(str::to_owned);
    let mut refuse = |msg: &str| {
        errors.push(FieldError::new("county_code", msg));
        None
    };
    match (given, kind) {
        (Some(c), _) if c.len() != 2 || !c.chars().all(|c| c.is_ascii_digit()) => {
            refuse("must be 2 digits (länskod)")
        }
        (Some(c), OrganizationKind::Municipality) if Some(c) != derived.as_ref() => {
            refuse("must be the first two digits of the municipality code")
        }
        (Some(c), OrganizationKind::Municipality | OrganizationKind::CountyBoard) => {
            Some(c.clone())
        }
        (None, OrganizationKind::Municipality) => derived,
        (None, OrganizationKind::CountyBoard) => refuse("is required for a county board"),
        (Some(_), _) => refuse("is only for municipalities and county boards"),
        (None, _) => None,
    }
}

/// The research sample's days, canonical (`5,15,25` by default); only for municipalities.
fn sample_days(req: &CreateOrganizationRequest, errors: &mut Vec<FieldError>) -> String {
    use crate::domain::retention::{DEFAULT_SAMPLE_DAYS, parse_sample_days};
    match (&req.research_sample_days, req.kind) {
        (None, _) => DEFAULT_SAMPLE_DAYS.into(),
        (Some(d), OrganizationKind::Municipality) => match parse_sample_days(d) {
            Ok(days) => days.iter().map(u8::to_string).collect::<Vec<_>>().join(","),
            Err(msg) => {
                errors.push(FieldError::new("research_sample_days", msg));
                DEFAULT_SAMPLE_DAYS.into()
            }
        },
        (Some(_), _) => {
            errors.push(FieldError::new(
                "research_sample_days",
                "is only for municipalities",
            ));
            DEFAULT_SAMPLE_DAYS.into()
        }
    }
}

pub(crate) type Validated = (Option<String>, Option<String>, String);

pub(crate) fn validate(req: &CreateOrganizationRequest) -> Result<Validated, ApiError> {
    let mut errors = Vec::new();
    if !valid_name(&req.name) {
        errors.push(FieldError::new("name", "must be 1–200 characters"));
    }
    let org_number = match &req.org_number {
        Some(n) => match parse_org_number(n) {
            Some(n) => Some(n),
            None => {
                errors.push(FieldError::new(
                    "org_number",
                    "must be NNNNNN-NNNN with a valid check digit",
                ));
                None
            }
        },
        None => None,
    };
    match (&req.municipality_code, req.kind) {
        (Some(code), OrganizationKind::Municipality) => {
            if code.len() != 4 || !code.chars().all(|c| c.is_ascii_digit()) {
                errors.push(FieldError::new(
                    "municipality_code",
                    "must be 4 digits (kommunkod)",
                ));
            }
        }
        (None, OrganizationKind::Municipality) => {
            errors.push(FieldError::new(
                "municipality_code",
                "is required for a municipality",
            ));
        }
        (Some(_), _) => {
            errors.push(FieldError::new(
                "municipality_code",
                "is only for municipalities",
            ));
        }
        (None, _) => {}
    }
    let county_code = county(
        req.kind,
        req.municipality_code.as_deref(),
        req.county_code.as_ref(),
        &mut errors,
    );
    let days = sample_days(req, &mut errors);
    if errors.is_empty() {
        Ok((org_number, county_code, days))
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// `POST /organizations` (platform admin).
pub async fn create(
    db: &Db,
    who: Authorized<ops::CreateOrganization>,
    req: CreateOrganizationRequest,
) -> Result<OrganizationResponse, ApiError> {
    let (org_number, county_code, research_sample_days) = validate(&req)?;
    db.write(move |tx| {
        let now = types::now();
        let row = OrgRow {
            id: types::new_id(),
            kind: req.kind,
            name: req.name.trim().into(),
            org_number,
            municipality_code: req.municipality_code.clone(),
            county_code,
            research_sample_days,
            intake_unit_id: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        repo::insert_org(tx, &row).map_err(|e| match ApiError::from(e) {
            ApiError::Conflict { .. } => {
                ApiError::conflict("An organization with this municipality code already exists.")
            }
            other => other,
        })?;
        let changes = Changes::new()
            .created("kind", row.kind.as_str())
            .created("name", row.name.as_str())
            .created("org_number", row.org_number.clone())
            .created("municipality_code", row.municipality_code.clone())
            .created("county_code", row.county_code.clone())
            .created("research_sample_days", row.research_sample_days.as_str());
        audit::record(
            tx,
            NewEvent {
                actor: &who.actor(),
                action: AuditAction::OrganizationCreate,
                entity_type: "organization",
                entity_id: Some(&row.id),
                case_id: None,
                changes,
            },
        )?;
        Ok(row.into())
    })
    .await
}

/// `PATCH /organizations/{id}` (platform admin): set the county code. Audited.
pub async fn update(
    db: &Db,
    who: Authorized<ops::UpdateOrganization>,
    id: String,
    if_match: IfMatch,
    req: UpdateOrganizationRequest,
) -> Result<OrganizationResponse, ApiError> {
    let expected = if_match.version()?;
    let given = req.county_code;
    db.write(move |tx| {
        let org = repo::find_scoped(tx, &id, scope::organization_filter(&who))?;
        if org.version != expected {
            return Err(ApiError::PreconditionFailed);
        }
        let mut errors = Vec::new();
        let county_code = county(
            org.kind,
            org.municipality_code.as_deref(),
            Some(&given),
            &mut errors,
        );
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        if county_code == org.county_code {
            return Ok(org.into());
        }
        let now = types::now();
        if !repo::set_county_code(tx, &org.id, expected, county_code.as_deref(), now)? {
            return Err(ApiError::PreconditionFailed);
        }
        audit::record(
            tx,
            NewEvent {
                actor: &who.actor(),
                action: AuditAction::OrganizationUpdate,
                entity_type: "organization",
                entity_id: Some(&org.id),
                case_id: None,
                changes: Changes::new().field(
                    "county_code",
                    org.county_code.clone(),
                    county_code.clone(),
                ),
            },
        )?;
        Ok(repo::find_scoped(tx, &org.id, None)?.into())
    })
    .await
}

/// `GET /organizations/{id}`.
pub async fn get(
    db: &Db,
    who: Authorized<ops::GetOrganization>,
    id: String,
) -> Result<OrganizationResponse, ApiError> {
    db.run(move |conn| Ok(repo::find_scoped(conn, &id, scope::organization_filter(&who))?.into()))
        .await
}

/// `GET /organizations`.
pub async fn list(
    db: &Db,
    who: Authorized<ops::ListOrganizations>,
    page: Page,
) -> Result<OrganizationList, ApiError> {
    let (limit, after) = page.parse()?;
    db.run(move |conn| {
        let mut rows = repo::list_scoped(
            conn,
            scope::organization_filter(&who),
            after.as_deref(),
            limit + 1,
        )?;
        let next = Cursor::next(&mut rows, limit, |o| o.id.clone());
        Ok(OrganizationList {
            items: rows.into_iter().map(Into::into).collect(),
            next_cursor: next,
        })
    })
    .await
}

/// `POST /organizations/{id}/units`: the first unit also becomes the intake unit.
pub async fn create_unit(
    db: &Db,
    who: Authorized<ops::CreateUnit>,
    org_id: String,
    req: CreateUnitRequest,
) -> Result<UnitResponse, ApiError> {
    if !valid_name(&req.name) {
        return Err(ApiError::field("name", "must be 1–200 characters"));
    }
    if req
        .rent_commitment_limit
        .is_some_and(|l| !(1..=100_000_000).contains(&l))
    {
        return Err(ApiError::field(
            "rent_commitment_limit",
            "must be 1–100000000 kronor",
        ));
    }
    db.write(move |tx| {
        let org = repo::find_scoped(tx, &org_id, scope::organization_filter(&who))?;
        if org.kind != OrganizationKind::Municipality {
            return Err(ApiError::conflict(
                "Units belong to municipalities' social services.",
            ));
        }
        let now = types::now();
        let unit = UnitRow {
            id: types::new_id(),
            organization_id: org.id.clone(),
            name: req.name.trim().into(),
            version: 1,
            created_at: now,
            updated_at: now,
            rent_commitment_limit: req.rent_commitment_limit,
        };
        repo::insert_unit(tx, &unit)?;
        let intake = repo::set_intake_unit_if_unset(tx, &org.id, &unit.id, now)?;
        let changes = Changes::new()
            .created("organization_id", unit.organization_id.as_str())
            .created("name", unit.name.as_str())
            .created("rent_commitment_limit", unit.rent_commitment_limit)
            .created("intake_unit", intake);
        audit::record(
            tx,
            NewEvent {
                actor: &who.actor(),
                action: AuditAction::UnitCreate,
                entity_type: "unit",
                entity_id: Some(&unit.id),
                case_id: None,
                changes,
            },
        )?;
        Ok(unit.into())
    })
    .await
}

/// `GET /organizations/{id}/units`.
pub async fn list_units(
    db: &Db,
    who: Authorized<ops::ListUnits>,
    org_id: String,
) -> Result<UnitList, ApiError> {
    db.run(move |conn| {
        let org = repo::find_scoped(conn, &org_id, scope::organization_filter(&who))?;
        let items = repo::list_units(conn, &org.id)?
            .into_iter()
            .map(Into::into)
            .collect();
        Ok(UnitList {
            items,
            next_cursor: None,
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_numbers_need_ten_digits_and_a_valid_check_digit() {
        assert_eq!(parse_org_number("212000-0142"), Some("212000-0142".into()));
        assert_eq!(parse_org_number("2120000142"), Some("212000-0142".into()));
        assert_eq!(parse_org_number("212000-0143"), None);
        assert_eq!(parse_org_number("21200-0142"), None);
        assert_eq!(parse_org_number("abcdef-ghij"), None);
    }
}
