//! The least privileges of the application's PostgreSQL role (security table row 21): the
//! migrations run as the owner; `kvar serve` can run as a role that may read and write the
//! business tables but only read and append to the logs, so UPDATE, DELETE and TRUNCATE on
//! them fail for lack of the privilege before the append-only triggers are even asked.

use diesel::connection::SimpleConnection;

use super::AnyConnection;

/// What the application role may do to a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// SELECT, INSERT, UPDATE, DELETE.
    ReadWrite,
    /// SELECT, INSERT: the append-only tables.
    AppendOnly,
    /// SELECT, INSERT, DELETE: the sealer's queue (rows leave it when sealed).
    Queue,
}

/// Every table of the schema and the access the application needs (a test keeps it complete).
pub const TABLES: &[(&str, Access)] = &[
    ("organizations", Access::ReadWrite),
    ("units", Access::ReadWrite),
    ("users", Access::ReadWrite),
    ("refresh_tokens", Access::ReadWrite),
    ("login_throttle", Access::ReadWrite),
    ("rate_limits", Access::ReadWrite),
    ("audit_events", Access::AppendOnly),
    ("audit_pending", Access::Queue),
    ("audit_chain", Access::AppendOnly),
    ("audit_checkpoints", Access::AppendOnly),
    ("persons", Access::ReadWrite),
    ("households", Access::ReadWrite),
    ("household_members", Access::ReadWrite),
    ("tenancies", Access::ReadWrite),
    ("cases", Access::ReadWrite),
    ("closure_requests", Access::ReadWrite),
    ("case_closures", Access::ReadWrite),
    ("worklist_sweeps", Access::ReadWrite),
    ("notes", Access::AppendOnly),
    ("interventions", Access::ReadWrite),
    ("rent_commitments", Access::ReadWrite),
    ("consents", Access::ReadWrite),
    ("access_log", Access::AppendOnly),
    ("access_seals", Access::AppendOnly),
    ("access_reviews", Access::ReadWrite),
    ("access_review_entries", Access::ReadWrite),
    ("notices", Access::AppendOnly),
    ("deadlines", Access::ReadWrite),
    ("integration_clients", Access::ReadWrite),
    ("idempotency_keys", Access::ReadWrite),
    ("receipts", Access::ReadWrite),
    ("stats_facts", Access::ReadWrite),
    ("stats_cells", Access::ReadWrite),
    ("legal_holds", Access::ReadWrite),
    ("retention_plans", Access::ReadWrite),
    ("retention_plan_clusters", Access::ReadWrite),
    ("retention_plan_approvals", Access::ReadWrite),
    // The erasure record outlives the data: the application appends to it only.
    ("erasure_records", Access::AppendOnly),
    ("archive_packages", Access::ReadWrite),
    ("archive_package_clusters", Access::ReadWrite),
    ("data_keys", Access::ReadWrite),
    ("pending_data_steps", Access::ReadWrite),
    ("retired_keys", Access::ReadWrite),
];

/// The statements that give `role` exactly [`TABLES`] (after revoking whatever it had), plus
/// reading the migration ledger and using the identity sequences. `role` must be a plain
/// identifier (letters, digits, underscore), checked here.
pub fn grant_statements(role: &str) -> Result<String, String> {
    let plain = !role.is_empty()
        && role.len() <= 63
        && role.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !role.starts_with(|c: char| c.is_ascii_digit());
    if !plain {
        return Err("--role must be a plain identifier (letters, digits, _)".into());
    }
    let mut sql = format!(
        "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role};\n\
         GRANT USAGE ON SCHEMA public TO {role};\n\
         GRANT SELECT ON __diesel_schema_migrations TO {role};\n\
         GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};\n"
    );
    for (table, access) in TABLES {
        let privileges = match access {
            Access::ReadWrite => "SELECT, INSERT, UPDATE, DELETE",
            Access::AppendOnly => "SELECT, INSERT",
            Access::Queue => "SELECT, INSERT, DELETE",
        };
        sql.push_str(&format!("GRANT {privileges} ON {table} TO {role};\n"));
    }
    Ok(sql)
}

/// Apply [`grant_statements`] (PostgreSQL only; run as the owner of the tables).
pub fn grant(conn: &mut AnyConnection, role: &str) -> Result<(), String> {
    let sql = grant_statements(role)?;
    match conn {
        AnyConnection::Postgresql(c) => c
            .batch_execute(&format!("BEGIN;\n{sql}COMMIT;"))
            .map_err(|e| format!("granting to {role} failed: {e}")),
        AnyConnection::Sqlite(_) => Err(
            "SQLite has no roles: protect the database file instead (the append-only triggers still apply)"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_of_the_schema_has_an_access_row() {
        let schema = [
            include_str!("schema.rs"),
            include_str!("schema/lifecycle.rs"),
        ]
        .concat();
        let mut in_schema: Vec<&str> = schema
            .split("diesel::table! {")
            .skip(1)
            .filter_map(|t| t.split_whitespace().next())
            .collect();
        in_schema.sort_unstable();
        let mut listed: Vec<&str> = TABLES.iter().map(|(t, _)| *t).collect();
        listed.sort_unstable();
        assert_eq!(listed, in_schema);
    }

    #[test]
    fn the_logs_get_no_update_or_delete_and_odd_role_names_are_refused() {
        let sql = grant_statements("kvar_app").expect("sql");
        for log in [
            "audit_events",
            "audit_chain",
            "audit_checkpoints",
            "notes",
            "access_log",
            "access_seals",
            "notices",
        ] {
            assert!(
                sql.contains(&format!("GRANT SELECT, INSERT ON {log} TO kvar_app;")),
                "{log}"
            );
        }
        assert!(!sql.contains("TRUNCATE"));
        for bad in ["", "x; DROP TABLE users", "\"quoted\"", "1abc", "a-b"] {
            assert!(grant_statements(bad).is_err(), "{bad}");
        }
    }
}
