//! The rent-commitment workflow on a case (SPEC §4.6): draft (within the unit's amount limit),
//! decide by a supervisor other than the drafter (four eyes; a stand-in of the municipality
//! when the unit has nobody else), deliver (which registers `rent_commitment_issued` on the
//! case's ledger with the delivery date). Every step writes its audit event in its transaction.

use chrono::{Datelike, NaiveDate};

use super::disclosure;
use super::dto::{
    DraftRentCommitmentRequest, RentCommitmentDecisionRequest, RentCommitmentDeliveryRequest,
    RentCommitmentList, RentCommitmentResponse,
};
use super::repo::{self, Decision, Letter, RentCommitmentRow};
use crate::audit::access::{self, Access};
use crate::audit::{self, Actor, AuditAction, Changes, NewEvent};
use crate::auth::policy::{Authorized, ops};
use crate::auth::rules::{self, CommitmentDecider};
use crate::auth::scope::scoped_write;
use crate::cases::repo::CaseRow;
use crate::cases::service::{visible_for_write, visible_or_404};
use crate::crypto::subjects::Subject;
use crate::db::{AnyConnection, Tx, types};
use crate::domain::deadlines::{DeadlineKind, DeadlineStatus, NoticeKind};
use crate::domain::rent_commitment::{
    self as domain, DeliveryChannel, RentCommitmentStatus, timeliness,
};
use crate::domain::states::{NoticeSource, OrganizationKind};
use crate::domain::sweden;
use crate::domain::workflow::CaseStatus;
use crate::error::ApiError;
use crate::households::repo as households;
use crate::notices::dto::CreateNoticeRequest;
use crate::notices::repo as notices;
use crate::organizations::repo as orgs;
use crate::state::AppState;

const ENTITY: &str = "rent_commitment";

fn audit_step(
    tx: &mut Tx<'_>,
    actor: &Actor,
    action: AuditAction,
    rc: &RentCommitmentRow,
    changes: Changes,
) -> Result<(), ApiError> {
    audit::record(
        tx,
        NewEvent {
            actor,
            action,
            entity_type: ENTITY,
            entity_id: Some(&rc.id),
            case_id: Some(&rc.case_id),
            changes,
        },
    )?;
    Ok(())
}

fn decrypt(
    st: &AppState,
    conn: &mut AnyConnection,
    column: &str,
    id: &str,
    enc: &[u8],
) -> Result<String, ApiError> {
    st.keyring
        .open(conn, "rent_commitments", column, id, enc)
        .map_err(|e| e.about(format_args!("rent commitment {id}")))
}

/// The case's current reinstatement period end (the latest cycle's): (earliest reading, the
/// latest reading when it differs).
pub fn reinstatement_end(
    conn: &mut AnyConnection,
    case_id: &str,
) -> Result<Option<(NaiveDate, Option<NaiveDate>)>, ApiError> {
    Ok(period_end(&notices::deadlines_for_case(conn, case_id)?))
}

/// [`reinstatement_end`] of one case's deadline rows, already loaded.
pub fn period_end(rows: &[notices::DeadlineRow]) -> Option<(NaiveDate, Option<NaiveDate>)> {
    rows.iter()
        .filter(|d| d.kind == DeadlineKind::ReinstatementEnd && d.status != DeadlineStatus::Void)
        // The latest cycle's period (cycles are numbered in order).
        .max_by_key(|d| (d.cycle, d.due_on))
        .map(|d| {
            let other = d.alternative_due_on.filter(|a| *a != d.due_on);
            let earliest = other.map_or(d.due_on, |a| a.min(d.due_on));
            (earliest, other.map(|a| a.max(d.due_on)))
        })
}

/// The staff view of a commitment, with its delivery measured against `end`.
pub fn to_response(
    st: &AppState,
    conn: &mut AnyConnection,
    rc: RentCommitmentRow,
    end: Option<(NaiveDate, Option<NaiveDate>)>,
) -> Result<RentCommitmentResponse, ApiError> {
    let reason = decrypt(st, conn, "reason", &rc.id, &rc.reason_enc)?;
    let decision_reason = rc
        .decision_reason_enc
        .as_deref()
        .map(|e| decrypt(st, conn, "decision_reason", &rc.id, e))
        .transpose()?;
    let legal_basis = rc
        .legal_basis_enc
        .as_deref()
        .map(|e| decrypt(st, conn, "legal_basis", &rc.id, e))
        .transpose()?;
    Ok(RentCommitmentResponse {
        status: rc.status,
        amount: rc.amount,
        months_covered: rc.months_covered,
        reason,
        landlord_organization_id: rc.landlord_organization_id,
        tenancy_id: rc.tenancy_id,
        drafted_by: rc.drafted_by,
        decided_by: rc.decided_by,
        decided_at: rc.decided_at.map(types::utc),
        decision_reason,
        number: rc.number,
        issued_on: rc.issued_on,
        delivered_on: rc.delivered_on,
        delivery_channel: rc.delivery_channel,
        reinstatement_due_on: end.map(|e| e.0),
        reinstatement_latest_due_on: end.and_then(|e| e.1),
        delivery_timeliness: rc
            .delivered_on
            .zip(end)
            .map(|(d, (earliest, latest))| timeliness(d, earliest, latest)),
        disclosure_basis: rc.disclosure_basis,
        consent_id: rc.consent_id,
        legal_basis,
        version: rc.version,
        created_at: types::utc(rc.created_at),
        id: rc.id,
        case_id: rc.case_id,
    })
}

fn open_case(case: &CaseRow) -> Result<(), ApiError> {
    if case.status == CaseStatus::Closed {
        return Err(ApiError::conflict("The case is closed; reopen it first."));
    }
    Ok(())
}

/// `POST /cases/{id}/rent-commitments`: a pending commitment to the landlord of the case's
/// tenancy; above the unit's limit only a supervisor may draft.
pub async fn draft(
    state: &AppState,
    who: Authorized<ops::CreateRentCommitment>,
    case_id: String,
    req: DraftRentCommitmentRequest,
) -> Result<RentCommitmentResponse, ApiError> {
    let st = state.clone();
    let grant = who.clone();
    scoped_write(state, &grant, move |tx| {
        let case = visible_for_write(tx, &who, &case_id)?;
        open_case(&case)?;
        // The case's state, not the body: a conflict (409), like a closed case.
        let no_landlord = || {
            ApiError::conflict(
                "The case needs a tenancy whose landlord_organization_id names a landlord.",
            )
        };
        let tenancy = match &case.tenancy_id {
            Some(t) => households::find_tenancy(tx, t)?.ok_or_else(no_landlord)?,
            None => return Err(no_landlord()),
        };
        let landlord = match orgs::find_scoped(tx, &tenancy.landlord_organization_id, None) {
            Ok(o) if o.kind == OrganizationKind::Landlord => o,
            Ok(_) | Err(diesel::result::Error::NotFound) => return Err(no_landlord()),
            Err(e) => return Err(e.into()),
        };
        let limit = orgs::find_unit(tx, &case.unit_id)?.and_then(|u| u.rent_commitment_limit);
        if !rules::may_draft_rent_commitment(&who, req.amount, limit) {
            return Err(ApiError::Forbidden);
        }
        let now = types::now();
        let id = types::new_id();
        let row = RentCommitmentRow {
            reason_enc: st.keyring.seal(
                tx,
                Subject::case(&case.id),
                "rent_commitments",
                "reason",
                &id,
                &req.reason,
            )?,
            id,
            case_id: case.id.clone(),
            organization_id: case.organization_id.clone(),
            landlord_organization_id: landlord.id,
            tenancy_id: tenancy.id,
            amount: req.amount,
            months_covered: req.months_covered,
            status: RentCommitmentStatus::Pending,
            drafted_by: who.user_id.clone(),
            decided_by: None,
            decided_at: None,
            decision_reason_enc: None,
            number: None,
            issued_on: None,
            tenant_name_enc: None,
            apartment_ref: None,
            letter_address_enc: None,
            delivered_on: None,
            delivery_channel: None,
            delivery_notice_id: None,
            disclosure_basis: None,
            consent_id: None,
            legal_basis_enc: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        repo::insert(tx, &row)?;
        crate::cases::repo::touch(tx, &case.id, now)?;
        crate::stats::facts::refresh(tx, &case.id)?;
        let changes = Changes::new()
            .created("status", row.status.as_str())
            .created("amount", row.amount)
            .created("months_covered", row.months_covered)
            .created(
                "landlord_organization_id",
                row.landlord_organization_id.as_str(),
            )
            .created("tenancy_id", row.tenancy_id.as_str())
            .created("unit_limit", limit)
            .secret("reason", true);
        audit_step(
            tx,
            &who.actor(),
            AuditAction::RentCommitmentDraft,
            &row,
            changes,
        )?;
        let end = reinstatement_end(tx, &case.id)?;
        to_response(&st, tx, row, end)
    })
    .await
}

/// `GET /cases/{id}/rent-commitments`: oldest first; each shown is logged.
pub async fn list(
    state: &AppState,
    who: Authorized<ops::ListRentCommitments>,
    case_id: String,
) -> Result<RentCommitmentList, ApiError> {
    let st = state.clone();
    state
        .db
        .run(move |conn| {
            let case = visible_or_404(conn, &who, &case_id)?;
            let rows = repo::for_case(conn, &case.id)?;
            let logged: Vec<Access<'_>> = rows
                .iter()
                .map(|r| Access {
                    subject_type: ENTITY,
                    subject_id: &r.id,
                    case_id: Some(&case.id),
                })
                .collect();
            access::granted(conn, &who, who.operation_id(), &logged)?;
            let end = reinstatement_end(conn, &case.id)?;
            let items = rows
                .into_iter()
                .map(|r| to_response(&st, conn, r, end))
                .collect::<Result<_, _>>()?;
            Ok(RentCommitmentList { items })
        })
        .await
}

/// The letter's contents at approval: the next number of the municipality's year, the tenant
/// (the household member with relation `self`), the tenancy's apartment and address.
fn letter_for(
    tx: &mut Tx<'_>,
    st: &AppState,
    case: &CaseRow,
    rc: &RentCommitmentRow,
) -> Result<Letter, ApiError> {
    let tenancy = households::find_tenancy(tx, &rc.tenancy_id)?
        .ok_or_else(|| ApiError::Internal(format!("rent commitment {}: tenancy", rc.id)))?;
    let tenant = disclosure::tenant(tx, case)?;
    let name = crate::persons::repo::decrypt(&st.keyring, tx, &tenant.1)?.name;
    let issued_on = sweden::today();
    let prefix = domain::letter_prefix(issued_on.year());
    crate::db::advisory::lock_xact_numbering(tx, &rc.organization_id, &prefix)?;
    let seq = repo::count_numbered(tx, &rc.organization_id, &prefix)? + 1;
    Ok(Letter {
        number: domain::letter_number(issued_on.year(), seq),
        issued_on,
        tenant_name_enc: st.keyring.seal(
            tx,
            Subject::case(&rc.case_id),
            "rent_commitments",
            "tenant_name",
            &rc.id,
            &name,
        )?,
        address_enc: tenancy.address(&st.keyring, tx)?.seal(
            &st.keyring,
            tx,
            Subject::case(&rc.case_id),
            ("rent_commitments", "letter_address", &rc.id),
        )?,
        apartment_ref: tenancy.apartment_number,
    })
}

/// `POST .../rent-commitments/{id}/decision`: approve or reject, once, by a supervisor other
/// than the drafter ([`rules::rent_commitment_decider`]).
pub async fn decide(
    state: &AppState,
    who: Authorized<ops::DecideRentCommitment>,
    case_id: String,
    rc_id: String,
    req: RentCommitmentDecisionRequest,
) -> Result<RentCommitmentResponse, ApiError> {
    let st = state.clone();
    let grant = who.clone();
    scoped_write(state, &grant, move |tx| {
        let case = visible_for_write(tx, &who, &case_id)?;
        let hidden = || ApiError::NotVisible {
            subject_type: "case",
            subject_id: case_id.clone(),
        };
        let rc = repo::find_on_case(tx, &case.id, &rc_id)?;
        let others = match &rc {
            Some(rc) => repo::other_active_supervisors(tx, &case.unit_id, &rc.drafted_by)?,
            None => repo::other_active_supervisors(tx, &case.unit_id, "")?,
        };
        let drafted_by = rc.as_ref().map_or("", |r| r.drafted_by.as_str());
        match rules::rent_commitment_decider(&who, drafted_by, &case.unit_id, others > 0) {
            // Out of the caller's reach: the same 404 as a missing case.
            CommitmentDecider::OutOfScope => return Err(hidden()),
            CommitmentDecider::OwnDraft => return Err(ApiError::Forbidden),
            CommitmentDecider::UnitSupervisor | CommitmentDecider::StandIn => {}
        }
        let rc = rc.ok_or(ApiError::NotFound)?;
        if rc.status != RentCommitmentStatus::Pending {
            return Err(ApiError::conflict(
                "The rent commitment is already decided.",
            ));
        }
        open_case(&case)?;
        let status = req.decision.status();
        let (letter, disclosure) = match status {
            RentCommitmentStatus::Approved => {
                let legal_basis = req.legal_basis.as_ref().map(|b| b.reason.as_str());
                let basis =
                    disclosure::basis(tx, &st, &case, &rc.id, legal_basis, sweden::today())?;
                (Some(letter_for(tx, &st, &case, &rc)?), Some(basis))
            }
            _ => (None, None),
        };
        let now = types::now();
        let changes = Changes::new()
            .field("status", rc.status.as_str(), status.as_str())
            .created("decided_by", who.user_id.as_str())
            .created("number", letter.as_ref().map(|l| l.number.clone()))
            .created(
                "issued_on",
                letter.as_ref().map(|l| l.issued_on.to_string()),
            )
            .created(
                "stand_in",
                who.unit_id.as_deref() != Some(case.unit_id.as_str()),
            )
            .secret("decision_reason", true);
        let changes = disclosure::audited(disclosure.as_ref(), changes);
        let decision = Decision {
            status,
            decided_by: &who.user_id,
            decided_at: now,
            reason_enc: st.keyring.seal(
                tx,
                Subject::case(&rc.case_id),
                "rent_commitments",
                "decision_reason",
                &rc.id,
                &req.reason,
            )?,
            letter,
            disclosure,
        };
        if !repo::decide(tx, &rc.id, rc.version, decision)? {
            return Err(ApiError::conflict(
                "The rent commitment is already decided.",
            ));
        }
        crate::cases::repo::touch(tx, &case.id, now)?;
        crate::stats::facts::refresh(tx, &case.id)?;
        let action = match status {
            RentCommitmentStatus::Approved => AuditAction::RentCommitmentApprove,
            _ => AuditAction::RentCommitmentReject,
        };
        audit_step(tx, &who.actor(), action, &rc, changes)?;
        let row = repo::find_on_case(tx, &case.id, &rc.id)?.ok_or(ApiError::NotFound)?;
        let end = reinstatement_end(tx, &case.id)?;
        to_response(&st, tx, row, end)
    })
    .await
}

/// Record that an approved commitment reached the landlord: register `rent_commitment_issued`
/// with the delivery date on the case's ledger (deadlines recomputed), mark the commitment
/// delivered, audit it. Shared by staff (`POST .../delivery`) and the landlord's first read.
pub fn record_delivery(
    tx: &mut Tx<'_>,
    st: &AppState,
    actor: &Actor,
    case: &CaseRow,
    rc: &RentCommitmentRow,
    delivered_on: NaiveDate,
    channel: DeliveryChannel,
) -> Result<(), ApiError> {
    if rc.status != RentCommitmentStatus::Approved {
        return Err(ApiError::conflict(
            "Only an approved rent commitment can be delivered.",
        ));
    }
    if rc.delivered_on.is_some() {
        return Err(ApiError::conflict(
            "The rent commitment's delivery is already recorded.",
        ));
    }
    if rc.issued_on.is_some_and(|i| delivered_on < i) {
        return Err(ApiError::field(
            "delivered_on",
            "must not be before the letter was issued",
        ));
    }
    let today = sweden::today();
    let input = CreateNoticeRequest {
        kind: NoticeKind::RentCommitmentIssued.as_str().into(),
        // The letter's date places it in its cycle; the delivery date is what meets the period
        // (domain::cycles).
        sent_on: rc.issued_on.or(Some(delivered_on)),
        delivered_on: Some(delivered_on),
        external_ref: rc.number.clone(),
        ..CreateNoticeRequest::default()
    }
    .validate(NoticeSource::SocialServices, today)
    .map_err(ApiError::Validation)?;
    let registered =
        crate::notices::service::register(tx, (&st.keyring, &st.blind), actor, case, input)?;
    let now = types::now();
    if !repo::deliver(
        tx,
        &rc.id,
        rc.version,
        delivered_on,
        channel,
        &registered.notice.id,
        now,
    )? {
        return Err(ApiError::conflict(
            "The rent commitment's delivery is already recorded.",
        ));
    }
    let changes = Changes::new()
        .created("delivered_on", delivered_on.to_string())
        .created("channel", channel.as_str())
        .created("notice_id", registered.notice.id.as_str());
    // Delivered: no longer pending on the worklist.
    crate::worklist::repo::refresh(tx, &case.id)?;
    crate::stats::facts::refresh(tx, &case.id)?;
    audit_step(tx, actor, AuditAction::RentCommitmentDeliver, rc, changes)
}

/// `POST .../rent-commitments/{id}/delivery`.
pub async fn deliver(
    state: &AppState,
    who: Authorized<ops::DeliverRentCommitment>,
    case_id: String,
    rc_id: String,
    req: RentCommitmentDeliveryRequest,
) -> Result<RentCommitmentResponse, ApiError> {
    let st = state.clone();
    let grant = who.clone();
    scoped_write(state, &grant, move |tx| {
        let case = visible_for_write(tx, &who, &case_id)?;
        let rc = repo::find_on_case(tx, &case.id, &rc_id)?.ok_or(ApiError::NotFound)?;
        record_delivery(
            tx,
            &st,
            &who.actor(),
            &case,
            &rc,
            req.delivered_on,
            req.channel,
        )?;
        let row = repo::find_on_case(tx, &case.id, &rc.id)?.ok_or(ApiError::NotFound)?;
        let end = reinstatement_end(tx, &case.id)?;
        to_response(&st, tx, row, end)
    })
    .await
}

/// Validate a staff delivery date: not in the future (Swedish date).
pub fn check_delivery_date(d: NaiveDate) -> Result<(), ApiError> {
    if d > sweden::today() {
        return Err(ApiError::field("delivered_on", "must not be in the future"));
    }
    Ok(())
}
