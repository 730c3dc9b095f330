//! The request middleware, the outermost layer of every route: gives the request an id (header
//! `X-Request-Id`, every log line, every problem body), a tracing span, the security headers,
//! metrics by route and status, and turns a panic into a 500 problem while the process lives on.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};
use futures_util::FutureExt;
use tracing::Instrument;

use crate::error::ApiError;
use crate::http::context;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// See the module documentation.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let id = uuid::Uuid::now_v7().to_string();
    let method = req.method().to_string();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let span = tracing::info_span!("request", request_id = %id, %method, %route);
    let http_req = req.request().clone();

    let outcome = context::with_request_id(
        id.clone(),
        AssertUnwindSafe(next.call(req))
            .catch_unwind()
            .instrument(span.clone()),
    )
    .await;

    let mut res = match outcome {
        Ok(Ok(res)) => res.map_into_boxed_body(),
        Ok(Err(err)) => {
            let res = context::with_request_id(id.clone(), async { err.error_response() }).await;
            ServiceResponse::new(http_req, res.map_into_boxed_body())
        }
        Err(_panic) => {
            // The panic hook has logged where; the payload may hold data and is not logged.
            let res = context::with_request_id(id.clone(), async {
                ApiError::Internal("handler panicked".into()).error_response()
            })
            .await;
            ServiceResponse::new(http_req, res)
        }
    };

    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert(HeaderName::from_static(REQUEST_ID_HEADER), v);
    }

    let status = res.status().as_u16();
    let elapsed = started.elapsed().as_secs_f64();
    crate::metrics::record_request(&method, &route, status, elapsed);
    span.in_scope(|| {
        tracing::info!(
            status,
            elapsed_ms = (elapsed * 1000.0) as u64,
            "request finished"
        )
    });
    Ok(res)
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
