//! Who submits to the integration API: a machine client (token audience `kvar-integration`,
//! checked for the operation's scope) or a landlord user (staff token, checked against the
//! policy table). Staff tokens of other roles get 403; client tokens are refused on the staff
//! API by audience.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use crate::audit::Actor;
use crate::auth::policy::{Authorized, OperationMarker, client_scope};
use crate::auth::principal::{bearer, rejected};
use crate::auth::tokens::INTEGRATION_AUDIENCE;
use crate::error::ApiError;
use crate::http::context;
use crate::state::AppState;

/// The submitting party.
#[derive(Debug, Clone)]
pub struct Submitter {
    /// `client:<id>` or `user:<id>`: idempotency keys and receipts are scoped by it.
    pub key: String,
    pub organization_id: String,
    pub actor: Actor,
}

/// A submitter allowed to perform `O`.
pub struct Submits<O>(pub Submitter, PhantomData<O>);

impl<O: OperationMarker + 'static> FromRequest for Submits<O> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let client_claims = state
            .as_ref()
            .zip(bearer(req))
            .and_then(|(s, t)| s.tokens.check_for(&t, INTEGRATION_AUDIENCE));
        let staff = client_claims
            .is_none()
            .then(|| Authorized::<O>::from_request(req, payload));
        Box::pin(async move {
            if let Some(staff) = staff {
                let who = staff.await?.into_grant().into_principal();
                return Ok(Submits(
                    Submitter {
                        key: format!("user:{}", who.user_id),
                        organization_id: who.organization_id.clone(),
                        actor: who.actor(),
                    },
                    PhantomData,
                ));
            }
            let (state, claims) = state.zip(client_claims).ok_or(ApiError::Unauthorized)?;
            let (sub, tv) = (claims.sub.clone(), claims.tv);
            let client = state
                .db
                .run(move |conn| Ok(super::clients::active_client(conn, &sub, tv)?))
                .await?
                .ok_or_else(|| rejected("unknown_or_stale_client", None))?;
            let needed = client_scope(O::OP).ok_or(ApiError::Forbidden)?;
            if !client.scopes().iter().any(|s| s == needed) {
                return Err(ApiError::Forbidden);
            }
            let actor = Actor {
                kind: "client",
                id: Some(client.id.clone()),
                role: None,
                unit_id: None,
                request_id: Some(context::request_id()),
            };
            Ok(Submits(
                Submitter {
                    key: format!("client:{}", client.id),
                    organization_id: client.organization_id,
                    actor,
                },
                PhantomData,
            ))
        })
    }
}
