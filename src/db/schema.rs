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
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
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

diesel::joinable!(units -> organizations (organization_id));
diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(audit_chain -> audit_events (event_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    units,
    users,
    refresh_tokens,
    audit_events,
    audit_pending,
    audit_chain,
);
