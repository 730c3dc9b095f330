//! Legal holds (issue 14 item 2): a supervisor of the case's unit keeps a case, and with it its
//! whole cluster (its household, the household's persons and their other cases), from erasure
//! past the retention period, with a reason (free text, encrypted, never logged) and a review
//! date after which the dry run lists the hold for renewal or release. At most one active hold a
//! case (409 for a second; renew by releasing and placing again); releasing is audited too.

use actix_web::{post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, AuditAction, Changes, NewEvent};
use crate::auth::policy::{Authorized, ops};
use crate::cases::service::{scoped_write, visible_for_write};
use crate::crypto::subjects::Subject;
use crate::db::schema::legal_holds;
use crate::db::{Tx, types};
use crate::domain::sweden;
use crate::error::{ApiError, FieldError, Problem};
use crate::http::extract::Body;
use crate::state::AppState;

const MAX_REASON_CHARS: usize = 1_000;

/// `POST /cases/{id}/legal-hold`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceLegalHoldRequest {
    /// Why the case is kept (e.g. a pending appeal or a request from a court); encrypted.
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
    /// When the hold is to be reviewed (after today); past it, the retention dry run lists it.
    pub review_on: NaiveDate,
}

/// `POST /cases/{id}/legal-hold/release`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseLegalHoldRequest {}

/// A legal hold as its supervisor sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LegalHoldResponse {
    pub id: String,
    pub case_id: String,
    pub reason: Option<String>,
    pub review_on: NaiveDate,
    pub placed_by: String,
    pub placed_at: DateTime<Utc>,
    pub released_by: Option<String>,
    pub released_at: Option<DateTime<Utc>>,
}

impl PlaceLegalHoldRequest {
    pub(crate) fn validate(self, today: NaiveDate) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let n = self.reason.trim().chars().count();
        if n == 0 || n > MAX_REASON_CHARS {
            errors.push(FieldError::new("reason", "must be 1–1000 characters"));
        }
        if self.review_on <= today {
            errors.push(FieldError::new("review_on", "must be after today"));
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

type HoldRow = (
    String,
    String,
    Option<Vec<u8>>,
    NaiveDate,
    String,
    chrono::NaiveDateTime,
    Option<String>,
    Option<chrono::NaiveDateTime>,
);

fn active(tx: &mut Tx<'_>, case_id: &str) -> QueryResult<Option<HoldRow>> {
    legal_holds::table
        .filter(legal_holds::case_id.eq(case_id))
        .filter(legal_holds::released_at.is_null())
        .select((
            legal_holds::id,
            legal_holds::case_id,
            legal_holds::reason_enc,
            legal_holds::review_on,
            legal_holds::placed_by,
            legal_holds::placed_at,
            legal_holds::released_by,
            legal_holds::released_at,
        ))
        .first(&mut **tx)
        .optional()
}

fn response(st: &AppState, tx: &mut Tx<'_>, row: HoldRow) -> Result<LegalHoldResponse, ApiError> {
    let (id, case_id, reason_enc, review_on, placed_by, placed_at, released_by, released_at) = row;
    let reason = reason_enc
        .map(|enc| st.keyring.open(tx, "legal_holds", "reason", &id, &enc))
        .transpose()
        .map_err(|e| e.about(format_args!("legal hold {id}")))?;
    Ok(LegalHoldResponse {
        id,
        case_id,
        reason,
        review_on,
        placed_by,
        placed_at: types::utc(placed_at),
        released_by,
        released_at: released_at.map(types::utc),
    })
}

/// Place a legal hold on the case (supervisor of its unit): its whole cluster is kept past the
/// retention period until the hold is released. 409 when the case already has one.
#[utoipa::path(tag = "cases", request_body = PlaceLegalHoldRequest, security(("bearer" = [])),
    params(("case_id" = String, Path)),
    responses((status = 201, body = LegalHoldResponse), (status = "4XX", body = Problem)))]
#[post("/cases/{case_id}/legal-hold")]
pub async fn place_legal_hold(
    who: Authorized<ops::PlaceLegalHold>,
    state: web::Data<AppState>,
    case_id: web::Path<String>,
    body: Body<PlaceLegalHoldRequest>,
) -> Result<actix_web::HttpResponse, ApiError> {
    let req = body.into_inner()?.validate(sweden::today())?;
    let id = case_id.into_inner();
    let st = state.clone();
    let grant = who.clone();
    let hold = scoped_write(&state, &grant, move |tx| {
        let case = visible_for_write(tx, &who, &id)?;
        if active(tx, &case.id)?.is_some() {
            return Err(ApiError::conflict(
                "The case is already under a legal hold; release it to place another.",
            ));
        }
        let hold_id = types::new_id();
        let now = types::now();
        // Sealed under the case's data key: erasing the case's cluster shreds it too.
        let reason_enc = st.keyring.seal(
            tx,
            Subject::case(&case.id),
            "legal_holds",
            "reason",
            &hold_id,
            req.reason.trim(),
        )?;
        diesel::insert_into(legal_holds::table)
            .values((
                legal_holds::id.eq(&hold_id),
                legal_holds::case_id.eq(&case.id),
                legal_holds::organization_id.eq(&case.organization_id),
                legal_holds::reason_enc.eq(Some(&reason_enc)),
                legal_holds::review_on.eq(req.review_on),
                legal_holds::placed_by.eq(&who.user_id),
                legal_holds::placed_at.eq(now),
            ))
            .execute(&mut **tx)?;
        audit::record(
            tx,
            NewEvent {
                actor: &who.actor(),
                action: AuditAction::LegalHoldPlaced,
                entity_type: "legal_hold",
                entity_id: Some(&hold_id),
                case_id: Some(&case.id),
                changes: Changes::new()
                    .created("review_on", req.review_on.to_string())
                    .secret("reason", true),
            },
        )?;
        let row = active(tx, &case.id)?.ok_or(ApiError::NotFound)?;
        response(&st, tx, row)
    })
    .await?;
    Ok(actix_web::HttpResponse::Created().json(hold))
}

/// Release the case's legal hold (supervisor of its unit): the case's cluster is judged by the
/// retention rules again. 409 when the case has none.
#[utoipa::path(tag = "cases", request_body = ReleaseLegalHoldRequest, security(("bearer" = [])),
    params(("case_id" = String, Path)),
    responses((status = 200, body = LegalHoldResponse), (status = "4XX", body = Problem)))]
#[post("/cases/{case_id}/legal-hold/release")]
pub async fn release_legal_hold(
    who: Authorized<ops::ReleaseLegalHold>,
    state: web::Data<AppState>,
    case_id: web::Path<String>,
    body: Body<ReleaseLegalHoldRequest>,
) -> Result<web::Json<LegalHoldResponse>, ApiError> {
    body.into_inner()?;
    let id = case_id.into_inner();
    let st = state.clone();
    let grant = who.clone();
    let hold = scoped_write(&state, &grant, move |tx| {
        let case = visible_for_write(tx, &who, &id)?;
        let mut row = active(tx, &case.id)?
            .ok_or_else(|| ApiError::conflict("The case is not under a legal hold."))?;
        let now = types::now();
        diesel::update(legal_holds::table.find(&row.0))
            .set((
                legal_holds::released_by.eq(Some(&who.user_id)),
                legal_holds::released_at.eq(Some(now)),
            ))
            .execute(&mut **tx)?;
        audit::record(
            tx,
            NewEvent {
                actor: &who.actor(),
                action: AuditAction::LegalHoldReleased,
                entity_type: "legal_hold",
                entity_id: Some(&row.0),
                case_id: Some(&case.id),
                changes: Changes::new().created("released", true),
            },
        )?;
        row.6 = Some(who.user_id.clone());
        row.7 = Some(now);
        response(&st, tx, row)
    })
    .await?;
    Ok(web::Json(hold))
}
