//! Case notes (journalanteckningar): append-only, bodies encrypted; a correction is a new note
//! that names the note it corrects.
//!
//! Shape: a sub-resource of a case in one file, not the handlers/service/repo/dto split of a
//! resource module: its handlers are the case's (`cases::handlers`), its scope is the case's
//! (`cases::service::visible_or_404`), and what is left (two DTOs, one row, two service
//! functions with their two queries) is under 200 lines that read top to bottom. It gets the
//! split when it grows a layer of its own (a second query per function, rules beyond length).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{audit_case, visible_for_write, visible_or_404};
use crate::audit::AuditAction;
use crate::audit::Changes;
use crate::audit::access::{self, Access};
use crate::auth::policy::{Authorized, ops};
use crate::crypto::subjects::Subject;
use crate::db::schema::notes;
use crate::db::types;
use crate::error::ApiError;
use crate::pagination::{Cursor, Page};
use crate::state::AppState;

pub const MAX_BODY_CHARS: usize = 20_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNoteRequest {
    #[schema(
        min_length = 1,
        max_length = 20000,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub body: String,
    /// The note this one corrects (notes are never edited).
    pub corrects: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteResponse {
    pub id: String,
    pub case_id: String,
    pub author_id: String,
    pub body: String,
    pub corrects: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteList {
    pub items: Vec<NoteResponse>,
    pub next_cursor: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = notes)]
struct NoteRow {
    id: String,
    case_id: String,
    author_id: String,
    body_enc: Vec<u8>,
    corrects_note_id: Option<String>,
    created_at: NaiveDateTime,
}

fn decrypt(
    st: &AppState,
    conn: &mut crate::db::AnyConnection,
    n: NoteRow,
) -> Result<NoteResponse, ApiError> {
    let body = st
        .keyring
        .open(conn, "notes", "body", &n.id, &n.body_enc)
        .map_err(|e| e.about(format_args!("note {}", n.id)))?;
    Ok(NoteResponse {
        id: n.id,
        case_id: n.case_id,
        author_id: n.author_id,
        body,
        corrects: n.corrects_note_id,
        created_at: types::utc(n.created_at),
    })
}

/// `POST /cases/{id}/notes`.
pub async fn create(
    state: &AppState,
    who: Authorized<ops::CreateNote>,
    case_id: String,
    req: CreateNoteRequest,
) -> Result<NoteResponse, ApiError> {
    if req.body.trim().is_empty() || req.body.chars().count() > MAX_BODY_CHARS {
        return Err(ApiError::field("body", "must be 1–20000 characters"));
    }
    let st = state.clone();
    let grant = who.clone();
    super::service::scoped_write(state, &grant, move |tx| {
        let case = visible_for_write(tx, &who, &case_id)?;
        if let Some(c) = &req.corrects {
            let found: i64 = notes::table
                .filter(notes::id.eq(c))
                .filter(notes::case_id.eq(&case.id))
                .count()
                .get_result(&mut **tx)?;
            if found == 0 {
                return Err(ApiError::field("corrects", "no such note on this case"));
            }
        }
        let id = types::new_id();
        let now = types::now();
        diesel::insert_into(notes::table)
            .values((
                notes::id.eq(&id),
                notes::case_id.eq(&case.id),
                notes::author_id.eq(&who.user_id),
                notes::body_enc.eq(st.keyring.seal(
                    tx,
                    Subject::case(&case.id),
                    "notes",
                    "body",
                    &id,
                    &req.body,
                )?),
                notes::corrects_note_id.eq(&req.corrects),
                notes::created_at.eq(now),
            ))
            .execute(&mut **tx)?;
        super::repo::touch(tx, &case.id, now)?;
        let changes = Changes::new()
            .created("corrects", req.corrects.clone())
            .secret("body", true);
        audit_case(
            tx,
            &who,
            AuditAction::NoteCreate,
            &case.id,
            ("note", &id),
            changes,
        )?;
        Ok(NoteResponse {
            id,
            case_id: case.id,
            author_id: who.user_id.clone(),
            body: req.body,
            corrects: req.corrects,
            created_at: types::utc(now),
        })
    })
    .await
}

/// `GET /cases/{id}/notes`: oldest first; each note shown is logged.
pub async fn list(
    state: &AppState,
    who: Authorized<ops::ListNotes>,
    case_id: String,
    page: Page,
) -> Result<NoteList, ApiError> {
    let (limit, after) = page.parse()?;
    let st = state.clone();
    state
        .db
        .run(move |conn| {
            let case = visible_or_404(conn, &who, &case_id)?;
            let mut q = notes::table
                .filter(notes::case_id.eq(&case.id))
                .select(NoteRow::as_select())
                .into_boxed();
            if let Some(a) = after {
                q = q.filter(notes::id.gt(a));
            }
            let mut rows: Vec<NoteRow> = q.order(notes::id).limit(limit + 1).load(conn)?;
            let next = Cursor::next(&mut rows, limit, |n| n.id.clone());
            let logged: Vec<Access<'_>> = rows
                .iter()
                .map(|n| Access {
                    subject_type: "note",
                    subject_id: &n.id,
                    case_id: Some(&case.id),
                })
                .collect();
            access::granted(conn, &who, who.operation_id(), &logged)?;
            let items = rows
                .into_iter()
                .map(|n| decrypt(&st, conn, n))
                .collect::<Result<_, _>>()?;
            Ok(NoteList {
                items,
                next_cursor: next,
            })
        })
        .await
}
