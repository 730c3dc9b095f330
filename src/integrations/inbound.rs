//! Inbound submissions: payloads validated like user input, turned into a notice on a matched
//! case, answered with a receipt that is the same whether or not the person is known to social
//! services; idempotent per submitter and key.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use super::arrears::{ArrearsPeriod, ArrearsReport};
use super::idempotency;
use super::matching::{self, Subject};
use super::receipts::{self, ReceiptResponse};
use super::submitter::Submitter;
use crate::db::{AnyConnection, types, write_tx};
use crate::domain::deadlines::NoticeKind;
use crate::domain::personnummer::Personnummer;
use crate::domain::states::{NoticeSource, OrganizationKind};
use crate::domain::sweden;
use crate::error::{ApiError, FieldError};
use crate::households::dto::{Address, check_address, is_municipality_code};
use crate::notices::dto::{CreateNoticeRequest, NoticeInput, ReportedName};
use crate::organizations::repo::OrgRow;
use crate::state::AppState;

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tenant {
    pub personnummer: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub name: String,
}

/// `POST /enforcement/events`: one of Kronofogden's `kfm_*` events.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnforcementEvent {
    /// kfm_application_received, kfm_order_issued, kfm_eviction_scheduled, kfm_postponed,
    /// kfm_withdrawn or kfm_executed.
    #[schema(
        pattern = "^(kfm_application_received|kfm_order_issued|kfm_eviction_scheduled|kfm_postponed|kfm_withdrawn|kfm_executed)$"
    )]
    pub event_type: String,
    pub occurred_at: DateTime<Utc>,
    /// Kronofogden's målnummer.
    #[schema(
        min_length = 1,
        max_length = 40,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub kfm_case_number: String,
    #[schema(pattern = "^[0-9]{4}$")]
    pub municipality_code: String,
    pub tenant: Tenant,
    pub address: Address,
    pub landlord_org_number: Option<String>,
    pub eviction_at: Option<DateTime<Utc>>,
    /// For kfm_executed: executed, abandoned or moved_voluntarily.
    pub outcome: Option<String>,
    pub children_present: Option<bool>,
    pub social_services_present: Option<bool>,
    /// For kfm_executed: children registered at the address (folkbokförda där).
    #[schema(minimum = 0, maximum = 100)]
    pub children_registered: Option<i32>,
    /// For kfm_executed: children living there but registered elsewhere.
    #[schema(minimum = 0, maximum = 100)]
    pub children_not_registered: Option<i32>,
}

/// `POST /landlord/notices`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LandlordNotice {
    /// termination_served, social_notice_received, payment_confirmed or kfm_withdrawn.
    #[schema(
        pattern = "^(termination_served|social_notice_received|payment_confirmed|kfm_withdrawn)$"
    )]
    pub kind: String,
    pub tenant: Tenant,
    pub address: Address,
    #[schema(pattern = "^[0-9]{4}$")]
    pub municipality_code: String,
    pub apartment_number: Option<String>,
    pub sent_on: Option<NaiveDate>,
    pub served_on: Option<NaiveDate>,
    #[schema(pattern = "^(personal|substitute|public_notice|by_enforcement_authority|unknown)$")]
    pub service_method: Option<String>,
    #[schema(minimum = 0, maximum = 100000000)]
    pub amount_to_reinstate: Option<i64>,
    #[schema(minimum = 1, maximum = 1000)]
    pub apartment_size_m2: Option<i32>,
    /// payment_confirmed: the sum paid, whole kronor. Without it the payment is shown as
    /// reported but unverified and meets no deadline until staff confirm the amount.
    #[schema(minimum = 0, maximum = 100000000)]
    pub amount_paid: Option<i64>,
    #[schema(
        min_length = 1,
        max_length = 40,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub kfm_case_number: Option<String>,
    /// The landlord's own reference.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub reference: Option<String>,
}

/// A submission after validation.
pub struct Submission {
    pub personnummer: Personnummer,
    pub name: String,
    pub address: Address,
    pub municipality_code: String,
    pub apartment_number: Option<String>,
    pub landlord_org_number: Option<String>,
    pub landlord_is_submitter: bool,
    pub notice: NoticeInput,
    pub receipt_kind: &'static str,
}

fn tenant_errors(t: &Tenant, errors: &mut Vec<FieldError>) -> Option<Personnummer> {
    if t.name.trim().is_empty() || t.name.chars().count() > 200 {
        errors.push(FieldError::new("tenant.name", "must be 1–200 characters"));
    }
    match Personnummer::parse(&t.personnummer) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.push(FieldError::new("tenant.personnummer", e.to_string()));
            None
        }
    }
}

pub(super) fn finish(
    mut errors: Vec<FieldError>,
    pnr: Option<Personnummer>,
    notice: Result<NoticeInput, Vec<FieldError>>,
    build: impl FnOnce(Personnummer, NoticeInput) -> Submission,
) -> Result<Submission, ApiError> {
    match notice {
        Err(e) => errors.extend(e),
        Ok(n) if errors.is_empty() => {
            if let Some(p) = pnr {
                return Ok(build(p, n));
            }
        }
        Ok(_) => {}
    }
    Err(ApiError::Validation(errors))
}

pub(super) fn common(
    t: &Tenant,
    address: &Address,
    code: &str,
) -> (Vec<FieldError>, Option<Personnummer>) {
    let mut errors = Vec::new();
    let pnr = tenant_errors(t, &mut errors);
    check_address(address, "address", &mut errors);
    if !is_municipality_code(code) {
        errors.push(FieldError::new(
            "municipality_code",
            "must be 4 digits (kommunkod)",
        ));
    }
    (errors, pnr)
}

impl EnforcementEvent {
    pub fn validate(self) -> Result<Submission, ApiError> {
        let (mut errors, pnr) = common(&self.tenant, &self.address, &self.municipality_code);
        if !self.event_type.starts_with("kfm_") || NoticeKind::parse(&self.event_type).is_none() {
            errors.push(FieldError::new(
                "event_type",
                "must be one of the kfm_* events of SPEC §4.2",
            ));
        }
        let today = sweden::today();
        let req = CreateNoticeRequest {
            kind: self.event_type.clone(),
            sent_on: Some(sweden::date_at(self.occurred_at)),
            eviction_at: self.eviction_at,
            execution_outcome: self.outcome.clone(),
            children_present: self.children_present,
            social_services_present: self.social_services_present,
            children_registered: self.children_registered,
            children_not_registered: self.children_not_registered,
            kfm_case_number: Some(self.kfm_case_number.clone()),
            ..CreateNoticeRequest::default()
        };
        let notice = req.validate(NoticeSource::EnforcementAuthority, today);
        finish(errors, pnr, notice, |p, n| Submission {
            personnummer: p,
            name: self.tenant.name.trim().into(),
            address: self.address.clone(),
            municipality_code: self.municipality_code.clone(),
            apartment_number: None,
            landlord_org_number: self.landlord_org_number.clone(),
            landlord_is_submitter: false,
            notice: n,
            receipt_kind: "enforcement_event",
        })
    }
}

impl LandlordNotice {
    pub fn validate(self) -> Result<Submission, ApiError> {
        let (mut errors, pnr) = common(&self.tenant, &self.address, &self.municipality_code);
        const KINDS: [NoticeKind; 4] = [
            NoticeKind::TerminationServed,
            NoticeKind::SocialNoticeReceived,
            NoticeKind::PaymentConfirmed,
            NoticeKind::KfmWithdrawn,
        ];
        let kind = NoticeKind::parse(&self.kind).filter(|k| KINDS.contains(k));
        if kind.is_none() {
            errors.push(FieldError::new("kind", "must be termination_served, social_notice_received, payment_confirmed or kfm_withdrawn"));
        }
        let today = sweden::today();
        // Formulär 3 reaches social services when kvar receives it.
        let received_on = (kind == Some(NoticeKind::SocialNoticeReceived)).then_some(today);
        let req = CreateNoticeRequest {
            kind: self.kind.clone(),
            sent_on: self
                .sent_on
                .or((kind != Some(NoticeKind::TerminationServed)).then_some(today)),
            served_on: self.served_on,
            service_method: self.service_method.clone(),
            received_on,
            amount_to_reinstate: self.amount_to_reinstate,
            apartment_size_m2: self.apartment_size_m2,
            amount_paid: self.amount_paid,
            kfm_case_number: self.kfm_case_number.clone(),
            external_ref: self.reference.clone(),
            ..CreateNoticeRequest::default()
        };
        let notice = req.validate(NoticeSource::Landlord, today);
        finish(errors, pnr, notice, |p, n| Submission {
            personnummer: p,
            name: self.tenant.name.trim().into(),
            address: self.address.clone(),
            municipality_code: self.municipality_code.clone(),
            apartment_number: self.apartment_number.clone(),
            landlord_org_number: None,
            landlord_is_submitter: true,
            notice: n,
            receipt_kind: "landlord_notice",
        })
    }
}

/// A submission's answer: status, body, and whether it is a replay.
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

fn landlord_by_org_number(
    conn: &mut AnyConnection,
    number: &str,
) -> Result<Option<OrgRow>, ApiError> {
    use crate::db::schema::organizations;
    use diesel::prelude::*;
    Ok(organizations::table
        .filter(organizations::org_number.eq(number))
        .filter(organizations::kind.eq(OrganizationKind::Landlord))
        .select(OrgRow::as_select())
        .first(conn)
        .optional()?)
}

/// Process one submission idempotently in its own transaction.
pub fn submit(
    conn: &mut AnyConnection,
    st: &AppState,
    who: &Submitter,
    key: &str,
    hash: &str,
    sub: Submission,
) -> Result<Answer, ApiError> {
    let result = write_tx(conn, |tx| {
        idempotency::hold_in_tx(tx, &who.key, key)?;
        if let Some(stored) = idempotency::lookup(tx, &who.key, key, hash)? {
            return Ok(Answer {
                status: stored.status,
                body: stored.body,
                replayed: true,
            });
        }
        let claim = idempotency::claim(tx, &who.key, key, hash)?;
        let org = matching::municipality(tx, &sub.municipality_code)?;
        let landlord = if sub.landlord_is_submitter {
            Some(who.organization_id.clone())
        } else {
            match &sub.landlord_org_number {
                Some(n) => landlord_by_org_number(tx, n)?.map(|o| o.id),
                None => None,
            }
        };
        let subject = Subject {
            personnummer: &sub.personnummer,
            name: &sub.name,
            address: &sub.address,
            kfm_case_number: sub.notice.req.kfm_case_number.as_deref(),
            landlord_organization_id: landlord.as_deref(),
            apartment_number: sub.apartment_number.as_deref(),
            apartment_size_m2: sub.notice.req.apartment_size_m2,
        };
        let (case, _) = matching::match_case(tx, st, who, &org, &subject)?;
        let notice_id = types::new_id();
        let name_enc = st.keyring.seal(
            tx,
            crate::crypto::subjects::Subject::case(&case.id),
            "notices",
            "reported_name",
            &notice_id,
            &sub.name,
        )?;
        let notice = NoticeInput {
            reported: Some(ReportedName {
                notice_id,
                name_enc,
            }),
            ..sub.notice
        };
        let registered = crate::notices::service::register(
            tx,
            (&st.keyring, &st.blind),
            &who.actor,
            &case,
            notice,
        )?;
        let receipt = receipts::insert(tx, who, sub.receipt_kind, &registered.notice.id)?;
        let body = serde_json::to_string(&ReceiptResponse::from(receipt))
            .map_err(|e| ApiError::Internal(format!("receipt as JSON: {e}")))?;
        idempotency::store(tx, &claim, 202, &body)?;
        Ok(Answer {
            status: 202,
            body,
            replayed: false,
        })
    });
    match result {
        // A concurrent request with the same key committed first: answer with its response.
        Err(ApiError::Conflict { .. }) => match idempotency::lookup(conn, &who.key, key, hash)? {
            Some(stored) => Ok(Answer {
                status: stored.status,
                body: stored.body,
                replayed: true,
            }),
            None => Err(ApiError::conflict(
                "A request with this Idempotency-Key is in flight; retry.",
            )),
        },
        other => other,
    }
}
