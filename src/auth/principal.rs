//! The signed-in caller. The extractor fails closed: a missing, malformed, expired or forged
//! token, a token in the query string, a disabled user or a stale `token_version` are all 401,
//! logged as `auth.token_rejected` with the reason.
//! The user is loaded from the database on every request, so role and status are current.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use super::Role;
use crate::audit::Actor;
use crate::domain::states::OrganizationKind;
use crate::domain::states::UserStatus;
use crate::error::ApiError;
use crate::http::context;
use crate::state::AppState;
use crate::users::repo;

#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub organization_id: String,
    pub organization_kind: OrganizationKind,
    pub unit_id: Option<String>,
    pub request_id: String,
}

impl Principal {
    /// An administrator of the platform organization (the installation's operator).
    pub fn is_platform_admin(&self) -> bool {
        self.role == Role::Admin && self.organization_kind == OrganizationKind::Platform
    }

    /// The organization filter for `Scope::Organization`: None for platform administrators.
    pub fn org_filter(&self) -> Option<&str> {
        (!self.is_platform_admin()).then_some(self.organization_id.as_str())
    }

    /// The caller as the audit trail records it.
    pub fn actor(&self) -> Actor {
        Actor {
            kind: "user",
            id: Some(self.user_id.clone()),
            role: Some(self.role.as_str().into()),
            unit_id: self.unit_id.clone(),
            request_id: Some(self.request_id.clone()),
        }
    }
}

/// The bearer token of a request, refusing tokens anywhere but the Authorization header.
pub(crate) fn bearer(req: &HttpRequest) -> Option<String> {
    bearer_or_reason(req).ok()
}

/// [`bearer`], saying why there is none.
fn bearer_or_reason(req: &HttpRequest) -> Result<String, &'static str> {
    bearer_token(req.query_string(), req.headers().get(header::AUTHORIZATION))
}

/// The token from a request's query string and `Authorization` header, or why there is none.
pub(crate) fn bearer_token(
    query: &str,
    authorization: Option<&header::HeaderValue>,
) -> Result<String, &'static str> {
    if query.contains("access_token") || query.contains("token=") {
        return Err("token_in_query");
    }
    let value = authorization
        .ok_or("missing")?
        .to_str()
        .map_err(|_| "malformed_header")?;
    // The scheme name is case-insensitive (RFC 9110 §11.1): `bearer x` is a bearer token too.
    let (scheme, token) = value.split_once(' ').ok_or("not_bearer")?;
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return Err("not_bearer");
    }
    let token = token.trim();
    if token.is_empty() {
        return Err("missing");
    }
    if token.len() > super::tokens::MAX_TOKEN_BYTES {
        return Err("too_long");
    }
    Ok(token.to_owned())
}

/// A refused token: 401, and an `auth.token_rejected` log line that says why in a fixed word
/// (never the token or a claim from it, save the user id of a correctly signed one).
pub(crate) fn rejected(reason: &'static str, user_id: Option<&str>) -> ApiError {
    tracing::info!(reason, user_id, "auth.token_rejected");
    ApiError::Unauthorized
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_or_reason(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal("no app state".into()))?;
            let claims = token
                .and_then(|t| state.tokens.verify(&t, super::tokens::STAFF_AUDIENCE))
                .map_err(|reason| rejected(reason, None))?;
            let found = state
                .db
                .run(move |conn| {
                    Ok(repo::find_with_org_kind(conn, &claims.sub)?.map(|u| (u, claims.tv)))
                })
                .await?;
            let Some(((user, org_kind), tv)) = found else {
                return Err(rejected("unknown_user", None));
            };
            if user.status != UserStatus::Active {
                return Err(rejected("disabled", Some(&user.id)));
            }
            if user.token_version != tv {
                return Err(rejected("stale_version", Some(&user.id)));
            }
            let role = user.role;
            Ok(Principal {
                user_id: user.id,
                username: user.username,
                display_name: user.display_name,
                role,
                organization_id: user.organization_id,
                organization_kind: org_kind,
                unit_id: user.unit_id,
                request_id: context::request_id(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(query: &str, value: &str) -> Result<String, &'static str> {
        bearer_token(
            query,
            Some(&header::HeaderValue::from_str(value).expect("value")),
        )
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        assert_eq!(token("", "Bearer abc"), Ok("abc".into()));
        assert_eq!(token("", "bearer abc"), Ok("abc".into()));
        assert_eq!(token("", "BEARER  abc "), Ok("abc".into()));
        assert_eq!(token("", "Basic abc"), Err("not_bearer"));
        assert_eq!(token("", "Bearerabc"), Err("not_bearer"));
        assert_eq!(token("", "Bearer "), Err("missing"));
        assert_eq!(token("access_token=x", "Bearer abc"), Err("token_in_query"));
    }
}
