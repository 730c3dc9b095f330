// The tables of the data lifecycle (issue 14): retention, legal holds, archive packages, data keys,
// pending data steps and retired keys. Included into `schema.rs` (one module for diesel).

diesel::table! {
    legal_holds (id) {
        id -> Text,
        case_id -> Text,
        organization_id -> Text,
        reason_enc -> Nullable<Binary>,
        review_on -> Date,
        placed_by -> Text,
        placed_at -> Timestamp,
        released_by -> Nullable<Text>,
        released_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    retention_plans (id) {
        id -> Text,
        as_of -> Date,
        years -> Integer,
        planned_by -> Text,
        created_at -> Timestamp,
        executed_at -> Nullable<Timestamp>,
        summary -> Text,
    }
}

diesel::table! {
    retention_plan_clusters (plan_id, cluster_key) {
        plan_id -> Text,
        cluster_key -> Text,
        organization_id -> Text,
        rule -> Text,
        persons -> Integer,
        households -> Integer,
        cases -> Integer,
    }
}

diesel::table! {
    retention_plan_approvals (plan_id, organization_id) {
        plan_id -> Text,
        organization_id -> Text,
        approved_by -> Text,
        approved_at -> Timestamp,
    }
}

diesel::table! {
    erasure_records (id) {
        id -> Text,
        plan_id -> Text,
        executed_at -> Timestamp,
        as_of -> Date,
        organization_id -> Text,
        rule -> Text,
        clusters -> Integer,
        persons -> Integer,
        households -> Integer,
        cases -> Integer,
        planned_by -> Text,
        approved_by -> Text,
    }
}

diesel::table! {
    archive_packages (id) {
        id -> Text,
        created_at -> Timestamp,
        manifest_sha256 -> Text,
        clusters -> Integer,
        confirmed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    archive_package_clusters (package_id, cluster_key) {
        package_id -> Text,
        cluster_key -> Text,
    }
}

diesel::joinable!(archive_package_clusters -> archive_packages (package_id));

diesel::table! {
    data_keys (subject_id) {
        subject_id -> Text,
        subject_type -> Text,
        master_version -> Integer,
        wrapped -> Nullable<Binary>,
        created_at -> Timestamp,
        destroyed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    pending_data_steps (name) {
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    retired_keys (kind, version) {
        kind -> Text,
        version -> Integer,
        retired_at -> Timestamp,
    }
}
