//! The integration-client row and its queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::policy::Grant;
use crate::auth::scope;
use crate::db::AnyConnection;
use crate::db::schema::integration_clients;
use crate::domain::states::ClientStatus;
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = integration_clients)]
pub struct ClientRow {
    pub id: String,
    pub client_id: String,
    pub name: String,
    pub organization_id: String,
    pub secret_hash: String,
    pub scopes: String,
    pub status: ClientStatus,
    pub last_used_at: Option<NaiveDateTime>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ClientRow {
    /// The stored scopes. A row whose scopes are not a JSON list is corrupt: it is logged and
    /// holds no scope (fails closed: every scoped call is refused).
    pub fn scopes(&self) -> Vec<String> {
        serde_json::from_str(&self.scopes).unwrap_or_else(|e| {
            tracing::error!(client = %self.id, error = %e, "integration_client.scopes_corrupt");
            Vec::new()
        })
    }
}

/// A client by id.
pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<ClientRow> {
    integration_clients::table
        .find(id)
        .select(ClientRow::as_select())
        .first(conn)
}

/// A client in the grant's organizations ([`scope::organization_filter`]); 404 otherwise.
pub fn find_scoped(conn: &mut AnyConnection, id: &str, who: &Grant) -> Result<ClientRow, ApiError> {
    let row = find(conn, id)?;
    match scope::organization_filter(who) {
        Some(org) if org != row.organization_id => Err(ApiError::NotFound),
        _ => Ok(row),
    }
}

/// An active client by the `sub` of its token, if the token's version is current.
pub fn active_client(
    conn: &mut AnyConnection,
    client_id: &str,
    version: i32,
) -> QueryResult<Option<ClientRow>> {
    Ok(integration_clients::table
        .filter(integration_clients::client_id.eq(client_id))
        .select(ClientRow::as_select())
        .first::<ClientRow>(conn)
        .optional()?
        .filter(|c| c.status == ClientStatus::Active && c.version == version))
}
