//! `/cases` and everything under a case.

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};

use super::dto::{
    CaseFilter, CaseList, CaseResponse, ClosureDecisionRequest, ClosureDecisionResponse,
    ClosureRequestResponse, CreateCaseRequest, TransitionRequest, UpdateCaseRequest,
};
use super::interventions::{
    self, CreateInterventionRequest, InterventionList, InterventionResponse,
};
use super::logs::{self, AccessLogList, AuditEventFilter, AuditEventList};
use super::notes::{self, CreateNoteRequest, NoteList, NoteResponse};
use super::service;
use super::transitions::{self, Transitioned};
use crate::auth::policy::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::http::etag::{IfMatch, Tagged, etag_value};
use crate::http::extract::Body;
use crate::pagination::Page;
use crate::state::AppState;

/// Open a case for a household (status `new`, in your unit's triage queue).
#[utoipa::path(tag = "cases", request_body = CreateCaseRequest, security(("bearer" = [])),
    responses((status = 201, body = CaseResponse), (status = "4XX", body = Problem)))]
#[post("/cases")]
pub async fn create_case(
    who: Authorized<ops::CreateCase>,
    state: web::Data<AppState>,
    body: Body<CreateCaseRequest>,
) -> Result<Tagged<CaseResponse>, ApiError> {
    let c = service::create(&state, who, body.into_inner()?).await?;
    Ok(Tagged::created(c.version, c))
}

/// Your cases, newest first, with filters (keyset pages).
#[utoipa::path(tag = "cases", params(CaseFilter), security(("bearer" = [])),
    responses((status = 200, body = CaseList), (status = "4XX", body = Problem)))]
#[get("/cases")]
pub async fn list_cases(
    who: Authorized<ops::ListCases>,
    state: web::Data<AppState>,
    filter: web::Query<CaseFilter>,
) -> Result<web::Json<CaseList>, ApiError> {
    Ok(web::Json(
        service::list(&state, who, filter.into_inner()).await?,
    ))
}

/// One case with its household (personnummer masked). ETag.
#[utoipa::path(tag = "cases", params(("case_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = CaseResponse), (status = "4XX", body = Problem)))]
#[get("/cases/{case_id}")]
pub async fn get_case(
    who: Authorized<ops::GetCase>,
    state: web::Data<AppState>,
    case_id: web::Path<String>,
) -> Result<Tagged<CaseResponse>, ApiError> {
    let c = service::get(&state, who, case_id.into_inner()).await?;
    Ok(Tagged::ok(c.version, c))
}

/// Change risk level, assignee or unit (If-Match).
#[utoipa::path(tag = "cases", request_body = UpdateCaseRequest, security(("bearer" = [])),
    params(("case_id" = String, Path), ("If-Match" = String, Header, description = "ETag of the case as read", pattern = r#"^(W/)?"(0|[1-9][0-9]{0,8})"$"#)),
    responses((status = 200, body = CaseResponse), (status = "4XX", body = Problem)))]
#[patch("/cases/{case_id}")]
pub async fn update_case(
    who: Authorized<ops::UpdateCase>,
    state: web::Data<AppState>,
    case_id: web::Path<String>,
    if_match: IfMatch,
    body: Body<UpdateCaseRequest>,
) -> Result<Tagged<CaseResponse>, ApiError> {
    let c = service::update(
        &state,
        who,
        case_id.into_inner(),
        if_match,
        body.into_inner()?,
    )
    .await?;
    Ok(Tagged::ok(c.version, c))
}

/// Move the case to another status (If-Match). 409 lists the allowed targets; closing a case
/// with children needs a supervisor: 202 with the closure request.
#[utoipa::path(tag = "cases", request_body = TransitionRequest, security(("bearer" = [])),
    params(("case_id" = String, Path), ("If-Match" = String, Header, description = "ETag of the case as read", pattern = r#"^(W/)?"(0|[1-9][0-9]{0,8})"$"#)),
    responses((status = 200, body = CaseResponse), (status = 202, body = ClosureRequestResponse), (status = "4XX", body = Problem)))]
#[post("/cases/{case_id}/transitions")]
pub async fn transition_case(
    who: Authorized<ops::TransitionCase>,
    state: web::Data<AppState>,
    case_id: web::Path<String>,
    if_match: IfMatch,
    body: Body<TransitionRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(
        match transitions::transition(
            &state,
            who,
            case_id.into_inner(),
            if_match,
            body.into_inner()?,
        )
        .await?
        {
            Transitioned::Moved(c) => HttpResponse::Ok()
                .insert_header((header::ETAG, etag_value(c.version)))
                .json(c),
            Transitioned::AwaitingApproval(r) => HttpResponse::Accepted().json(r),
        },
    )
}

/// Approve or reject a pending closure request (supervisor).
#[utoipa::path(tag = "cases", request_body = ClosureDecisionRequest, security(("bearer" = [])), params(("case_id" = String, Path)),
    responses((status = 200, body = ClosureDecisionResponse), (status = "4XX", body = Problem)))]
#[post("/cases/{case_id}/closure-approvals")]
pub async fn decide_closure(
    who: Authorized<ops::DecideClosure>,
    state: web::Data<AppState>,
    case_id: web::Path<String>,
    body: Body<ClosureDecisionRequest>,
) -> Result<web::Json<ClosureDecisionResponse>, ApiError> {
    Ok(web::Json(
        transitions::decide(&state, who, case_id.into_inner(), body.into_inner()?).await?,
    ))
}

/// Add a note (append-only; a correction names the note it corrects).
#[utoipa::path(tag = "cases", request_body = CreateNoteRequest, security(("bearer" = [])), params(("case_id" = String, Path)),
    responses((status = 201, body = NoteResponse), (status = "4XX", body = Problem)))]
#[post("/cases/{case_id}/notes")]
pub async fn create_note(
    who: Authorized<ops::CreateNote>,
    state: web::Data<AppState>,
    case_id: web::Path<String>,
    body: Body<CreateNoteRequest>,
) -> Result<HttpResponse, ApiError> {
    let n = notes::create(&state, who, case_id.into_inner(), body.into_inner()?).await?;
    Ok(HttpResponse::Created().json(n))
}

/// The case's notes, oldest first.
#[utoipa::path(tag = "cases", params(("case_id" = String, Path), Page), security(("bearer" = [])),
    responses((status = 200, body = NoteList), (status = "4XX", body = Problem)))]
#[get("/cases/{case_id}/notes")]
pub async fn list_notes(
    who: Authorized<ops::ListNotes>,
    state: web::Data<AppState>,
    case_id: web::Path<String>,
    page: web::Query<Page>,
) -> Result<web::Json<NoteList>, ApiError> {
    Ok(web::Json(
        notes::list(&state, who, case_id.into_inner(), page.into_inner()).await?,
    ))
}

/// Record an intervention.
#[utoipa::path(tag = "cases", request_body = CreateInterventionRequest, security(("bearer" = [])), params(("case_id" = String, Path)),
    responses((status = 201, body = InterventionResponse), (status = "4XX", body = Problem)))]
#[post("/cases/{case_id}/interventions")]
pub async fn create_intervention(
    who: Authorized<ops::CreateIntervention>,
    state: web::Data<AppState>,
    case_id: web::Path<String>,
    body: Body<CreateInterventionRequest>,
) -> Result<HttpResponse, ApiError> {
    let i = interventions::create(&state, who, case_id.into_inner(), body.into_inner()?).await?;
    Ok(HttpResponse::Created().json(i))
}

/// The case's interventions.
#[utoipa::path(tag = "cases", params(("case_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = InterventionList), (status = "4XX", body = Problem)))]
#[get("/cases/{case_id}/interventions")]
pub async fn list_interventions(
    who: Authorized<ops::ListInterventions>,
    state: web::Data<AppState>,
    case_id: web::Path<String>,
) -> Result<web::Json<InterventionList>, ApiError> {
    Ok(web::Json(
        interventions::list(&state, who, case_id.into_inner()).await?,
    ))
}

/// Who changed what on the case, when (supervisors, auditors).
#[utoipa::path(tag = "audit", params(("case_id" = String, Path), Page), security(("bearer" = [])),
    responses((status = 200, body = AuditEventList), (status = "4XX", body = Problem)))]
#[get("/cases/{case_id}/history")]
pub async fn get_case_history(
    who: Authorized<ops::GetCaseHistory>,
    state: web::Data<AppState>,
    case_id: web::Path<String>,
    page: web::Query<Page>,
) -> Result<web::Json<AuditEventList>, ApiError> {
    Ok(web::Json(
        logs::history(&state, who, case_id.into_inner(), page.into_inner()).await?,
    ))
}

/// Who read the case and its people (supervisors, auditors).
#[utoipa::path(tag = "audit", params(("case_id" = String, Path), Page), security(("bearer" = [])),
    responses((status = 200, body = AccessLogList), (status = "4XX", body = Problem)))]
#[get("/cases/{case_id}/access-log")]
pub async fn get_case_access_log(
    who: Authorized<ops::GetCaseAccessLog>,
    state: web::Data<AppState>,
    case_id: web::Path<String>,
    page: web::Query<Page>,
) -> Result<web::Json<AccessLogList>, ApiError> {
    Ok(web::Json(
        logs::access_log(&state, who, case_id.into_inner(), page.into_inner()).await?,
    ))
}

/// Audit events of your organization, filtered by case, actor, time (auditors).
#[utoipa::path(tag = "audit", params(AuditEventFilter), security(("bearer" = [])),
    responses((status = 200, body = AuditEventList), (status = "4XX", body = Problem)))]
#[get("/audit/events")]
pub async fn list_audit_events(
    who: Authorized<ops::ListAuditEvents>,
    state: web::Data<AppState>,
    filter: web::Query<AuditEventFilter>,
) -> Result<web::Json<AuditEventList>, ApiError> {
    Ok(web::Json(
        logs::audit_events(&state, who, filter.into_inner()).await?,
    ))
}
