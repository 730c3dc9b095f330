//! Security table row 22: the access log sealed in batches anchored in the audit chain. Verify
//! passes on a clean database; rows written concurrently (some in slow transactions) all end up
//! in exactly one batch; a row altered, deleted or inserted in a sealed range, a broken batch
//! link and a removed batch are each reported with the batch they break.

use diesel::connection::SimpleConnection;
use diesel::{QueryableByName, RunQueryDsl};
use serde_json::Value;

use crate::support::{Backend, TestApp, each_backend};

const COLUMNS: &str = "at, actor_id, actor_role, operation, subject_type, subject_id, case_id, \
                       request_id, decision, actor_unit_id, protected, list_read";

/// The values of one access row (without its id).
fn row(tag: &str, i: usize) -> String {
    format!(
        "'2026-11-29 10:00:00', 'u-{tag}', 'caseworker', 'list_cases', 'case', 'c-{tag}-{i}', \
         'c-{tag}-{i}', 'r-{tag}', 'granted', NULL, false, true"
    )
}

fn values(n: usize, tag: &str) -> String {
    (0..n)
        .map(|i| format!("({})", row(tag, i)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `n` access rows in one statement (as one list page writes them).
fn insert(c: &mut kvar::db::AnyConnection, n: usize, tag: &str) {
    c.batch_execute(&format!(
        "INSERT INTO access_log ({COLUMNS}) VALUES {}",
        values(n, tag)
    ))
    .expect("insert access rows");
}

/// 30 rows in one statement after one skipped id (a write that rolled back), so an insertion
/// into the sealed range has room.
fn after_a_gap(app: &TestApp, c: &mut kvar::db::AnyConnection) {
    match app.backend {
        Backend::Sqlite => {
            let from = scalar(c, "SELECT max(id) AS n FROM access_log") + 2;
            let rows = (0..30)
                .map(|i| format!("({}, {})", from + i as i64, row("two", i)))
                .collect::<Vec<_>>()
                .join(", ");
            c.batch_execute(&format!(
                "INSERT INTO access_log (id, {COLUMNS}) VALUES {rows}"
            ))
            .expect("rows after a gap");
        }
        Backend::Postgres => {
            c.batch_execute(&format!(
                "BEGIN; INSERT INTO access_log ({COLUMNS}) VALUES {}; ROLLBACK;",
                values(1, "rolled-back")
            ))
            .expect("gap");
            insert(c, 30, "two");
        }
    }
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn scalar(c: &mut kvar::db::AnyConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<N>(c).expect(sql).n
}

/// Two sealed batches with a skipped id at the start of the second.
fn two_batches(app: &TestApp) {
    let mut c = app.connect();
    insert(&mut c, 30, "one");
    let v = app.verify();
    assert_eq!(v["ok"], true, "{v}");
    after_a_gap(app, &mut c);
    let v = app.verify();
    assert_eq!(v["ok"], true, "{v}");
    assert!(v["access_log"]["batches"].as_i64() >= Some(2), "{v}");
}

fn unlock(app: &TestApp, c: &mut kvar::db::AnyConnection) {
    let sql = match app.backend {
        Backend::Sqlite => {
            "DROP TRIGGER access_log_no_update; DROP TRIGGER access_log_no_delete; \
             DROP TRIGGER access_seals_no_update; DROP TRIGGER access_seals_no_delete;"
        }
        Backend::Postgres => {
            "ALTER TABLE access_log DISABLE TRIGGER USER; ALTER TABLE access_seals DISABLE TRIGGER USER;"
        }
    };
    c.batch_execute(sql).expect("unlock");
}

fn tamper_and_verify(b: Backend, sql: impl Fn(Backend) -> String) -> Value {
    let app = TestApp::spawn(b);
    two_batches(&app);
    let mut c = app.connect();
    unlock(&app, &mut c);
    let sql = sql(b);
    c.batch_execute(&sql).expect(&sql);
    let v = app.verify();
    assert_eq!(v["ok"], false, "{sql}: {v}");
    v["access_log"].clone()
}

fn fixed(sql: &'static str) -> impl Fn(Backend) -> String {
    move |_| sql.to_owned()
}

#[test]
fn verify_names_the_batch_of_a_row_altered_deleted_or_inserted_and_of_a_broken_link() {
    each_backend(|b| {
        let altered = tamper_and_verify(
            b,
            fixed(
                "UPDATE access_log SET subject_id = 'someone-else' WHERE id = (SELECT first_id + 1 FROM access_seals WHERE seq = 1)",
            ),
        );
        assert_eq!(altered["first_broken_batch"], 1, "{altered}");

        let deleted = tamper_and_verify(
            b,
            fixed(
                "DELETE FROM access_log WHERE id = (SELECT last_id FROM access_seals WHERE seq = 2)",
            ),
        );
        assert_eq!(deleted["first_broken_batch"], 2, "{deleted}");
        assert!(
            deleted["problem"]
                .as_str()
                .unwrap()
                .contains("29 row(s) where 30"),
            "{deleted}"
        );

        // Into the skipped id just before the second batch's first row.
        let inserted = tamper_and_verify(b, |b| {
            let overriding = if b == Backend::Postgres {
                "OVERRIDING SYSTEM VALUE"
            } else {
                ""
            };
            format!(
                "INSERT INTO access_log (id, {COLUMNS}) {overriding} SELECT first_id - 1, \
                 at, actor_id, actor_role, operation, subject_type, subject_id, case_id, request_id, decision, \
                 actor_unit_id, protected, list_read FROM access_log JOIN access_seals ON access_log.id = access_seals.first_id \
                 WHERE access_seals.seq = 2"
            )
        });
        assert_eq!(inserted["first_broken_batch"], 2, "{inserted}");

        let relinked = tamper_and_verify(
            b,
            fixed(
                "UPDATE access_seals SET prev_hash = '1111111111111111111111111111111111111111111111111111111111111111' WHERE seq = 2",
            ),
        );
        assert_eq!(relinked["first_broken_batch"], 2, "{relinked}");
        assert!(
            relinked["problem"].as_str().unwrap().contains("link"),
            "{relinked}"
        );

        let first_removed = tamper_and_verify(b, fixed("DELETE FROM access_seals WHERE seq = 1"));
        assert_eq!(first_removed["first_broken_batch"], 1, "{first_removed}");

        // The last batch removed: verify seals its rows again, but the audit chain already
        // anchors a batch 2 with the old hash.
        let last_removed = tamper_and_verify(b, fixed("DELETE FROM access_seals WHERE seq = 2"));
        assert_eq!(last_removed["first_broken_batch"], 2, "{last_removed}");
    });
}

#[test]
fn rows_written_concurrently_are_all_sealed_exactly_once_and_verify() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        // Two background sealers, as two instances of `kvar serve` would run (the test app runs
        // none of its own).
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let sealers: Vec<_> = (0..2)
            .map(|_| {
                let pool =
                    kvar::db::build_pool(&app.database_url, 3, std::time::Duration::from_secs(15))
                        .expect("pool");
                let db = kvar::db::Db::new(
                    pool,
                    kvar::db::backend_of(&app.database_url).expect("backend"),
                );
                kvar::audit::access_seal::spawn(
                    db,
                    kvar::crypto::Keys::for_tests().audit,
                    stop.clone(),
                )
            })
            .collect();
        // Writers on their own connections meanwhile; on PostgreSQL some hold their transaction
        // open a while after drawing ids, so later ids commit first.
        std::thread::scope(|s| {
            for w in 0..6 {
                let app = &app;
                s.spawn(move || {
                    let mut c = app.connect();
                    if app.backend == Backend::Sqlite {
                        c.batch_execute("PRAGMA busy_timeout = 20000").expect("busy timeout");
                    }
                    for round in 0..15 {
                        let tag = format!("w{w}r{round}");
                        if app.backend == Backend::Postgres && round % 5 == w % 5 {
                            c.batch_execute(&format!(
                                "BEGIN; INSERT INTO access_log ({COLUMNS}) VALUES {}; SELECT pg_sleep(0.7); COMMIT;",
                                values(40, &tag)
                            ))
                            .expect("slow insert");
                        } else {
                            insert(&mut c, 40, &tag);
                        }
                        std::thread::sleep(std::time::Duration::from_millis(50));
                    }
                });
            }
        });
        let mut c = app.connect();
        let total = scalar(&mut c, "SELECT count(*) AS n FROM access_log");
        assert_eq!(total, 6 * 15 * 40);
        // The background sealers catch up within the bound (5 s), without verify's help.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let sealed = scalar(
                &mut c,
                "SELECT CAST(COALESCE(SUM(row_count), 0) AS BIGINT) AS n FROM access_seals",
            );
            if sealed == total {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{sealed} of {total} sealed"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for s in sealers {
            s.join().expect("sealer");
        }
        // Every row lies in exactly one batch: ranges follow each other, counts match.
        let overlaps = scalar(
            &mut c,
            "SELECT count(*) AS n FROM access_seals a JOIN access_seals b ON b.seq = a.seq + 1 \
             WHERE b.first_id <= a.last_id",
        );
        assert_eq!(overlaps, 0);
        let miscounted = scalar(
            &mut c,
            "SELECT count(*) AS n FROM access_seals s WHERE s.row_count <> \
             (SELECT count(*) FROM access_log l WHERE l.id BETWEEN s.first_id AND s.last_id)",
        );
        assert_eq!(miscounted, 0);
        let outside = scalar(
            &mut c,
            "SELECT count(*) AS n FROM access_log l WHERE NOT EXISTS \
             (SELECT 1 FROM access_seals s WHERE l.id BETWEEN s.first_id AND s.last_id)",
        );
        assert_eq!(outside, 0);
        let v = app.verify();
        assert_eq!(v["ok"], true, "{v}");
        assert_eq!(v["access_log"]["rows"], total, "{v}");
        assert_eq!(v["access_log"]["unsealed_overdue"], 0, "{v}");
    });
}

/// A migrated database no app serves (so no background sealer races the measurement), and
/// what drops it.
fn bare_database(b: Backend, dir: &std::path::Path) -> (kvar::db::AnyConnection, Option<String>) {
    use diesel::Connection;
    let mut c = match b {
        Backend::Sqlite => kvar::db::AnyConnection::Sqlite(
            diesel::SqliteConnection::establish(&dir.join("seal.db").display().to_string())
                .expect("sqlite"),
        ),
        Backend::Postgres => {
            let admin = std::env::var("KVAR_TEST_POSTGRES_URL").expect("postgres url");
            let name = format!("kvar_seal_{}", uuid::Uuid::now_v7().simple());
            let mut a = diesel::PgConnection::establish(&admin).expect("postgres");
            a.batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create database");
            let (base, _) = admin.rsplit_once('/').expect("database in url");
            let c = kvar::db::AnyConnection::Postgresql(
                diesel::PgConnection::establish(&format!("{base}/{name}")).expect("connect"),
            );
            return (migrated(c), Some(name));
        }
    };
    c.batch_execute("PRAGMA journal_mode = WAL").expect("wal");
    (migrated(c), None)
}

fn migrated(mut c: kvar::db::AnyConnection) -> kvar::db::AnyConnection {
    kvar::db::run_migrations(&mut c).expect("migrations");
    c
}

/// The seal's throughput (rows/s), set-based: `KVAR_SEAL_ROWS` rows (default 200,000) written
/// in pages of 500, then sealed on one connection (as verify and the background sealer do, in
/// batches of 20,000). A measurement, not run by default:
/// `KVAR_TEST_POSTGRES_URL=… cargo test --test api -- --ignored access_seal_throughput --nocapture`
#[test]
#[ignore = "a throughput measurement, not a pass/fail test: run with --ignored (README, access-log sealing)"]
fn access_seal_throughput() {
    use diesel::Connection;
    let rows: usize = std::env::var("KVAR_SEAL_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    each_backend(|b| {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut c, pg_name) = bare_database(b, dir.path());
        let started = std::time::Instant::now();
        for page in 0..rows / 500 {
            insert(&mut c, 500, &format!("p{page}"));
        }
        let written = started.elapsed();
        let key = kvar::crypto::Keys::for_tests().audit;
        let t0 = std::time::Instant::now();
        let sealed = kvar::audit::access_seal::seal_all(&mut c, &key).expect("seal");
        let took = t0.elapsed();
        let total = scalar(&mut c, "SELECT count(*) AS n FROM access_log");
        assert_eq!(sealed as i64, total);
        let t1 = std::time::Instant::now();
        let report = kvar::audit::access_verify::verify(&mut c, &key).expect("verify");
        assert!(report.ok, "{report:?}");
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        eprintln!(
            "{b:?}: {total} rows written in {written:.1?}; sealed in {took:.1?} = {:.0} rows/s; \
             verified in {:.1?}; load average {}",
            sealed as f64 / took.as_secs_f64(),
            t1.elapsed(),
            load.trim()
        );
        drop(c);
        if let Some(name) = pg_name {
            let admin = std::env::var("KVAR_TEST_POSTGRES_URL").expect("postgres url");
            let mut a = diesel::PgConnection::establish(&admin).expect("postgres");
            a.batch_execute(&format!("DROP DATABASE {name}"))
                .expect("drop");
        }
    });
}
