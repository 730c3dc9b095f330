//! Requests and responses of the integration-client API.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::repo::ClientRow;
use crate::db::types;

/// `scopes`: a non-empty list of the four scope names (which fit depends on the organization).
/// A `schema_with` function replaces the field's doc comment, so the description is here.
fn scopes_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let scope = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some([
            "landlord:submit",
            "landlord:receipts",
            "enforcement:submit",
            "enforcement:receipts",
        ]));
    ArrayBuilder::new()
        .items(scope)
        .min_items(Some(1))
        .description(Some(
            "landlord:submit, landlord:receipts (landlords); enforcement:submit, \
             enforcement:receipts (the enforcement authority).",
        ))
        .build()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClientRequest {
    pub organization_id: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub name: String,
    /// Non-empty; which scopes fit depends on the organization's kind (see the schema).
    #[schema(schema_with = scopes_schema)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientResponse {
    pub id: String,
    pub client_id: String,
    pub name: String,
    pub organization_id: String,
    pub scopes: Vec<String>,
    pub status: String,
    pub last_used_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

/// Returned once, at creation and rotation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientSecretResponse {
    #[serde(flatten)]
    pub client: ClientResponse,
    /// Shown once; store it now.
    pub client_secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientList {
    pub items: Vec<ClientResponse>,
    pub next_cursor: Option<String>,
}

impl From<ClientRow> for ClientResponse {
    fn from(c: ClientRow) -> Self {
        ClientResponse {
            scopes: c.scopes(),
            id: c.id,
            client_id: c.client_id,
            name: c.name,
            organization_id: c.organization_id,
            status: c.status.as_str().to_owned(),
            last_used_at: c.last_used_at.map(types::utc),
            version: c.version,
            created_at: types::utc(c.created_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// Always `client_credentials`.
    #[schema(pattern = "^client_credentials$")]
    pub grant_type: String,
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientTokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub scope: String,
}
