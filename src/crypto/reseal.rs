//! The data step of migration 000023 (issue 14): every field written before per-subject data
//! keys (sealed directly under the master key, format byte 1) is opened with the master key and
//! sealed again under its subject's data key. One transaction for the whole step, so a crash
//! leaves either the old database or the new one; the step's row in `pending_data_steps` goes
//! in the same transaction (run again at the next start until it is gone).
//!
//! `notes` and `notices` are append-only: the step lifts their no-update rule for its own
//! statements only (PostgreSQL: `ALTER TABLE … DISABLE TRIGGER`, which needs the tables' owner,
//! so this step runs where the migrations run; SQLite: the trigger is dropped and created again
//! exactly as migration 000002/000003 made it), inside the transaction, and records itself as
//! one `data_keys.sealed` audit event. The app role's grants are not touched.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::field::CURRENT_KEY_VERSION;
use super::subjects::{Keyring, SealError, Subject, SubjectKind};
use crate::audit::{self, Actor, AuditAction, Changes, NewEvent};
use crate::db::schema::{
    access_review_entries, access_reviews, consents, notes, notices, pending_data_steps, persons,
    rent_commitments,
};
use crate::db::{AnyConnection, Tx, write_tx};

/// The name of this step in `pending_data_steps`.
pub const STEP: &str = "seal_under_data_keys";

/// Rows read per query.
const BATCH: i64 = 2_000;

/// One stored field: its row, its subject, its blob (if any).
type Field = (String, String, Option<Vec<u8>>);

/// Open a legacy blob with the master key and seal it under `subject`'s key; `None` when the
/// blob is already sealed under a data key (or absent).
fn reseal(
    tx: &mut Tx<'_>,
    ring: &Keyring,
    kind: SubjectKind,
    (table, column): (&str, &str),
    (row, subject, blob): &Field,
) -> Result<Option<Vec<u8>>, SealError> {
    let Some(blob) = blob else { return Ok(None) };
    if blob.first() != Some(&CURRENT_KEY_VERSION) {
        return Ok(None);
    }
    let clear = ring.master().decrypt_str(table, column, row, blob)?;
    let subject = Subject { kind, id: subject };
    Ok(Some(ring.seal(tx, subject, table, column, row, &clear)?))
}

/// Page through one column, keyset by row id, resealing what is legacy.
macro_rules! column {
    ($tx:expr, $ring:expr, $kind:expr, $t:ident, $subject:expr, $col:ident, $value:expr, $n:expr) => {{
        let mut after = String::new();
        loop {
            let rows: Vec<Field> = $t::table
                .filter($t::id.gt(&after))
                .order($t::id)
                .limit(BATCH)
                .select(($t::id, $subject, $value))
                .load(&mut **$tx)?;
            let Some(last) = rows.last() else { break };
            after = last.0.clone();
            for f in &rows {
                let at = (stringify!($t), stringify!($col).trim_end_matches("_enc"));
                if let Some(sealed) = reseal($tx, $ring, $kind, at, f)? {
                    diesel::update($t::table.find(&f.0))
                        .set($t::$col.eq(sealed))
                        .execute(&mut **$tx)?;
                    $n += 1;
                }
            }
        }
    }};
}

fn lift_no_update(tx: &mut Tx<'_>, lift: bool) -> QueryResult<()> {
    let sql = match &mut **tx {
        AnyConnection::Postgresql(_) => {
            let verb = if lift { "DISABLE" } else { "ENABLE" };
            format!(
                "ALTER TABLE notes {verb} TRIGGER notes_append_only;\n\
                 ALTER TABLE notices {verb} TRIGGER notices_append_only;"
            )
        }
        AnyConnection::Sqlite(_) if lift => {
            "DROP TRIGGER notes_no_update;\nDROP TRIGGER notices_no_update;".to_owned()
        }
        AnyConnection::Sqlite(_) => ["notes", "notices"]
            .iter()
            .map(|t| {
                format!(
                    "CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t}\n\
                     BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END;\n"
                )
            })
            .collect(),
    };
    match &mut **tx {
        AnyConnection::Postgresql(c) => c.batch_execute(&sql),
        AnyConnection::Sqlite(c) => c.batch_execute(&sql),
    }
}

/// Reseal everything (if the step is pending); returns the number of fields resealed.
pub fn run(conn: &mut AnyConnection, ring: &Keyring) -> Result<usize, SealError> {
    let pending: i64 = pending_data_steps::table
        .filter(pending_data_steps::name.eq(STEP))
        .count()
        .get_result(conn)?;
    if pending == 0 {
        return Ok(0);
    }
    write_tx(conn, |tx| {
        let mut n = 0usize;
        let (p, c, o) = (
            SubjectKind::Person,
            SubjectKind::Case,
            SubjectKind::Organization,
        );
        column!(
            tx,
            ring,
            p,
            persons,
            persons::id,
            pnr_enc,
            persons::pnr_enc.nullable(),
            n
        );
        column!(
            tx,
            ring,
            p,
            persons,
            persons::id,
            name_enc,
            persons::name_enc.nullable(),
            n
        );
        column!(
            tx,
            ring,
            p,
            consents,
            consents::person_id,
            note_enc,
            consents::note_enc,
            n
        );
        let rc = (
            rent_commitments::case_id,
            rent_commitments::reason_enc.nullable(),
        );
        column!(tx, ring, c, rent_commitments, rc.0, reason_enc, rc.1, n);
        for_rent_commitments(tx, ring, &mut n)?;
        let review_org = access_reviews::table
            .filter(access_reviews::id.eq(access_review_entries::review_id))
            .select(access_reviews::organization_id)
            .single_value()
            .assume_not_null();
        let comment = access_review_entries::comment_enc;
        column!(
            tx,
            ring,
            o,
            access_review_entries,
            review_org,
            comment_enc,
            comment,
            n
        );
        lift_no_update(tx, true)?;
        column!(
            tx,
            ring,
            c,
            notes,
            notes::case_id,
            body_enc,
            notes::body_enc.nullable(),
            n
        );
        let name = notices::reported_name_enc;
        column!(
            tx,
            ring,
            c,
            notices,
            notices::case_id,
            reported_name_enc,
            name,
            n
        );
        lift_no_update(tx, false)?;
        diesel::delete(pending_data_steps::table.find(STEP)).execute(&mut **tx)?;
        if n == 0 {
            return Ok(0); // a new database: nothing was sealed before
        }
        audit::record(
            tx,
            NewEvent {
                actor: &Actor::system(),
                action: AuditAction::DataKeysSealed,
                entity_type: "database",
                entity_id: None,
                case_id: None,
                changes: Changes::new().created("fields_resealed", n as i64),
            },
        )?;
        Ok(n)
    })
}

fn for_rent_commitments(tx: &mut Tx<'_>, ring: &Keyring, n: &mut usize) -> Result<(), SealError> {
    let c = SubjectKind::Case;
    let case = rent_commitments::case_id;
    let d = rent_commitments::decision_reason_enc;
    column!(
        tx,
        ring,
        c,
        rent_commitments,
        case,
        decision_reason_enc,
        d,
        *n
    );
    let t = rent_commitments::tenant_name_enc;
    column!(tx, ring, c, rent_commitments, case, tenant_name_enc, t, *n);
    let l = rent_commitments::legal_basis_enc;
    column!(tx, ring, c, rent_commitments, case, legal_basis_enc, l, *n);
    Ok(())
}
