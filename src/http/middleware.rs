//! The request middleware, the outermost layer of every route: gives the request an id (header
//! `X-Request-Id`, every log line, every problem body), a tracing span, the security headers and
//! a charset on every textual answer, metrics by route and status; refuses an API request whose
//! `Accept` rules out what its route produces (406; JSON but for `negotiate::NON_JSON_ROUTES`), answers 503 when a request outlives `KVAR_REQUEST_TIMEOUT_SECS`,
//! and turns a panic into a 500 problem while the process lives on.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpResponse, ResponseError, web};
use futures_util::FutureExt;
use tracing::Instrument;

use crate::error::ApiError;
use crate::http::{context, negotiate};
use crate::state::AppState;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// See the module documentation.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    // While shutting down, every answer closes its connection, so that keep-alive clients move
    // to a new connection (another instance) instead of racing the listener's close.
    let state = req.app_data::<web::Data<AppState>>();
    let shutting_down = state.map(|s| s.shutting_down.clone());
    let timeout = state.map_or(std::time::Duration::from_secs(10), |s| {
        request_timeout(req.path(), s.settings.request_timeout)
    });
    // Per route: JSON everywhere but the routes of `negotiate::NON_JSON_ROUTES`.
    let acceptable = !req.path().starts_with("/api/")
        || req.headers().get(header::ACCEPT).is_none_or(|v| {
            v.to_str()
                .is_ok_and(|a| negotiate::acceptable(req.path(), a))
        });
    let id = uuid::Uuid::now_v7().to_string();
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let span =
        tracing::info_span!("request", request_id = %id, %method, route = tracing::field::Empty);

    // The request must not be cloned before routing (actix needs it unshared), so an error or a
    // panic is answered with a finished response handed back as an error.
    let outcome = if acceptable {
        context::with_request_id(
            id.clone(),
            actix_web::rt::time::timeout(
                timeout,
                AssertUnwindSafe(next.call(req))
                    .catch_unwind()
                    .instrument(span.clone()),
            ),
        )
        .await
        .unwrap_or_else(|_elapsed| Ok(Err(ApiError::Timeout.into())))
    } else {
        Ok(Err(ApiError::NotAcceptable.into()))
    };
    let close = shutting_down.is_some_and(|f| f.load(Ordering::Relaxed));
    let result = match outcome {
        Ok(Ok(mut res)) => {
            add_headers(res.headers_mut(), &id);
            if close {
                res.response_mut()
                    .head_mut()
                    .set_connection_type(ConnectionType::Close);
            }
            Ok(res.map_into_boxed_body())
        }
        Ok(Err(err)) => {
            let res = context::with_request_id(id.clone(), async { err.error_response() }).await;
            Err(Finished::from_response(res, &id, close))
        }
        Err(_panic) => {
            // The panic hook has logged where; the payload may hold data and is not logged.
            let res = context::with_request_id(id.clone(), async {
                ApiError::Internal("handler panicked".into()).error_response()
            })
            .await;
            Err(Finished::from_response(res, &id, close))
        }
    };
    // The route pattern (never the concrete path, which may carry ids) labels metrics and logs.
    let (status, route) = match &result {
        Ok(res) => (res.status().as_u16(), res.request().match_pattern()),
        Err(f) => (f.status.as_u16(), None),
    };
    let route = route.unwrap_or_else(|| {
        if path.starts_with("/docs") {
            "/docs".into()
        } else {
            "unmatched".into()
        }
    });
    span.record("route", route.as_str());
    let elapsed = started.elapsed().as_secs_f64();
    crate::metrics::record_request(&method, &route, status, elapsed);
    span.in_scope(|| {
        tracing::info!(
            status,
            elapsed_ms = (elapsed * 1000.0) as u64,
            "request finished"
        )
    });
    result.map_err(Error::from)
}

/// Walking the whole audit chain takes about a minute per million changes: verify gets at least
/// ten minutes. A batch of 500 Kronofogden events took 11 s on PostgreSQL on a 2-core machine
/// (bench/README), past the default: the batch gets at least two minutes. Everything else gets
/// `KVAR_REQUEST_TIMEOUT_SECS`.
fn request_timeout(path: &str, configured: std::time::Duration) -> std::time::Duration {
    const VERIFY: std::time::Duration = std::time::Duration::from_secs(600);
    const BATCH: std::time::Duration = std::time::Duration::from_secs(120);
    match path {
        "/api/v1/audit/verify" => configured.max(VERIFY),
        "/api/v1/enforcement/events:batch" => configured.max(BATCH),
        _ => configured,
    }
}

fn add_headers(headers: &mut HeaderMap, id: &str) {
    if let Some(v) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(negotiate::with_charset)
        .and_then(|v| HeaderValue::from_str(&v).ok())
    {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(id) {
        headers.insert(HeaderName::from_static(REQUEST_ID_HEADER), v);
    }
}

/// A response already built (status, headers, body), passed out as an error.
#[derive(Debug)]
struct Finished {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    close: bool,
}

impl Finished {
    fn from_response(res: HttpResponse, id: &str, close: bool) -> Self {
        let (mut head, body) = res.into_parts();
        add_headers(head.headers_mut(), id);
        Finished {
            status: head.status(),
            headers: head.headers().clone(),
            body: body.try_into_bytes().unwrap_or_default(),
            close: close || head.head().connection_type() == ConnectionType::Close,
        }
    }
}

impl std::fmt::Display for Finished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.status)
    }
}

impl ResponseError for Finished {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::with_body(self.status, self.body.clone()).map_into_boxed_body();
        for (k, v) in &self.headers {
            res.headers_mut().insert(k.clone(), v.clone());
        }
        if self.close {
            res.head_mut().set_connection_type(ConnectionType::Close);
        }
        res
    }
}

/// Log panics through tracing with their location only: the payload of a panic in a handler
/// may carry personal data.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()));
        tracing::error!(location = location.as_deref().unwrap_or("?"), "panic");
    }));
}

#[cfg(test)]
mod tests {
    use super::request_timeout;
    use std::time::Duration;

    #[test]
    fn verify_gets_ten_minutes_at_least_and_the_rest_the_configured_timeout() {
        let ten = Duration::from_secs(10);
        assert_eq!(request_timeout("/api/v1/cases", ten), ten);
        assert_eq!(
            request_timeout("/api/v1/audit/verify", ten),
            Duration::from_secs(600)
        );
        let hour = Duration::from_secs(3600);
        assert_eq!(request_timeout("/api/v1/audit/verify", hour), hour);
    }

    #[test]
    fn a_kronofogden_batch_gets_two_minutes_at_least() {
        let ten = Duration::from_secs(10);
        let batch = "/api/v1/enforcement/events:batch";
        assert_eq!(request_timeout(batch, ten), Duration::from_secs(120));
        assert_eq!(request_timeout("/api/v1/enforcement/events", ten), ten);
        let hour = Duration::from_secs(3600);
        assert_eq!(request_timeout(batch, hour), hour);
    }
}
