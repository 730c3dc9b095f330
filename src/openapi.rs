//! The OpenAPI document: metadata and security schemes here, paths from the route table.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kvar",
        description = "Case management for eviction prevention in Swedish municipalities. \
            Errors are RFC 9457 problem+json; updates need If-Match with the ETag read.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign-in, tokens, the current user"),
        (name = "organizations", description = "Organizations and units (admin)"),
        (name = "users", description = "Staff accounts (admin)"),
        (name = "households", description = "Households, members and tenancies (social services)"),
        (name = "cases", description = "Cases, their workflow, notes and interventions (social services)"),
        (name = "persons", description = "Person search by personnummer; a data subject's access extract (GDPR art. 15)"),
        (name = "integrations", description = "Integration clients, landlord and Kronofogden submissions, receipts"),
        (name = "notices", description = "The notice ledger and legal deadlines (JB 12:44)"),
        (name = "rent-commitments", description = "Rent commitments (förbindelser): draft, four-eyes decision, letter, delivery; the landlord's letters"),
        (name = "consents", description = "Consents (samtycken) per person: scope, method, validity, withdrawal"),
        (name = "audit", description = "The audit trail and the access log"),
        (name = "access-reviews", description = "Access reviews (logguppföljning): review sets per unit, verdicts, sign-off, CSV export for inspections"),
        (name = "statistics", description = "Aggregate series for analysts and the county board, small cells suppressed; JSON or CSV"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.bearer_format = Some("JWT".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
    }
}

/// The document as served at `/openapi.json` and committed as `openapi/openapi.json`.
pub fn spec() -> utoipa::openapi::OpenApi {
    let (_, api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    let mut api = api;
    finish(&mut api);
    api
}

/// What the route table cannot say by itself; applied to the served and the printed document.
pub fn finish(api: &mut utoipa::openapi::OpenApi) {
    errors_as_problem_json(api);
}

/// Error responses are declared `(status = "4XX", body = Problem)` in the handlers; the server
/// sends them as `application/problem+json` (RFC 9457), so that is the media type documented.
fn errors_as_problem_json(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    for item in api.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
        ];
        for op in ops.into_iter().flatten() {
            for (status, response) in op.responses.responses.iter_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                if !(status.starts_with('4') || status.starts_with('5')) {
                    continue;
                }
                if let Some(content) = response.content.shift_remove("application/json") {
                    response
                        .content
                        .insert("application/problem+json".into(), content);
                }
            }
        }
    }
}

/// The document as pretty JSON with a trailing newline.
pub fn spec_json() -> String {
    let mut s = spec().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}

/// (method, path template) of every documented operation, for 405 answers.
pub fn operations(api: &utoipa::openapi::OpenApi) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in &api.paths.paths {
        let value = serde_json::to_value(item).unwrap_or_default();
        if let Some(obj) = value.as_object() {
            for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
                if obj.contains_key(method) {
                    out.push((method.to_uppercase(), path.clone()));
                }
            }
        }
    }
    out
}

/// Whether a concrete path matches a template such as `/api/v1/users/{user_id}`.
pub fn path_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_end_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_concrete_paths() {
        assert!(path_matches("/api/v1/users/{user_id}", "/api/v1/users/abc"));
        assert!(!path_matches("/api/v1/users/{user_id}", "/api/v1/users"));
        assert!(!path_matches("/api/v1/users/{user_id}", "/api/v1/users//"));
        assert!(path_matches("/api/v1/users", "/api/v1/users"));
    }
}
