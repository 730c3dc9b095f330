//! The tables as diesel sees them, written by hand (print-schema would emit backend-specific
//! types). Both migration folders must produce exactly these tables and columns.

diesel::table! {
    organizations (id) {
        id -> Text,
        kind -> Text,
        name -> Text,
        org_number -> Nullable<Text>,
        municipality_code -> Nullable<Text>,
        intake_unit_id -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        county_code -> Nullable<Text>,
        research_sample_days -> Text,
    }
}

diesel::table! {
    units (id) {
        id -> Text,
        organization_id -> Text,
        name -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        rent_commitment_limit -> Nullable<BigInt>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        organization_id -> Text,
        unit_id -> Nullable<Text>,
        status -> Text,
        token_version -> Integer,
        last_login_at -> Nullable<Timestamp>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_type -> Text,
        actor_id -> Nullable<Text>,
        actor_role -> Nullable<Text>,
        actor_unit_id -> Nullable<Text>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Nullable<Text>,
        case_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
        changed_fields -> Text,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
    }
}

diesel::table! {
    audit_pending (event_id) {
        event_id -> BigInt,
    }
}

diesel::table! {
    audit_chain (seq) {
        seq -> BigInt,
        event_id -> BigInt,
        prev_hash -> Text,
        hash -> Text,
        sealed_at -> Timestamp,
    }
}

diesel::table! {
    audit_checkpoints (seq) {
        seq -> BigInt,
        hash -> Text,
        at -> Timestamp,
        key_id -> Text,
        signature -> Text,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> Integer,
        locked_until -> Nullable<Timestamp>,
        last_failure_at -> Timestamp,
    }
}

diesel::table! {
    rate_limits (key) {
        key -> Text,
        tat_us -> BigInt,
        denied -> Bool,
    }
}

diesel::joinable!(units -> organizations (organization_id));
diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(audit_chain -> audit_events (event_id));

diesel::table! {
    persons (id) {
        id -> Text,
        pnr_enc -> Binary,
        pnr_index -> Text,
        name_enc -> Binary,
        birth_year -> Integer,
        protected_identity -> Bool,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        organization_id -> Nullable<Text>,
        needs_review -> Bool,
        birth_day -> Nullable<Integer>,
        erased_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    households (id) {
        id -> Text,
        organization_id -> Text,
        municipality_code -> Text,
        created_by -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        address_enc -> Nullable<Binary>,
        erased_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    household_members (id) {
        id -> Text,
        household_id -> Text,
        person_id -> Text,
        relation -> Text,
        residence -> Nullable<Text>,
        minor_until -> Nullable<Date>,
        created_at -> Timestamp,
        moved_out_on -> Nullable<Date>,
    }
}

diesel::table! {
    tenancies (id) {
        id -> Text,
        household_id -> Text,
        landlord_organization_id -> Text,
        municipality_code -> Text,
        apartment_number -> Text,
        rooms -> Nullable<Integer>,
        size_m2 -> Nullable<Integer>,
        monthly_rent -> BigInt,
        contract_type -> Text,
        start_on -> Nullable<Date>,
        end_on -> Nullable<Date>,
        conversion_months -> Nullable<Integer>,
        conversion_conditions -> Nullable<Text>,
        conversion_review_on -> Nullable<Date>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        address_enc -> Nullable<Binary>,
        converted_on -> Nullable<Date>,
    }
}

diesel::table! {
    cases (id) {
        id -> Text,
        organization_id -> Text,
        unit_id -> Text,
        household_id -> Text,
        tenancy_id -> Nullable<Text>,
        status -> Text,
        legal_stage -> Text,
        risk_level -> Text,
        children_involved -> Bool,
        assigned_to -> Nullable<Text>,
        outcome -> Nullable<Text>,
        homelessness_situation -> Nullable<Integer>,
        closed_at -> Nullable<Timestamp>,
        last_activity_at -> Timestamp,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        next_due_on -> Nullable<Date>,
        escalation_due_on -> Nullable<Date>,
        worklist_key -> Nullable<Text>,
        erased_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    closure_requests (id) {
        id -> Text,
        case_id -> Text,
        requested_by -> Text,
        outcome -> Text,
        homelessness_situation -> Nullable<Integer>,
        status -> Text,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        reason_enc -> Nullable<Binary>,
    }
}

diesel::table! {
    case_closures (id) {
        id -> Text,
        case_id -> Text,
        outcome -> Text,
        homelessness_situation -> Nullable<Integer>,
        closed_at -> Timestamp,
        closed_by -> Nullable<Text>,
        approved_by -> Nullable<Text>,
        closure_request_id -> Nullable<Text>,
        reopened_at -> Nullable<Timestamp>,
        reopened_by -> Nullable<Text>,
        reopen_reason_enc -> Nullable<Binary>,
    }
}

diesel::table! {
    notes (id) {
        id -> Text,
        case_id -> Text,
        author_id -> Text,
        body_enc -> Binary,
        corrects_note_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    interventions (id) {
        id -> Text,
        case_id -> Text,
        kind -> Text,
        status -> Text,
        started_on -> Nullable<Date>,
        ended_on -> Nullable<Date>,
        amount -> Nullable<BigInt>,
        outcome -> Nullable<Text>,
        created_by -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    access_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Text,
        actor_role -> Text,
        operation -> Text,
        subject_type -> Text,
        subject_id -> Text,
        case_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
        decision -> Text,
        actor_unit_id -> Nullable<Text>,
        protected -> Bool,
        list_read -> Bool,
    }
}

diesel::table! {
    access_seals (seq) {
        seq -> BigInt,
        first_id -> BigInt,
        last_id -> BigInt,
        row_count -> BigInt,
        prev_hash -> Text,
        hash -> Text,
        sealed_at -> Timestamp,
    }
}

diesel::joinable!(household_members -> households (household_id));
diesel::joinable!(household_members -> persons (person_id));
diesel::joinable!(cases -> households (household_id));
diesel::joinable!(notes -> cases (case_id));
diesel::joinable!(interventions -> cases (case_id));

diesel::table! {
    rent_commitments (id) {
        id -> Text,
        case_id -> Text,
        organization_id -> Text,
        landlord_organization_id -> Text,
        tenancy_id -> Text,
        amount -> BigInt,
        months_covered -> Integer,
        reason_enc -> Binary,
        status -> Text,
        drafted_by -> Text,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        decision_reason_enc -> Nullable<Binary>,
        number -> Nullable<Text>,
        issued_on -> Nullable<Date>,
        tenant_name_enc -> Nullable<Binary>,
        apartment_ref -> Nullable<Text>,
        delivered_on -> Nullable<Date>,
        delivery_channel -> Nullable<Text>,
        delivery_notice_id -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        disclosure_basis -> Nullable<Text>,
        consent_id -> Nullable<Text>,
        legal_basis_enc -> Nullable<Binary>,
        letter_address_enc -> Nullable<Binary>,
    }
}

diesel::table! {
    consents (id) {
        id -> Text,
        person_id -> Text,
        organization_id -> Text,
        scope -> Text,
        method -> Text,
        given_on -> Date,
        expires_on -> Nullable<Date>,
        note_enc -> Nullable<Binary>,
        withdrawn_on -> Nullable<Date>,
        withdrawn_by -> Nullable<Text>,
        recorded_by -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(consents -> persons (person_id));

diesel::joinable!(rent_commitments -> cases (case_id));

diesel::table! {
    access_reviews (id) {
        id -> Text,
        organization_id -> Text,
        unit_id -> Text,
        period_start -> Date,
        period_end -> Date,
        trigger -> Text,
        seed -> BigInt,
        sample_size -> Integer,
        volume_per_hour -> Integer,
        reads_in_period -> BigInt,
        status -> Text,
        generated_by -> Nullable<Text>,
        generated_at -> Timestamp,
        signed_off_by -> Nullable<Text>,
        signed_off_at -> Nullable<Timestamp>,
        version -> Integer,
    }
}

diesel::table! {
    access_review_entries (id) {
        id -> Text,
        review_id -> Text,
        access_log_id -> BigInt,
        reasons -> Text,
        verdict -> Nullable<Text>,
        comment_enc -> Nullable<Binary>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(access_review_entries -> access_reviews (review_id));
diesel::joinable!(access_review_entries -> access_log (access_log_id));

diesel::allow_tables_to_appear_in_same_query!(
    legal_holds,
    retention_plans,
    retention_plan_clusters,
    retention_plan_approvals,
    erasure_records,
    archive_packages,
    archive_package_clusters,
    stats_facts,
    stats_cells,
    access_reviews,
    access_review_entries,
    rent_commitments,
    consents,
    worklist_sweeps,
    notices,
    deadlines,
    integration_clients,
    idempotency_keys,
    receipts,
    persons,
    households,
    household_members,
    tenancies,
    cases,
    closure_requests,
    case_closures,
    notes,
    interventions,
    access_log,
    organizations,
    units,
    users,
    refresh_tokens,
    audit_events,
    audit_pending,
    audit_chain,
    audit_checkpoints,
    login_throttle,
    rate_limits,
);

diesel::table! {
    notices (id) {
        id -> Text,
        case_id -> Text,
        kind -> Text,
        source -> Text,
        external_ref -> Nullable<Text>,
        arrears_amount -> Nullable<BigInt>,
        amount_to_reinstate -> Nullable<BigInt>,
        apartment_size_m2 -> Nullable<Integer>,
        sent_on -> Nullable<Date>,
        served_on -> Nullable<Date>,
        service_method -> Nullable<Text>,
        received_on -> Nullable<Date>,
        eviction_at -> Nullable<Timestamp>,
        execution_outcome -> Nullable<Text>,
        children_present -> Nullable<Bool>,
        social_services_present -> Nullable<Bool>,
        supersedes -> Nullable<Text>,
        out_of_order -> Bool,
        defect_grade -> Text,
        defects -> Text,
        submitted_by -> Text,
        created_at -> Timestamp,
        amount_paid -> Nullable<BigInt>,
        delivered_on -> Nullable<Date>,
        termination_served -> Nullable<Bool>,
        tenant_consent_given_on -> Nullable<Date>,
        tenant_consent_method -> Nullable<Text>,
        reported_name_enc -> Nullable<Binary>,
        children_registered -> Nullable<Integer>,
        children_not_registered -> Nullable<Integer>,
        kfm_case_enc -> Nullable<Binary>,
        kfm_case_index -> Nullable<Text>,
    }
}

diesel::table! {
    deadlines (id) {
        id -> Text,
        case_id -> Text,
        kind -> Text,
        due_on -> Date,
        alternative_due_on -> Nullable<Date>,
        rule_version -> Text,
        computed_from -> Text,
        status -> Text,
        computed_at -> Timestamp,
        cycle -> Nullable<Integer>,
        provisional -> Bool,
        readings -> Text,
        flags -> Text,
        paid -> Nullable<BigInt>,
    }
}

diesel::table! {
    integration_clients (id) {
        id -> Text,
        client_id -> Text,
        name -> Text,
        organization_id -> Text,
        secret_hash -> Text,
        scopes -> Text,
        status -> Text,
        last_used_at -> Nullable<Timestamp>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (id) {
        id -> Text,
        principal -> Text,
        idem_key -> Text,
        request_hash -> Text,
        response_status -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    receipts (id) {
        id -> Text,
        principal -> Text,
        organization_id -> Text,
        kind -> Text,
        status -> Text,
        reason -> Nullable<Text>,
        notice_id -> Nullable<Text>,
        received_at -> Timestamp,
    }
}

diesel::table! {
    worklist_sweeps (swept_on) {
        swept_on -> Date,
    }
}

diesel::table! {
    stats_facts (case_id, unit_id, figure, month, bucket) {
        case_id -> Text,
        organization_id -> Text,
        unit_id -> Text,
        figure -> Text,
        month -> Date,
        bucket -> Integer,
        value -> BigInt,
    }
}

diesel::table! {
    stats_cells (unit_id, figure, month, bucket) {
        organization_id -> Text,
        unit_id -> Text,
        figure -> Text,
        month -> Date,
        bucket -> Integer,
        value -> BigInt,
    }
}

// Retention, legal holds, archive packages, data keys and key rotation.
include!("schema/lifecycle.rs");
