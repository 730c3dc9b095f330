//! One error type for the whole API and its RFC 9457 `application/problem+json` body.
//!
//! Every error a client can see goes through [`ApiError`]: handler results, extractor failures
//! (JSON, path, query), unknown routes and methods, oversized bodies, panics. The body carries a
//! short user message; details (SQL errors, causes) go to the log only, never to the client.
//! The request id is read from the task-local set by the request middleware, so every problem
//! body names the request it belongs to.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::context;

/// One invalid field of a request body.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name or JSON path (`members[0].personnummer`).
    pub field: String,
    /// What is wrong with it (never the value itself).
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// RFC 9457 problem details.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The id of the request, also in the `X-Request-Id` header and the server's log.
    pub request_id: String,
    /// Field errors (422).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Extra data for some problems (the allowed targets of an illegal transition).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub extra: Option<serde_json::Value>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unauthorized")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    /// The role may perform the operation, but not on this object, for the reason given (403).
    #[error("forbidden: {0}")]
    Refused(&'static str),
    #[error("not found")]
    NotFound,
    /// An object (case, household, tenancy) outside the caller's scope or missing, met inside a
    /// write transaction: answered exactly as [`ApiError::NotFound`]; `auth::scope::scoped_write`
    /// logs the denial once, after the transaction rolled back.
    #[error("not found")]
    NotVisible {
        subject_type: &'static str,
        subject_id: String,
    },
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("conflict: {detail}")]
    Conflict {
        detail: String,
        extra: Option<serde_json::Value>,
    },
    /// A request with the same Idempotency-Key is still being processed (409 + Retry-After).
    #[error("idempotency key in flight")]
    InFlight,
    #[error("precondition failed")]
    PreconditionFailed,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The `Accept` header rules out JSON (406).
    #[error("not acceptable")]
    NotAcceptable,
    /// The body did not arrive within the body timeout (408; the connection is closed).
    #[error("request body timeout")]
    RequestTimeout,
    /// The request was not answered within the request timeout (503; the connection is closed).
    #[error("request timeout")]
    Timeout,
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("precondition required")]
    PreconditionRequired,
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("internal error: {0}")]
    Internal(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
}

impl ApiError {
    pub fn conflict(detail: impl Into<String>) -> Self {
        ApiError::Conflict {
            detail: detail.into(),
            extra: None,
        }
    }

    pub fn field(field: &str, message: &str) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    fn slug_title_detail(&self) -> (&'static str, &'static str, String) {
        match self {
            ApiError::BadRequest(d) => ("bad-request", "Bad request", d.clone()),
            ApiError::Unauthorized => (
                "unauthorized",
                "Unauthorized",
                "Authentication is missing, invalid or expired.".into(),
            ),
            ApiError::Forbidden => (
                "forbidden",
                "Forbidden",
                "Your role may not perform this operation.".into(),
            ),
            ApiError::Refused(detail) => ("forbidden", "Forbidden", (*detail).into()),
            ApiError::NotFound | ApiError::NotVisible { .. } => {
                ("not-found", "Not found", "No such resource.".into())
            }
            ApiError::MethodNotAllowed => (
                "method-not-allowed",
                "Method not allowed",
                "This resource does not support the method.".into(),
            ),
            ApiError::Conflict { detail, .. } => ("conflict", "Conflict", detail.clone()),
            ApiError::InFlight => (
                "idempotency-in-flight",
                "Conflict",
                "A request with this Idempotency-Key is still being processed; retry shortly."
                    .into(),
            ),
            ApiError::PreconditionFailed => (
                "precondition-failed",
                "Precondition failed",
                "The resource has changed since you read it (If-Match is stale); fetch it again."
                    .into(),
            ),
            ApiError::PayloadTooLarge => (
                "payload-too-large",
                "Payload too large",
                "The body exceeds 64 KiB.".into(),
            ),
            ApiError::UnsupportedMediaType => (
                "unsupported-media-type",
                "Unsupported media type",
                "Send the body as application/json.".into(),
            ),
            ApiError::NotAcceptable => (
                "not-acceptable",
                "Not acceptable",
                "This API answers with application/json or application/problem+json only.".into(),
            ),
            ApiError::RequestTimeout => (
                "request-timeout",
                "Request timeout",
                "The body did not arrive in time; the connection is closed.".into(),
            ),
            ApiError::Timeout => (
                "timeout",
                "Service unavailable",
                "The request was not answered in time. It may or may not have taken effect: \
                 re-read, or retry with the same Idempotency-Key."
                    .into(),
            ),
            ApiError::Validation(_) => (
                "validation",
                "Validation failed",
                "One or more fields are invalid; see errors.".into(),
            ),
            ApiError::PreconditionRequired => (
                "precondition-required",
                "Precondition required",
                "This operation needs an If-Match header with the ETag you read.".into(),
            ),
            ApiError::TooManyRequests { .. } => (
                "too-many-requests",
                "Too many requests",
                "Slow down and retry later.".into(),
            ),
            ApiError::Internal(_) => (
                "internal",
                "Internal server error",
                "Something went wrong on our side; the request id identifies it in the log.".into(),
            ),
            ApiError::Unavailable(_) => (
                "unavailable",
                "Service unavailable",
                "The database is unavailable; retry shortly.".into(),
            ),
        }
    }

    /// The problem body for this error.
    pub fn problem(&self) -> Problem {
        let (slug, title, detail) = self.slug_title_detail();
        let (errors, extra) = match self {
            ApiError::Validation(errs) => (errs.clone(), None),
            ApiError::Conflict { extra, .. } => (Vec::new(), extra.clone()),
            _ => (Vec::new(), None),
        };
        Problem {
            kind: format!("urn:kvar:problem:{slug}"),
            title: title.into(),
            status: self.status_code().as_u16(),
            detail,
            request_id: context::request_id(),
            errors,
            extra,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::Refused(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound | ApiError::NotVisible { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } | ApiError::InFlight => StatusCode::CONFLICT,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(detail) => tracing::error!(detail = %detail, "internal error"),
            ApiError::Unavailable(detail) => {
                tracing::warn!(detail = %detail, "database unavailable")
            }
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        match self {
            ApiError::TooManyRequests { retry_after_secs } => {
                res.insert_header((header::RETRY_AFTER, retry_after_secs.max(&1).to_string()));
            }
            ApiError::Unavailable(_) => {
                res.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
            }
            ApiError::Timeout => {
                tracing::warn!("request timed out");
                res.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
                res.force_close();
            }
            ApiError::RequestTimeout => {
                res.force_close();
            }
            ApiError::InFlight => {
                res.insert_header((header::RETRY_AFTER, HeaderValue::from_static("1")));
            }
            ApiError::Unauthorized => {
                res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            _ => {}
        }
        // An error answer cannot itself fail: a body that does not serialize is logged and sent empty.
        let body = serde_json::to_vec(&self.problem()).unwrap_or_else(|e| {
            tracing::error!(error = %e, "problem+json body did not serialize");
            Vec::new()
        });
        res.body(body)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match e {
            E::NotFound => ApiError::NotFound,
            E::DatabaseError(K::UniqueViolation, _) => {
                ApiError::conflict("A resource with these unique values already exists.")
            }
            E::DatabaseError(K::ForeignKeyViolation, _) => {
                ApiError::conflict("A referenced resource does not exist.")
            }
            E::DatabaseError(K::ClosedConnection | K::UnableToSendCommand, info) => {
                ApiError::Unavailable(info.message().to_owned())
            }
            E::DatabaseError(_, ref info) if is_unavailable(info.message()) => {
                ApiError::Unavailable(info.message().to_owned())
            }
            // The column is in the message, the bad stored value in its causes.
            other @ E::DeserializationError(_) => ApiError::Internal(with_causes(&other)),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// An error's message followed by each distinct cause's.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut last = out.clone();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if text != last {
            out.push_str(": ");
            out.push_str(&text);
        }
        last = text;
        cause = c.source();
    }
    out
}

/// Messages of errors that mean "the database is not there right now", not "the query is wrong".
fn is_unavailable(message: &str) -> bool {
    const SIGNS: [&str; 6] = [
        "database is locked",
        "terminating connection",
        "server closed the connection",
        "connection refused",
        "no connection to the server",
        "the database system is",
    ];
    let m = message.to_ascii_lowercase();
    SIGNS.iter().any(|s| m.contains(s))
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        ApiError::Unavailable(e.to_string())
    }
}
