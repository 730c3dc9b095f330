//! Registering a notice on a case: grade its defects, move the legal stage (flagging a late
//! notice), recompute the deadlines, and write one audit event, all in the caller's
//! transaction. Used by staff (paper notices) and by the integrations.

use serde_json::json;

use super::deadlines::{facts, latest_arrears, recompute};
use super::dto::{
    CreateNoticeRequest, NoticeInput, NoticeList, NoticeResponse, TenantConsentAttestation,
};
use super::repo::{self, NoticeRow};
use crate::audit::AuditAction;
use crate::audit::access::{self, Access};
use crate::audit::{self, Actor, Changes, NewEvent};
use crate::auth::policy::{Authorized, ops};
use crate::cases::repo::CaseRow;
use crate::crypto::subjects::Keyring;
use crate::db::schema::cases;
use crate::db::{Tx, types};
use crate::domain::cycles::{self, CycleStatus};
use crate::domain::deadlines::{self as rules, DefectGrade, NoticeKind};
use crate::domain::legal_stage::{self, LegalStage, Seen};
use crate::domain::states::NoticeSource;
use crate::domain::sweden;
use crate::error::ApiError;
use crate::state::AppState;

/// The result of registering a notice.
pub struct Registered {
    pub notice: NoticeRow,
    pub legal_stage: LegalStage,
}

/// Register `input` on `case` (already in the caller's scope), submitted by `actor`.
pub fn register(
    tx: &mut Tx<'_>,
    actor: &Actor,
    case: &CaseRow,
    input: NoticeInput,
) -> Result<Registered, ApiError> {
    use diesel::prelude::*;
    let ledger = repo::for_case(tx, &case.id)?;
    let req = &input.req;
    if let Some(old) = &req.supersedes {
        let superseded_already = ledger
            .iter()
            .any(|n| n.supersedes.as_deref() == Some(old.as_str()));
        let target = ledger.iter().find(|n| &n.id == old);
        if target.is_none_or(|t| t.kind != input.kind) || superseded_already {
            return Err(ApiError::field(
                "supersedes",
                "must name a current notice of the same kind on this case",
            ));
        }
    }
    let id = input
        .reported
        .as_ref()
        .map_or_else(types::new_id, |r| r.notice_id.clone());
    let mut row = NoticeRow {
        id: id.clone(),
        case_id: case.id.clone(),
        kind: input.kind,
        source: input.source.as_str().into(),
        external_ref: req.external_ref.clone(),
        kfm_case_number: req.kfm_case_number.clone(),
        arrears_amount: req.arrears_amount,
        amount_to_reinstate: req.amount_to_reinstate,
        apartment_size_m2: req.apartment_size_m2,
        sent_on: req.sent_on,
        served_on: req.served_on,
        service_method: req
            .service_method
            .clone()
            .or_else(|| (input.kind == NoticeKind::TerminationServed).then(|| "unknown".into())),
        received_on: req.received_on,
        eviction_at: req.eviction_at.map(|t| t.naive_utc()),
        execution_outcome: req.execution_outcome.clone(),
        children_present: req.children_present,
        social_services_present: req.social_services_present,
        supersedes: req.supersedes.clone(),
        out_of_order: false,
        defect_grade: DefectGrade::NoDefect,
        defects: "[]".into(),
        submitted_by: actor.id.clone().unwrap_or_else(|| actor.kind.to_owned()),
        created_at: types::now(),
        amount_paid: req.amount_paid,
        delivered_on: req.delivered_on,
        termination_served: input.attestation.termination_served,
        tenant_consent_given_on: input.attestation.tenant_consent.map(|c| c.given_on),
        tenant_consent_method: input.attestation.tenant_consent.map(|c| c.method),
        reported_name_enc: input.reported.as_ref().map(|r| r.name_enc.clone()),
        children_registered: req.children_registered,
        children_not_registered: req.children_not_registered,
    };
    // Defects are graded against the ledger as it stands, this notice included.
    let notice_facts = facts(&row);
    // The ledger with this notice: for grading now and for the deadlines below (no second read;
    // the rules read only the facts, which grading does not change).
    let mut full_ledger = ledger.clone();
    full_ledger.push(row.clone());
    let assessment = rules::assess(&notice_facts, latest_arrears(&full_ledger), false);
    row.defect_grade = assessment.grade;
    row.defects = serde_json::to_string(
        &assessment
            .defects
            .iter()
            .map(|d| d.as_str())
            .collect::<Vec<_>>(),
    )
    .unwrap_or_else(|_| "[]".into());
    // The stage follows the ledger; a notice of an earlier stage is accepted and flagged, unless
    // it belongs to a new arrears cycle after a closed one.
    let seen = seen_in_cycle(&full_ledger, &row.id, &notice_facts);
    let change = legal_stage::next(
        case.legal_stage,
        input.kind,
        seen,
        row.execution_outcome.as_deref(),
    );
    let mut change = change;
    // A payment or commitment that does not meet its cycle (short, unverified, undelivered)
    // does not reinstate the tenancy.
    if matches!(
        input.kind,
        NoticeKind::PaymentConfirmed | NoticeKind::RentCommitmentIssued
    ) && !meets_its_cycle(&full_ledger, &notice_facts)
    {
        change.stage = case.legal_stage;
    }
    row.out_of_order = change.out_of_order;
    repo::insert_notice(tx, &row)?;
    if change.stage != case.legal_stage {
        diesel::update(cases::table.find(&case.id))
            .set((
                cases::legal_stage.eq(change.stage),
                cases::version.eq(cases::version + 1),
                cases::updated_at.eq(row.created_at),
                cases::last_activity_at.eq(row.created_at),
            ))
            .execute(&mut **tx)?;
    } else {
        crate::cases::repo::touch_only(tx, &case.id, row.created_at)?;
    }
    let live = recompute(tx, &case.id, &full_ledger)?;
    crate::worklist::repo::refresh(tx, &case.id)?;
    crate::stats::facts::refresh(tx, &case.id)?;
    let changes = Changes::new()
        .created("kind", row.kind.as_str())
        .created("source", row.source.as_str())
        .created("sent_on", row.sent_on.map(|d| d.to_string()))
        .created("served_on", row.served_on.map(|d| d.to_string()))
        .created("received_on", row.received_on.map(|d| d.to_string()))
        .created("eviction_at", row.eviction_at.map(|t| types::utc(t).to_rfc3339()))
        .created("amount_to_reinstate", row.amount_to_reinstate)
        .created("arrears_amount", row.arrears_amount)
        .created("kfm_case_number", row.kfm_case_number.clone())
        .created("supersedes", row.supersedes.clone())
        .created("amount_paid", row.amount_paid)
        .created("children_registered", row.children_registered)
        .created("children_not_registered", row.children_not_registered)
        .created("delivered_on", row.delivered_on.map(|d| d.to_string()))
        .created("defect_grade", row.defect_grade.as_str())
        .created("out_of_order", row.out_of_order)
        .created("termination_served", row.termination_served)
        .created("tenant_consent_given_on", row.tenant_consent_given_on.map(|d| d.to_string()))
        .created("tenant_consent_method", row.tenant_consent_method.map(|m| m.as_str()))
        .field("legal_stage", case.legal_stage.as_str(), change.stage.as_str())
        .created("deadlines", json!(live.iter().map(|d| json!({"kind": d.kind.as_str(), "due_on": d.due_on.to_string(), "status": d.status.as_str()})).collect::<Vec<_>>()));
    audit::record(
        tx,
        NewEvent {
            actor,
            action: AuditAction::NoticeCreate,
            entity_type: "notice",
            entity_id: Some(&id),
            case_id: Some(&case.id),
            changes,
        },
    )?;
    Ok(Registered {
        notice: row,
        legal_stage: change.stage,
    })
}

/// What the notice's arrears cycle holds, and whether the notice starts or continues a cycle
/// that is not met (so a stage after `reinstated`, `withdrawn` or `moved` starts over).
fn seen_in_cycle(ledger: &[NoticeRow], id: &str, notice: &rules::NoticeFacts) -> Seen {
    let all: Vec<rules::NoticeFacts> = ledger.iter().map(facts).collect();
    let cycles = cycles::cycles(&all, latest_arrears(ledger));
    let mine = cycles.iter().find(|c| {
        c.opened_by.as_deref() == Some(id) || c.social_notice_ids.iter().any(|s| s == id)
    });
    let any = |kind: NoticeKind| ledger.iter().any(|n| n.kind == kind);
    match mine {
        Some(c) => Seen {
            termination_served: c.opened_by.is_some(),
            social_notice_received: !c.social_notice_ids.is_empty(),
            new_cycle: cycles::state(c, &all, sweden::today()).status != CycleStatus::Met,
        },
        None => Seen {
            termination_served: any(NoticeKind::TerminationServed),
            social_notice_received: any(NoticeKind::SocialNoticeReceived),
            // New arrears after a closed cycle start the track over.
            new_cycle: notice.kind == NoticeKind::ArrearsReported,
        },
    }
}

/// Whether the cycle a payment or commitment falls in is met once it is counted.
fn meets_its_cycle(ledger: &[NoticeRow], notice: &rules::NoticeFacts) -> bool {
    let all: Vec<rules::NoticeFacts> = ledger.iter().map(facts).collect();
    let cycles = cycles::cycles(&all, latest_arrears(ledger));
    let on = notice.first_date().or(notice.delivered_on);
    cycles::cycle_at(&cycles, on)
        .and_then(|n| cycles.iter().find(|c| c.number == n))
        .is_some_and(|c| cycles::state(c, &all, sweden::today()).status == CycleStatus::Met)
}

pub fn to_response(
    keyring: &Keyring,
    conn: &mut crate::db::AnyConnection,
    n: NoticeRow,
    superseded: bool,
) -> Result<NoticeResponse, ApiError> {
    let reported_name = match &n.reported_name_enc {
        Some(enc) => Some(
            keyring
                .open(conn, "notices", "reported_name", &n.id, enc)
                .map_err(|e| e.about(format_args!("notice {}", n.id)))?,
        ),
        None => None,
    };
    Ok(NoticeResponse {
        reported_name,
        defects: serde_json::from_str(&n.defects).unwrap_or_default(),
        id: n.id,
        case_id: n.case_id,
        kind: n.kind.as_str().into(),
        source: n.source,
        external_ref: n.external_ref,
        kfm_case_number: n.kfm_case_number,
        arrears_amount: n.arrears_amount,
        amount_to_reinstate: n.amount_to_reinstate,
        apartment_size_m2: n.apartment_size_m2,
        sent_on: n.sent_on,
        served_on: n.served_on,
        service_method: n.service_method,
        received_on: n.received_on,
        eviction_at: n.eviction_at.map(types::utc),
        execution_outcome: n.execution_outcome,
        children_present: n.children_present,
        social_services_present: n.social_services_present,
        children_registered: n.children_registered,
        children_not_registered: n.children_not_registered,
        supersedes: n.supersedes,
        superseded,
        out_of_order: n.out_of_order,
        defect_grade: n.defect_grade.as_str().into(),
        created_at: types::utc(n.created_at),
        amount_paid: n.amount_paid,
        delivered_on: n.delivered_on,
        termination_served: n.termination_served,
        tenant_consent: n
            .tenant_consent_given_on
            .zip(n.tenant_consent_method)
            .map(|(given_on, method)| TenantConsentAttestation { given_on, method }),
    })
}

/// `POST /cases/{id}/notices`: a paper notice registered by staff.
pub async fn create(
    state: &AppState,
    who: Authorized<ops::CreateNotice>,
    case_id: String,
    req: CreateNoticeRequest,
) -> Result<NoticeResponse, ApiError> {
    let input = req
        .validate(NoticeSource::SocialServices, sweden::today())
        .map_err(ApiError::Validation)?;
    let grant = who.clone();
    let st = state.clone();
    crate::cases::service::scoped_write(state, &grant, move |tx| {
        let case = crate::cases::service::visible_for_write(tx, &who, &case_id)?;
        let registered = register(tx, &who.actor(), &case, input)?;
        to_response(&st.keyring, tx, registered.notice, false)
    })
    .await
}

/// `GET /cases/{id}/notices`: the ledger, oldest first, with defects and supersessions.
pub async fn list(
    state: &AppState,
    who: Authorized<ops::ListNotices>,
    case_id: String,
) -> Result<NoticeList, ApiError> {
    let st = state.clone();
    state
        .db
        .run(move |conn| {
            let case = crate::cases::service::visible_or_404(conn, &who, &case_id)?;
            let rows = repo::for_case(conn, &case.id)?;
            let superseded: Vec<String> =
                rows.iter().filter_map(|n| n.supersedes.clone()).collect();
            access::granted(
                conn,
                &who,
                who.operation_id(),
                &[Access {
                    subject_type: "case",
                    subject_id: &case.id,
                    case_id: Some(&case.id),
                }],
            )?;
            let items = rows
                .into_iter()
                .map(|n| {
                    let s = superseded.contains(&n.id);
                    to_response(&st.keyring, conn, n, s)
                })
                .collect::<Result<_, _>>()?;
            Ok(NoticeList { items })
        })
        .await
}
