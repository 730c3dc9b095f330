//! Extractor configuration: JSON, path and query errors become problem+json; body limit 64 KiB;
//! unknown routes and wrong methods get problems too.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use crate::error::ApiError;

/// The largest JSON body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_BODY_BYTES)
        .error_handler(|err, _req| json_error(err).into())
}

fn json_error(err: JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::PayloadTooLarge
        }
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            // serde's message names the field and the problem, never echoes the value for the
            // kinds of errors our types produce (unknown field, missing field, wrong type).
            ApiError::Validation(vec![crate::error::FieldError::new("body", data_error(&e))])
        }
        JsonPayloadError::Deserialize(_) => {
            ApiError::BadRequest("The body is not valid JSON.".into())
        }
        _ => ApiError::BadRequest("The body could not be read.".into()),
    }
}

/// serde_json's message without the line/column suffix, and without quoted input values.
pub fn data_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
    if msg.starts_with("invalid value") || msg.starts_with("invalid type") {
        // "invalid type: string \"…\", expected …": drop the value.
        match msg.split_once(", expected ") {
            // JSON Schema counts 2.0 as an integer; kvar wants integers written as such.
            Some((_, expected)) if msg.starts_with("invalid type: floating point") => {
                format!("invalid value, expected {expected} written without a decimal point")
            }
            Some((_, expected)) => format!("invalid value, expected {expected}"),
            None => "invalid value".into(),
        }
    } else if let Some(rest) = msg.strip_prefix("unknown variant `") {
        // "unknown variant `…`, expected one of …": the value is the client's text (found by
        // the `dto` fuzz target); keep the list of allowed values.
        // The last "`, expected ": the value may hold the same text, the variant names do not.
        match rest.rsplit_once("`, expected ") {
            Some((_, expected)) => format!("unknown variant, expected {expected}"),
            None => "unknown variant".into(),
        }
    } else {
        msg
    }
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, _req| {
        let _ = err;
        ApiError::NotFound.into()
    })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        let detail = match err {
            QueryPayloadError::Deserialize(e) => e.to_string(),
            _ => "invalid query string".into(),
        };
        ApiError::BadRequest(format!("Invalid query parameters: {detail}")).into()
    })
}

/// The default service: 404 for unknown paths, 405 for a known path with another method.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let _ = req;
    ApiError::NotFound.error_response()
}

/// A JSON body whose errors surface only when the handler asks for it, so authentication and
/// authorization (401/403) are decided before validation (400/413/415/422).
pub struct Body<T>(Result<T, ApiError>);

impl<T> Body<T> {
    pub fn into_inner(self) -> Result<T, ApiError> {
        self.0
    }
}

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for Body<T> {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let json = web::Json::<T>::from_request(req, payload);
        let limit = body_timeout(req);
        Box::pin(async move {
            let Ok(json) = actix_web::rt::time::timeout(limit, json).await else {
                return Err(ApiError::RequestTimeout);
            };
            Ok(Body(json.map(web::Json::into_inner).map_err(|e| {
                e.as_error::<ApiError>()
                    .cloned()
                    .unwrap_or_else(|| ApiError::BadRequest("The body could not be read.".into()))
            })))
        })
    }
}

/// How long a body may take to arrive (`KVAR_BODY_TIMEOUT_SECS`).
fn body_timeout(req: &HttpRequest) -> std::time::Duration {
    req.app_data::<web::Data<crate::state::AppState>>()
        .map_or(std::time::Duration::from_secs(5), |s| {
            s.settings.body_timeout
        })
}

/// Read a JSON body of at most `limit` bytes from a raw payload (for handlers that also need
/// the body's hash): 415 unless JSON, 413 over the limit, 400 unless it parses.
pub async fn read_json(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<serde_json::Value, ApiError> {
    use futures_util::StreamExt;
    let json = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json {
        return Err(ApiError::UnsupportedMediaType);
    }
    let mut body = web::BytesMut::new();
    let read = async {
        while let Some(chunk) = payload.next().await {
            let chunk =
                chunk.map_err(|_| ApiError::BadRequest("The body could not be read.".into()))?;
            if body.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(())
    };
    actix_web::rt::time::timeout(body_timeout(req), read)
        .await
        .map_err(|_| ApiError::RequestTimeout)??;
    serde_json::from_slice(&body)
        .map_err(|_| ApiError::BadRequest("The body is not valid JSON.".into()))
}

/// Deserialize a parsed body into its request type (422 naming the problem).
pub fn from_value<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(v).map_err(|e| {
        ApiError::Validation(vec![crate::error::FieldError::new("body", data_error(&e))])
    })
}

#[cfg(test)]
mod tests {
    use super::data_error;

    #[test]
    fn body_errors_name_the_expected_type_never_the_value() {
        let e = serde_json::from_str::<u8>("2.0").expect_err("float for an integer");
        assert_eq!(
            data_error(&e),
            "invalid value, expected u8 written without a decimal point"
        );
        let e = serde_json::from_str::<u8>("\"secret\"").expect_err("string for an integer");
        assert_eq!(data_error(&e), "invalid value, expected u8");
    }

    #[test]
    fn unknown_variants_are_not_repeated() {
        // Found by the `dto` fuzz target: serde puts the unknown text in its message.
        #[derive(Debug, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Level {
            Low,
            High,
        }
        for sent in ["\"19121212-1212\"", "\"x`, expected one of `y\""] {
            let e = serde_json::from_str::<Level>(sent).expect_err("not a level");
            assert_eq!(data_error(&e), "unknown variant, expected `low` or `high`");
        }
    }
}
