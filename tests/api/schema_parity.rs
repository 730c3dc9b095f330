//! Both migration sets produce exactly the tables and columns of schema.rs.

use std::collections::BTreeSet;

use diesel::RunQueryDsl;

use crate::support::{Backend, TestApp, backends};

/// (table, column) pairs declared in src/db/schema.rs.
fn declared() -> BTreeSet<(String, String)> {
    let src = ["/src/db/schema.rs", "/src/db/schema/lifecycle.rs"]
        .iter()
        .map(|f| {
            std::fs::read_to_string(format!("{}{f}", env!("CARGO_MANIFEST_DIR"))).expect("schema")
        })
        .collect::<String>();
    let mut out = BTreeSet::new();
    let mut table: Option<String> = None;
    for line in src.lines().map(str::trim) {
        if let Some(rest) = line.strip_suffix('{') {
            let name = rest.split_whitespace().next().unwrap_or("");
            if rest.contains('(') {
                table = Some(name.to_owned());
            }
        } else if line == "}" {
            table = None;
        } else if let (Some(t), Some((col, _))) = (&table, line.split_once(" -> ")) {
            out.insert((t.clone(), col.trim().to_owned()));
        }
    }
    out
}

#[derive(diesel::QueryableByName)]
struct Col {
    #[diesel(sql_type = diesel::sql_types::Text)]
    t: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    c: String,
}

fn actual(app: &TestApp) -> BTreeSet<(String, String)> {
    let sql = match app.backend {
        Backend::Sqlite => {
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name != '__diesel_schema_migrations'"
        }
        Backend::Postgres => {
            "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name != '__diesel_schema_migrations'"
        }
    };
    let mut conn = app.connect();
    diesel::sql_query(sql)
        .load::<Col>(&mut conn)
        .expect("columns")
        .into_iter()
        .map(|r| (r.t, r.c))
        .collect()
}

#[test]
fn both_migration_sets_give_the_tables_and_columns_of_schema_rs() {
    let declared = declared();
    assert!(
        declared.len() > 40,
        "the schema.rs parser found {} columns",
        declared.len()
    );
    for b in backends() {
        let app = TestApp::spawn(b);
        assert_eq!(
            actual(&app),
            declared,
            "{b:?} migrations differ from schema.rs"
        );
    }
}
