//! The one route table, used by the server and by `openapi::spec()`. Handlers are registered
//! with `.service(...)` in `utoipa_actix_web` scopes so each is in the OpenAPI document.

use utoipa_actix_web::service_config::ServiceConfig;

use crate::{audit, auth, health, organizations, users};

/// Every documented route.
pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(health::health_live)
        .service(health::health_ready)
        .service(health::get_metrics)
        .service(
            utoipa_actix_web::scope("/api/v1")
                .service(auth::handlers::login)
                .service(auth::handlers::refresh_token)
                .service(auth::handlers::logout)
                .service(auth::handlers::get_me)
                .service(organizations::handlers::create_organization)
                .service(organizations::handlers::list_organizations)
                .service(organizations::handlers::get_organization)
                .service(organizations::handlers::create_unit)
                .service(organizations::handlers::list_units)
                .service(users::handlers::create_user)
                .service(users::handlers::list_users)
                .service(users::handlers::get_user)
                .service(users::handlers::update_user)
                .service(audit::handlers::verify_audit),
        );
}
