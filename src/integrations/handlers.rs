//! `/integration-clients`, `/auth/token`, `/enforcement/*`, `/landlord/*`.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::clients::{
    self, ClientList, ClientResponse, ClientSecretResponse, ClientTokenResponse,
    CreateClientRequest, TokenRequest,
};
use super::idempotency;
use super::inbound::{self, Answer, ArrearsReport, EnforcementEvent, LandlordNotice, Submission};
use super::receipts::{self, ReceiptList, ReceiptResponse};
use super::submitter::{Submits, Submitter};
use crate::auth::policy::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::http::context;
use crate::http::extract::{Body, MAX_BODY_BYTES, from_value, read_json};
use crate::pagination::Page;
use crate::state::AppState;

/// A batch may carry up to 500 events.
pub const MAX_BATCH: usize = 500;
const MAX_BATCH_BYTES: usize = 2 * 1024 * 1024;

/// Create a client for a landlord or the enforcement authority; the secret is shown once.
#[utoipa::path(tag = "integrations", request_body = CreateClientRequest, security(("bearer" = [])),
    responses((status = 201, body = ClientSecretResponse), (status = "4XX", body = Problem)))]
#[post("/integration-clients")]
pub async fn create_integration_client(
    who: Authorized<ops::CreateIntegrationClient>,
    state: web::Data<AppState>,
    body: Body<CreateClientRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Created().json(clients::create(&state, who, body.into_inner()?).await?))
}

/// The integration clients in scope.
#[utoipa::path(tag = "integrations", security(("bearer" = [])),
    responses((status = 200, body = ClientList), (status = "4XX", body = Problem)))]
#[get("/integration-clients")]
pub async fn list_integration_clients(
    who: Authorized<ops::ListIntegrationClients>,
    state: web::Data<AppState>,
) -> Result<web::Json<ClientList>, ApiError> {
    Ok(web::Json(clients::list(&state, who).await?))
}

/// A new secret (shown once); the old secret and its tokens stop working.
#[utoipa::path(tag = "integrations", params(("client_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ClientSecretResponse), (status = "4XX", body = Problem)))]
#[post("/integration-clients/{client_id}/rotate")]
pub async fn rotate_integration_client(
    who: Authorized<ops::RotateIntegrationClient>,
    state: web::Data<AppState>,
    client_id: web::Path<String>,
) -> Result<web::Json<ClientSecretResponse>, ApiError> {
    Ok(web::Json(
        clients::rotate(&state, who, client_id.into_inner()).await?,
    ))
}

/// Revoke a client: its tokens stop working at once.
#[utoipa::path(tag = "integrations", params(("client_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ClientResponse), (status = "4XX", body = Problem)))]
#[post("/integration-clients/{client_id}/revoke")]
pub async fn revoke_integration_client(
    who: Authorized<ops::RevokeIntegrationClient>,
    state: web::Data<AppState>,
    client_id: web::Path<String>,
) -> Result<web::Json<ClientResponse>, ApiError> {
    Ok(web::Json(
        clients::revoke(&state, who, client_id.into_inner()).await?,
    ))
}

/// Client credentials → a short-lived token for the integration API (audience `kvar-integration`).
#[utoipa::path(tag = "integrations", request_body = TokenRequest,
    responses((status = 200, body = ClientTokenResponse), (status = "4XX", body = Problem)))]
#[post("/auth/token")]
pub async fn issue_client_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body<TokenRequest>,
) -> Result<web::Json<ClientTokenResponse>, ApiError> {
    let ip = crate::auth::handlers::ip(&req);
    Ok(web::Json(
        clients::token(&state, ip, body.into_inner()?, context::request_id()).await?,
    ))
}

fn answer(a: Answer) -> HttpResponse {
    let mut res = HttpResponse::build(
        actix_web::http::StatusCode::from_u16(a.status)
            .unwrap_or(actix_web::http::StatusCode::ACCEPTED),
    )
    .content_type("application/json")
    .body(a.body);
    if a.replayed {
        res.headers_mut().insert(
            HeaderName::from_static("idempotent-replayed"),
            HeaderValue::from_static("true"),
        );
    }
    res
}

/// Validate, then process one submission idempotently.
async fn single(
    state: &AppState,
    who: Submitter,
    req: &HttpRequest,
    payload: web::Payload,
    parse: fn(Value) -> Result<Submission, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let arrived = std::time::Instant::now();
    let key = idempotency::parse_key(
        req.headers()
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok()),
    )?;
    let body = read_json(req, payload, MAX_BODY_BYTES).await?;
    let hash = idempotency::request_hash(&body);
    let submission = parse(body)?;
    // Held until the transaction is committed or rolled back: a duplicate meanwhile gets 409,
    // afterwards a replay.
    let held = state.inflight.hold(&who.key, &key)?;
    let st = state.clone();
    let a = state
        .db
        .write(move |conn| inbound::submit(conn, &st, &who, &key, &hash, submission))
        .await;
    drop(held);
    // Whatever the outcome: known or unknown person, matched or created, the same time class.
    let rest = remaining(arrived.elapsed(), state.settings.submission_floor);
    if !rest.is_zero() {
        actix_web::rt::time::sleep(rest).await;
    }
    Ok(answer(a?))
}

/// How long to hold an answer that took `elapsed` so that it leaves no sooner than `floor`.
fn remaining(elapsed: std::time::Duration, floor: std::time::Duration) -> std::time::Duration {
    floor.saturating_sub(elapsed)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::remaining;

    #[test]
    fn answers_wait_for_the_floor_and_never_longer() {
        let floor = Duration::from_millis(150);
        assert_eq!(
            remaining(Duration::from_millis(20), floor),
            Duration::from_millis(130)
        );
        assert_eq!(remaining(Duration::from_millis(150), floor), Duration::ZERO);
        assert_eq!(remaining(Duration::from_millis(400), floor), Duration::ZERO);
        assert_eq!(
            remaining(Duration::from_millis(5), Duration::ZERO),
            Duration::ZERO
        );
    }
}

pub(crate) fn parse_event(v: Value) -> Result<Submission, ApiError> {
    from_value::<EnforcementEvent>(v)?.validate()
}
pub(crate) fn parse_notice(v: Value) -> Result<Submission, ApiError> {
    from_value::<LandlordNotice>(v)?.validate()
}
pub(crate) fn parse_arrears(v: Value) -> Result<Submission, ApiError> {
    from_value::<ArrearsReport>(v)?.validate()
}

/// Kronofogden: one `kfm_*` event (Idempotency-Key required). 202 with a receipt.
#[utoipa::path(tag = "integrations", request_body = EnforcementEvent, security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,200}$")),
    responses((status = 202, body = ReceiptResponse), (status = "4XX", body = Problem)))]
#[post("/enforcement/events")]
pub async fn submit_enforcement_event(
    who: Submits<ops::SubmitEnforcementEvent>,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    single(&state, who.0, &req, payload, parse_event).await
}

/// One item of a batch answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItem {
    pub idempotency_key: Option<String>,
    pub status: u16,
    #[schema(value_type = Option<Object>)]
    pub receipt: Option<Value>,
    pub problem: Option<Problem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    pub items: Vec<BatchItem>,
}

/// The body of `POST /enforcement/events:batch` (documentation only: the handler reads the JSON
/// itself so that each event is validated, and answered, on its own).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EnforcementEventBatch {
    /// 1–500 events, each an `EnforcementEvent` with its own `idempotency_key`. An invalid event
    /// is answered in its item with a problem; the others go in.
    #[schema(min_items = 1, max_items = 500, value_type = Vec<Value>)]
    events: Vec<Value>,
}

/// Kronofogden: up to 500 events, each object with its own `idempotency_key`; per-item answers.
#[utoipa::path(tag = "integrations", request_body = EnforcementEventBatch,
    security(("bearer" = [])),
    responses((status = 200, body = BatchResponse), (status = "4XX", body = Problem)))]
#[post("/enforcement/events:batch")]
pub async fn submit_enforcement_events(
    who: Submits<ops::SubmitEnforcementEvents>,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<BatchResponse>, ApiError> {
    let body = read_json(&req, payload, MAX_BATCH_BYTES).await?;
    let events = batch_events(&body)?;
    let who = who.0;
    let st = state.get_ref().clone();
    let items = state
        .db
        // One transaction for the batch (one commit, one fsync); each event in its own savepoint,
        // so a refused event leaves the others in.
        .write(move |conn| {
            let mut out = Vec::with_capacity(events.len());
            // Keys held until the batch is committed (returned with the answers, dropped after).
            let mut held = std::collections::HashMap::new();
            for ev in events {
                let (key, hash, parsed) = batch_item(ev);
                let result = parsed.and_then(|(k, s)| {
                    if !held.contains_key(&k) {
                        held.insert(k.clone(), st.inflight.hold(&who.key, &k)?);
                    }
                    inbound::submit(&mut *conn, &st, &who, &k, &hash, s)
                });
                out.push(match result {
                    Ok(a) => BatchItem {
                        idempotency_key: key,
                        status: a.status,
                        receipt: serde_json::from_str(&a.body).ok(),
                        problem: None,
                    },
                    Err(ApiError::Unavailable(m)) => return Err(ApiError::Unavailable(m)),
                    Err(e) => {
                        use actix_web::ResponseError;
                        BatchItem {
                            idempotency_key: key,
                            status: e.status_code().as_u16(),
                            receipt: None,
                            problem: Some(e.problem()),
                        }
                    }
                });
            }
            Ok((out, held))
        })
        .await?;
    let (items, held) = items;
    drop(held);
    Ok(web::Json(BatchResponse { items }))
}

/// The events of a batch body: a list of 1–500.
pub(crate) fn batch_events(body: &Value) -> Result<Vec<Value>, ApiError> {
    let Some(events) = body.get("events").and_then(Value::as_array).cloned() else {
        return Err(ApiError::field("events", "must be a list of events"));
    };
    if events.is_empty() || events.len() > MAX_BATCH {
        return Err(ApiError::field("events", "must hold 1–500 events"));
    }
    Ok(events)
}

/// One event of a batch, before the database: its key as sent, the hash of the event without
/// the key, and the parsed key and submission.
pub(crate) fn batch_item(
    mut ev: Value,
) -> (
    Option<String>,
    String,
    Result<(String, Submission), ApiError>,
) {
    let key = ev
        .as_object_mut()
        .and_then(|o| o.remove("idempotency_key"))
        .and_then(|k| k.as_str().map(str::to_owned));
    let hash = idempotency::request_hash(&ev);
    let parsed =
        idempotency::parse_key(key.as_deref()).and_then(|k| parse_event(ev).map(|s| (k, s)));
    (key, hash, parsed)
}

/// Landlords: a rent-arrears report (Idempotency-Key required).
#[utoipa::path(tag = "integrations", request_body = ArrearsReport, security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,200}$")),
    responses((status = 202, body = ReceiptResponse), (status = "4XX", body = Problem)))]
#[post("/landlord/arrears-reports")]
pub async fn submit_arrears_report(
    who: Submits<ops::SubmitArrearsReport>,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    single(&state, who.0, &req, payload, parse_arrears).await
}

/// Landlords: a termination, a formulär 3 to social services, a payment, a withdrawal.
#[utoipa::path(tag = "integrations", request_body = LandlordNotice, security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,200}$")),
    responses((status = 202, body = ReceiptResponse), (status = "4XX", body = Problem)))]
#[post("/landlord/notices")]
pub async fn submit_landlord_notice(
    who: Submits<ops::SubmitLandlordNotice>,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    single(&state, who.0, &req, payload, parse_notice).await
}

/// The landlord organization's receipts.
#[utoipa::path(tag = "integrations", params(Page), security(("bearer" = [])),
    responses((status = 200, body = ReceiptList), (status = "4XX", body = Problem)))]
#[get("/landlord/receipts")]
pub async fn list_landlord_receipts(
    who: Submits<ops::ListLandlordReceipts>,
    state: web::Data<AppState>,
    page: web::Query<Page>,
) -> Result<web::Json<ReceiptList>, ApiError> {
    Ok(web::Json(
        receipts::list(&state, who, page.into_inner()).await?,
    ))
}

/// One of the landlord organization's receipts.
#[utoipa::path(tag = "integrations", params(("receipt_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ReceiptResponse), (status = "4XX", body = Problem)))]
#[get("/landlord/receipts/{receipt_id}")]
pub async fn get_landlord_receipt(
    who: Submits<ops::GetLandlordReceipt>,
    state: web::Data<AppState>,
    receipt_id: web::Path<String>,
) -> Result<web::Json<ReceiptResponse>, ApiError> {
    Ok(web::Json(
        receipts::get(&state, who, receipt_id.into_inner()).await?,
    ))
}

/// The calling client's receipts.
#[utoipa::path(tag = "integrations", params(Page), security(("bearer" = [])),
    responses((status = 200, body = ReceiptList), (status = "4XX", body = Problem)))]
#[get("/enforcement/receipts")]
pub async fn list_enforcement_receipts(
    who: Submits<ops::ListEnforcementReceipts>,
    state: web::Data<AppState>,
    page: web::Query<Page>,
) -> Result<web::Json<ReceiptList>, ApiError> {
    Ok(web::Json(
        receipts::list(&state, who, page.into_inner()).await?,
    ))
}

/// One of the calling client's receipts.
#[utoipa::path(tag = "integrations", params(("receipt_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ReceiptResponse), (status = "4XX", body = Problem)))]
#[get("/enforcement/receipts/{receipt_id}")]
pub async fn get_enforcement_receipt(
    who: Submits<ops::GetEnforcementReceipt>,
    state: web::Data<AppState>,
    receipt_id: web::Path<String>,
) -> Result<web::Json<ReceiptResponse>, ApiError> {
    Ok(web::Json(
        receipts::get(&state, who, receipt_id.into_inner()).await?,
    ))
}
