//! What approving a rent commitment may rest on. The letter tells the landlord that social
//! services act for the tenant, which is itself a secret social-services fact (OSL 26:1): it
//! may go out only with the tenant's `share_with_landlord` consent valid on the day of the
//! decision, or on a legal basis the decider records with its reason (SPEC §9).

use chrono::NaiveDate;

use crate::audit::Changes;
use crate::cases::repo::CaseRow;
use crate::consents::repo as consents;
use crate::db::Tx;
use crate::domain::consent::{ConsentScope, DisclosureBasis};
use crate::error::ApiError;
use crate::households::dto::Relation;
use crate::households::repo::{self as households, MemberRow};
use crate::persons::repo::PersonRow;
use crate::state::AppState;

/// The basis an approval records.
pub struct Disclosure {
    pub basis: DisclosureBasis,
    pub consent_id: Option<String>,
    pub legal_basis_enc: Option<Vec<u8>>,
}

/// The decision's audit changes with the basis: by value, but a legal basis's reason only as
/// given (it is free text).
pub fn audited(d: Option<&Disclosure>, changes: Changes) -> Changes {
    changes
        .created("disclosure_basis", d.map(|d| d.basis.as_str()))
        .created("consent_id", d.and_then(|d| d.consent_id.clone()))
        .secret(
            "legal_basis",
            d.is_some_and(|d| d.legal_basis_enc.is_some()),
        )
}

/// The tenant of the case's household: the member with relation `self` (one living there
/// before one who moved out), 409 when there is none.
pub fn tenant(tx: &mut Tx<'_>, case: &CaseRow) -> Result<(MemberRow, PersonRow), ApiError> {
    households::members_with_persons(tx, &case.household_id)?
        .into_iter()
        .filter(|(m, _)| m.relation == Relation::Head.as_str())
        .min_by_key(|(m, _)| m.moved_out_on.is_some())
        .ok_or_else(|| {
            ApiError::conflict("The household has no tenant (a member with relation self).")
        })
}

/// The basis for approving commitment `rc_id` on `case` on `day`: the recorded legal basis when
/// the decider gives one, otherwise the tenant's `share_with_landlord` consent holding that
/// day; 409 when there is neither.
pub fn basis(
    tx: &mut Tx<'_>,
    st: &AppState,
    case: &CaseRow,
    rc_id: &str,
    legal_basis: Option<&str>,
    day: NaiveDate,
) -> Result<Disclosure, ApiError> {
    if let Some(reason) = legal_basis {
        return Ok(Disclosure {
            basis: DisclosureBasis::LegalBasis,
            consent_id: None,
            legal_basis_enc: Some(st.keyring.seal(
                tx,
                crate::crypto::subjects::Subject::case(&case.id),
                "rent_commitments",
                "legal_basis",
                rc_id,
                reason.trim(),
            )?),
        });
    }
    let (_, person) = tenant(tx, case)?;
    let consent = consents::holding_on(
        tx,
        &case.organization_id,
        &person.id,
        ConsentScope::ShareWithLandlord,
        day,
    )?;
    match consent {
        Some(c) => Ok(Disclosure {
            basis: DisclosureBasis::Consent,
            consent_id: Some(c.id),
            legal_basis_enc: None,
        }),
        None => Err(ApiError::conflict(
            "Approving tells the landlord that social services act for the tenant: record the \
             tenant's share_with_landlord consent valid today, or give legal_basis with its reason.",
        )),
    }
}
