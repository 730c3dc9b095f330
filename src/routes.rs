//! The one route table, used by the server and by `openapi::spec()`. Handlers are registered
//! with `.service(...)` in `utoipa_actix_web` scopes so each is in the OpenAPI document.

use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    audit, auth, cases, consents, health, households, integrations, notices, organizations,
    persons, rent_commitments, users, worklist,
};

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
                .service(audit::handlers::verify_audit)
                .service(audit::handlers::list_audit_checkpoints)
                .service(cases::handlers::list_audit_events)
                .service(households::handlers::create_household)
                .service(households::handlers::get_household)
                .service(households::handlers::create_tenancy)
                .service(households::handlers::create_household_member)
                .service(households::handlers::update_household_member)
                .service(households::handlers::get_tenancy)
                .service(households::handlers::list_household_tenancies)
                .service(households::handlers::update_tenancy)
                .service(cases::handlers::create_case)
                .service(cases::handlers::list_cases)
                .service(cases::handlers::get_case)
                .service(cases::handlers::update_case)
                .service(cases::handlers::transition_case)
                .service(cases::handlers::decide_closure)
                .service(cases::handlers::create_note)
                .service(cases::handlers::list_notes)
                .service(cases::handlers::create_intervention)
                .service(cases::handlers::list_interventions)
                .service(cases::handlers::get_case_history)
                .service(cases::handlers::get_case_access_log)
                .service(persons::handlers::search_persons)
                .service(notices::handlers::create_notice)
                .service(notices::handlers::list_notices)
                .service(notices::handlers::list_deadlines)
                .service(worklist::handlers::get_worklist)
                .service(integrations::handlers::create_integration_client)
                .service(integrations::handlers::list_integration_clients)
                .service(integrations::handlers::rotate_integration_client)
                .service(integrations::handlers::revoke_integration_client)
                .service(integrations::handlers::issue_client_token)
                .service(integrations::handlers::submit_enforcement_event)
                .service(integrations::handlers::submit_enforcement_events)
                .service(integrations::handlers::submit_arrears_report)
                .service(integrations::handlers::submit_landlord_notice)
                .service(integrations::handlers::list_landlord_receipts)
                .service(integrations::handlers::get_landlord_receipt)
                .service(integrations::handlers::list_enforcement_receipts)
                .service(integrations::handlers::get_enforcement_receipt)
                .service(rent_commitments::handlers::create_rent_commitment)
                .service(rent_commitments::handlers::list_rent_commitments)
                .service(rent_commitments::handlers::decide_rent_commitment)
                .service(rent_commitments::handlers::get_rent_commitment_letter)
                .service(rent_commitments::handlers::deliver_rent_commitment)
                .service(rent_commitments::handlers::list_landlord_rent_commitments)
                .service(consents::handlers::create_consent)
                .service(consents::handlers::withdraw_consent)
                .service(consents::handlers::list_case_consents),
        );
}
