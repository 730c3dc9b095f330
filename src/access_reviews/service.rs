//! The access-review workflow (SPEC §9): generate a set on demand, read sets in scope, give a
//! verdict per entry (never on the reviewer's own reads), sign the set off once every entry has
//! one. Every verdict, sign-off and generation is an audit event in its transaction; reading a
//! set writes an access-log entry.

use super::dto::{
    AccessReviewEntry, AccessReviewList, AccessReviewResponse, AccessReviewSummary,
    CreateAccessReviewRequest, VerdictRequest,
};
use super::generate::{self, Request};
use super::repo::{self, EntryRow, LogRow, ReviewRow};
use super::{ENTITY, ENTRY_ENTITY};
use crate::audit::access::{self, Access};
use crate::audit::{AuditAction, Changes};
use crate::auth::Principal;
use crate::auth::policy::{Authorized, Grant, ops};
use crate::auth::scope::{self, ReviewReach, scoped_write};
use crate::db::{AnyConnection, Tx, types};
use crate::domain::access_review::{self as rules, ReviewStatus, ReviewTrigger, SignOffRefusal};
use crate::domain::sweden;
use crate::error::ApiError;
use crate::http::etag::IfMatch;
use crate::organizations::repo as orgs;
use crate::pagination::{Cursor, Page};
use crate::state::AppState;

fn not_visible(id: &str) -> ApiError {
    ApiError::NotVisible {
        subject_type: ENTITY,
        subject_id: id.to_owned(),
    }
}

/// The summary of `review` with its entry counts.
fn summary(conn: &mut AnyConnection, r: ReviewRow) -> Result<AccessReviewSummary, ApiError> {
    let (entries, undecided) = repo::counts(conn, &r.id)?;
    Ok(AccessReviewSummary {
        entries,
        undecided,
        organization_id: r.organization_id,
        unit_id: r.unit_id,
        period_start: r.period_start,
        period_end: r.period_end,
        trigger: r.trigger,
        status: r.status,
        seed: r.seed,
        sample_size: r.sample_size,
        volume_per_hour: r.volume_per_hour,
        reads_in_period: r.reads_in_period,
        generated_by: r.generated_by,
        generated_at: types::utc(r.generated_at),
        signed_off_by: r.signed_off_by,
        signed_off_at: r.signed_off_at.map(types::utc),
        version: r.version,
        id: r.id,
    })
}

fn entry_view(
    st: &AppState,
    conn: &mut crate::db::AnyConnection,
    who: &Principal,
    (e, log): (EntryRow, LogRow),
) -> Result<AccessReviewEntry, ApiError> {
    let comment = e
        .comment_enc
        .as_deref()
        .map(|enc| {
            st.keyring
                .open(conn, "access_review_entries", "comment", &e.id, enc)
                .map_err(|err| err.about(format_args!("access review entry {}", e.id)))
        })
        .transpose()?;
    Ok(AccessReviewEntry {
        own_read: !rules::may_judge(&who.user_id, &log.actor_id),
        access_log_id: log.id,
        at: types::utc(log.at),
        actor_id: log.actor_id,
        actor_role: log.actor_role,
        actor_unit_id: log.actor_unit_id,
        operation: log.operation,
        subject_type: log.subject_type,
        subject_id: log.subject_id,
        case_id: log.case_id,
        decision: log.decision,
        reasons: repo::decode_reasons(&e.reasons),
        verdict: e.verdict,
        comment,
        decided_by: e.decided_by,
        decided_at: e.decided_at.map(types::utc),
        id: e.id,
    })
}

/// The unit a creator may review, and its organization: a supervisor's own (the body may name
/// it), any unit of the organization for auditors and administrators. Anything else is a
/// validation error, the same for a missing unit and one out of reach.
fn unit_to_review(
    conn: &mut AnyConnection,
    grant: &Grant,
    requested: Option<&str>,
) -> Result<(String, String), ApiError> {
    let unknown = || ApiError::field("unit_id", "is not a unit you may review");
    let id = match (scope::access_reviews(grant), requested) {
        (ReviewReach::Unit(own), None) => own,
        (ReviewReach::Unit(own), Some(u)) if u == own => own,
        (ReviewReach::Organization(_) | ReviewReach::Everything, Some(u)) => u,
        (ReviewReach::Organization(_) | ReviewReach::Everything, None) => {
            return Err(ApiError::field(
                "unit_id",
                "is required: only a supervisor's review may leave it out (their own unit)",
            ));
        }
        _ => return Err(unknown()),
    };
    let unit = orgs::find_unit(conn, id)?.ok_or_else(unknown)?;
    match scope::access_reviews(grant) {
        ReviewReach::Organization(org) if org != unit.organization_id => Err(unknown()),
        _ => Ok((unit.id, unit.organization_id)),
    }
}

/// `POST /access-reviews`: a set built now (on demand).
pub async fn create(
    state: &AppState,
    who: Authorized<ops::CreateAccessReview>,
    req: CreateAccessReviewRequest,
) -> Result<AccessReviewSummary, ApiError> {
    let req = req.validate(sweden::today())?;
    let thresholds = super::thresholds(&state.settings);
    state
        .db
        .write(move |tx| {
            let (unit, org) = unit_to_review(tx, &who, req.unit_id.as_deref())?;
            let built = generate::generate(
                tx,
                &who.actor(),
                &Request {
                    organization_id: &org,
                    unit_id: &unit,
                    period_start: req.period_start,
                    period_end: req.period_end,
                    trigger: ReviewTrigger::OnDemand,
                    generated_by: Some(&who.user_id),
                    thresholds,
                },
            )?;
            let (review, _) =
                built.ok_or_else(|| ApiError::Internal("on-demand review not built".into()))?;
            summary(tx, review)
        })
        .await
}

/// `GET /access-reviews`: the sets in reach, newest first.
pub async fn list(
    state: &AppState,
    who: Authorized<ops::ListAccessReviews>,
    page: Page,
) -> Result<AccessReviewList, ApiError> {
    let (limit, after) = page.parse()?;
    state
        .db
        .run(move |conn| {
            let mut rows = repo::list_visible(conn, &who, after, limit + 1)?;
            let next_cursor = Cursor::next(&mut rows, limit, |r| r.id.clone());
            let items = rows
                .into_iter()
                .map(|r| summary(conn, r))
                .collect::<Result<_, _>>()?;
            Ok(AccessReviewList { items, next_cursor })
        })
        .await
}

/// A visible review, or a logged denial and 404.
fn visible_or_404(
    conn: &mut AnyConnection,
    grant: &Grant,
    id: &str,
) -> Result<ReviewRow, ApiError> {
    match repo::find_visible(conn, grant, id)? {
        Some(r) => Ok(r),
        None => {
            access::denied(conn, grant, grant.operation_id(), ENTITY, id)?;
            Err(ApiError::NotFound)
        }
    }
}

/// The set with every entry; the read is logged against the review.
pub fn load(
    conn: &mut AnyConnection,
    st: &AppState,
    grant: &Grant,
    id: &str,
) -> Result<AccessReviewResponse, ApiError> {
    let review = visible_or_404(conn, grant, id)?;
    access::granted(
        conn,
        grant,
        grant.operation_id(),
        &[Access {
            subject_type: ENTITY,
            subject_id: &review.id,
            case_id: None,
        }],
    )?;
    let items = repo::entries(conn, &review.id)?
        .into_iter()
        .map(|row| entry_view(st, conn, grant, row))
        .collect::<Result<_, _>>()?;
    Ok(AccessReviewResponse {
        review: summary(conn, review)?,
        items,
    })
}

/// `GET /access-reviews/{id}`.
pub async fn get(
    state: &AppState,
    who: Authorized<ops::GetAccessReview>,
    id: String,
) -> Result<AccessReviewResponse, ApiError> {
    let st = state.clone();
    state.db.run(move |conn| load(conn, &st, &who, &id)).await
}

/// The review for a change: in reach (else 404 after the rollback), open (else 409).
fn open_for_write(tx: &mut Tx<'_>, grant: &Grant, id: &str) -> Result<ReviewRow, ApiError> {
    let review = repo::find_visible(tx, grant, id)?.ok_or_else(|| not_visible(id))?;
    if review.status == ReviewStatus::SignedOff {
        return Err(ApiError::conflict(
            "The review is signed off; its verdicts are final.",
        ));
    }
    Ok(review)
}

/// `POST /access-reviews/{id}/entries/{entry_id}/verdict`: 403 on the reviewer's own read.
pub async fn decide(
    state: &AppState,
    who: Authorized<ops::DecideAccessReviewEntry>,
    (review_id, entry_id): (String, String),
    req: VerdictRequest,
) -> Result<AccessReviewEntry, ApiError> {
    let req = req.validate()?;
    let st = state.clone();
    let grant = (*who).clone();
    scoped_write(state, &grant, move |tx| {
        let review = open_for_write(tx, &who, &review_id)?;
        let (entry, log) = repo::entry(tx, &review.id, &entry_id)?.ok_or(ApiError::NotFound)?;
        if !rules::may_judge(&who.user_id, &log.actor_id) {
            return Err(ApiError::Refused(
                "This entry is your own read: another reviewer gives its verdict.",
            ));
        }
        let comment_enc = req
            .comment
            .as_deref()
            .filter(|c| !c.trim().is_empty())
            .map(|c| {
                // A verdict's comment concerns a staff member's read, not a data subject:
                // sealed under the reviewing municipality's key.
                st.keyring.seal(
                    tx,
                    crate::crypto::subjects::Subject::organization(&review.organization_id),
                    "access_review_entries",
                    "comment",
                    &entry.id,
                    c,
                )
            })
            .transpose()?;
        let commented = comment_enc.is_some() || entry.comment_enc.is_some();
        if !repo::set_verdict(
            tx,
            &review,
            &entry.id,
            req.verdict,
            comment_enc,
            &who.user_id,
        )? {
            return Err(ApiError::PreconditionFailed);
        }
        super::record(
            tx,
            &who.actor(),
            AuditAction::AccessReviewVerdict,
            (ENTRY_ENTITY, &entry.id),
            Changes::new()
                .created("review_id", review.id.as_str())
                .created("access_log_id", log.id)
                .field(
                    "verdict",
                    entry.verdict.map(|v| v.as_str()),
                    req.verdict.as_str(),
                )
                .secret("comment", commented),
        )?;
        let row = repo::entry(tx, &review.id, &entry.id)?.ok_or(ApiError::NotFound)?;
        entry_view(&st, tx, &who, row)
    })
    .await
}

/// `POST /access-reviews/{id}/sign-off` (If-Match): once, when every entry has a verdict.
pub async fn sign_off(
    state: &AppState,
    who: Authorized<ops::SignOffAccessReview>,
    id: String,
    if_match: IfMatch,
) -> Result<AccessReviewSummary, ApiError> {
    let expected = if_match.version()?;
    let grant = (*who).clone();
    scoped_write(state, &grant, move |tx| {
        let review = repo::find_visible(tx, &who, &id)?.ok_or_else(|| not_visible(&id))?;
        if review.version != expected {
            return Err(ApiError::PreconditionFailed);
        }
        let verdicts = repo::entries(tx, &review.id)?
            .into_iter()
            .map(|(e, _)| e.verdict);
        match rules::may_sign_off(review.status, verdicts) {
            Ok(()) => {}
            Err(SignOffRefusal::AlreadySignedOff) => {
                return Err(ApiError::conflict("The review is already signed off."));
            }
            Err(SignOffRefusal::Undecided(n)) => {
                return Err(ApiError::Conflict {
                    detail: format!("{n} entries have no verdict yet; give each one first."),
                    extra: Some(serde_json::json!({ "undecided": n })),
                });
            }
        }
        if !repo::bump(tx, &review, ReviewStatus::SignedOff, Some(&who.user_id))? {
            return Err(ApiError::PreconditionFailed);
        }
        let (entries, _) = repo::counts(tx, &review.id)?;
        super::record(
            tx,
            &who.actor(),
            AuditAction::AccessReviewSignOff,
            (ENTITY, &review.id),
            Changes::new()
                .field("status", review.status.as_str(), "signed_off")
                .created("entries", entries),
        )?;
        let review = repo::find_visible(tx, &who, &id)?.ok_or(ApiError::NotFound)?;
        summary(tx, review)
    })
    .await
}
