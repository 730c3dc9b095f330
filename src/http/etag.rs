//! Optimistic concurrency over HTTP: responses carry `ETag: "<version>"`; updates need
//! `If-Match` with that value (428 without it, 412 when it is stale).

use std::future::{Ready, ready};

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, Responder, dev::Payload};
use serde::Serialize;

use crate::error::ApiError;

/// The version the client last read, from `If-Match`. Missing (428) or malformed (400) is
/// reported when the handler asks for the version, after authorization.
#[derive(Debug, Clone)]
pub struct IfMatch(Result<i32, ApiError>);

impl IfMatch {
    /// The version a non-HTTP caller (CLI, seeder) read.
    pub fn of(version: i32) -> Self {
        IfMatch(Ok(version))
    }

    pub fn version(&self) -> Result<i32, ApiError> {
        self.0.clone()
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(IfMatch(match req.headers().get(header::IF_MATCH) {
            None => Err(ApiError::PreconditionRequired),
            Some(v) => parse_etag(v.to_str().unwrap_or("")).ok_or_else(|| {
                ApiError::BadRequest("If-Match must be an ETag such as \"3\".".into())
            }),
        })))
    }
}

/// `"3"` or `W/"3"` → 3. Only the digits of a version as we send it (as the OpenAPI pattern
/// says): a sign is not part of an ETag we send, so `"+3"` or `"-1"` is malformed, not version 3
/// or -1; nor is a leading zero (`"03"` is another entity tag than `"3"`: RFC 9110 compares them
/// character by character), so exactly one text names each version.
pub fn parse_etag(v: &str) -> Option<i32> {
    let v = v.trim();
    let v = v.strip_prefix("W/").unwrap_or(v);
    let digits = v.strip_prefix('"')?.strip_suffix('"')?;
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    digits.parse().ok()
}

pub fn etag_value(version: i32) -> String {
    format!("\"{version}\"")
}

/// A JSON response with an ETag.
pub struct Tagged<T> {
    pub status: StatusCode,
    pub version: i32,
    pub body: T,
}

impl<T> Tagged<T> {
    pub fn ok(version: i32, body: T) -> Self {
        Tagged {
            status: StatusCode::OK,
            version,
            body,
        }
    }
    pub fn created(version: i32, body: T) -> Self {
        Tagged {
            status: StatusCode::CREATED,
            version,
            body,
        }
    }
}

impl<T: Serialize> Responder for Tagged<T> {
    type Body = actix_web::body::BoxBody;
    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        HttpResponse::build(self.status)
            .insert_header((header::ETAG, etag_value(self.version)))
            .json(self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_parse_strong_and_weak() {
        assert_eq!(parse_etag("\"3\""), Some(3));
        assert_eq!(parse_etag("W/\"12\""), Some(12));
        assert_eq!(parse_etag("3"), None);
        assert_eq!(parse_etag("\"x\""), None);
        assert_eq!(parse_etag(&etag_value(7)), Some(7));
    }

    #[test]
    fn etags_with_a_sign_are_malformed() {
        // Found by the `headers` fuzz target: `str::parse` takes a sign.
        assert_eq!(parse_etag("\"+3\""), None);
        assert_eq!(parse_etag("W/\"-1\""), None);
        assert_eq!(parse_etag("\"\""), None);
        assert_eq!(parse_etag("\"2147483648\""), None);
        assert_eq!(parse_etag("\"2147483647\""), Some(i32::MAX));
    }

    #[test]
    fn etags_with_a_leading_zero_are_malformed() {
        // Found by the `headers` fuzz target (10 minutes, 746,882 executions): `"02000000015"`
        // was read as version 2000000015.
        assert_eq!(parse_etag("\"02000000015\""), None);
        assert_eq!(parse_etag("W/\"03\""), None);
        assert_eq!(parse_etag("\"0\""), Some(0));
        assert_eq!(parse_etag("\"10\""), Some(10));
    }
}
