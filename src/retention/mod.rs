//! Retention (gallring, issue 14): the rules live in `domain::retention`; this module gathers
//! their facts ([`survey`]), stores and approves plans and runs them ([`plan`]), erases clusters
//! ([`erase`]), builds and confirms the research sample's archive packages ([`archive`]), places
//! and releases legal holds ([`holds`]) and wires it all to the CLI ([`cli`]) and the daily job
//! in `serve` ([`daily`]).

pub mod archive;
pub mod cli;
pub mod daily;
pub mod erase;
pub mod holds;
pub mod plan;
pub mod survey;

use chrono::Datelike;
use diesel::prelude::*;

use crate::crypto::subjects::Keyring;
use crate::db::AnyConnection;
use crate::db::schema::persons;
use crate::domain::personnummer::Personnummer;

/// Set the research sample's birth day on persons created before it was stored (migration
/// 000024): decrypts each personnummer once, at start and by `kvar migrate`. Idempotent: only
/// live persons without one are read. Returns how many were set.
pub fn backfill_birth_days(conn: &mut AnyConnection, keyring: &Keyring) -> QueryResult<usize> {
    let rows: Vec<(String, Vec<u8>)> = persons::table
        .filter(persons::birth_day.is_null())
        .filter(persons::erased_at.is_null())
        .select((persons::id, persons::pnr_enc))
        .load(conn)?;
    let mut set = 0;
    for chunk in rows.chunks(500) {
        conn.transaction(|c| {
            for (id, enc) in chunk {
                let Ok(clear) = keyring.open(c, "persons", "pnr", id, enc) else {
                    tracing::warn!(person = %id, "birth day not backfilled: the number does not decrypt");
                    continue;
                };
                let Ok(pnr) = Personnummer::parse(&clear) else {
                    continue;
                };
                diesel::update(persons::table.find(id))
                    .set(persons::birth_day.eq(Some(pnr.birth_date().day() as i32)))
                    .execute(c)?;
                set += 1;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
    }
    Ok(set)
}

/// The shorter retentions of operational rows (issue 14 item 2): submission receipts older than
/// `KVAR_RECEIPT_RETENTION_DAYS`. (Idempotency keys live 7 days and decayed sign-in throttle rows
/// go by the purger in `serve`, see `integrations::idempotency::spawn_purger`.) Returns how many
/// rows went.
pub fn short_retention(
    conn: &mut AnyConnection,
    settings: &crate::config::Settings,
) -> QueryResult<usize> {
    use crate::db::schema::receipts;
    let cutoff = crate::db::types::now()
        - chrono::Duration::days(i64::from(settings.receipt_retention_days));
    let receipts =
        diesel::delete(receipts::table.filter(receipts::received_at.lt(cutoff))).execute(conn)?;
    let idempotency = crate::integrations::idempotency::purge_expired(conn)?;
    let throttle = crate::auth::throttle::purge(conn, crate::db::types::now())?;
    Ok(receipts + idempotency + throttle)
}
