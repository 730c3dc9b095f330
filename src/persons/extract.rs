//! `POST /persons/access-extract`: the access-log part of a data subject's request for access
//! (GDPR art. 15), for auditors. Every granted read of the person's data by a user of the
//! auditor's organization: reads of the person as a subject at any time, and reads logged
//! against the cases, household and tenancies of a household while the person was a member of
//! it (from joining to the end of the moving-out day). Rows naming another person of the same
//! household are left out (their data, not this person's). Denied reads disclosed nothing and
//! are not listed. The rest of an art. 15 answer is assembled by staff (README).

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::repo;
use crate::audit::access::{self, Access};
use crate::audit::{self, AuditAction, Changes, NewEvent};
use crate::auth::policy::{Authorized, ops};
use crate::db::schema::{access_log, cases, household_members, households, tenancies, users};
use crate::db::{AnyConnection, MultiBackend, types};
use crate::domain::personnummer::Personnummer;
use crate::domain::sweden;
use crate::error::ApiError;
use crate::http::csv::Csv;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessExtractRequest {
    /// In any common form; sent in the body, never the URL, and never logged.
    pub personnummer: String,
}

/// One read of the person's data.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessExtractEntry {
    pub access_log_id: i64,
    pub at: DateTime<Utc>,
    /// The reader's role and unit at the time (the reader's identity is not part of it).
    pub actor_role: String,
    pub actor_unit_id: Option<String>,
    pub operation: String,
    /// What was read: `person`, `case`, `household`, `tenancy`, `note`, ….
    pub subject_type: String,
    pub case_id: Option<String>,
}

/// Every read of the person's data, oldest first; empty when the organization has no such
/// person.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessExtractResponse {
    pub person_id: Option<String>,
    pub generated_at: DateTime<Utc>,
    pub items: Vec<AccessExtractEntry>,
}

/// The format the caller asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    fn as_str(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv",
        }
    }
}

type Row = (
    i64,
    NaiveDateTime,
    String,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
);

/// A household the person belonged to in the organization, and when.
struct Membership {
    household_id: String,
    from: NaiveDateTime,
    until: Option<NaiveDateTime>,
}

fn memberships(
    conn: &mut AnyConnection,
    person_id: &str,
    organization_id: &str,
) -> QueryResult<Vec<Membership>> {
    let rows: Vec<(String, NaiveDateTime, Option<chrono::NaiveDate>)> = household_members::table
        .inner_join(households::table)
        .filter(household_members::person_id.eq(person_id))
        .filter(households::organization_id.eq(organization_id))
        .select((
            household_members::household_id,
            household_members::created_at,
            household_members::moved_out_on,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(household_id, from, out)| Membership {
            household_id,
            from,
            until: out.map(|d| sweden::start_of_day_utc(d + TimeDelta::days(1))),
        })
        .collect())
}

/// The granted reads by users of `organization_id` of the person, and of their households'
/// cases, household and tenancies during each membership.
fn reads(
    conn: &mut AnyConnection,
    person_id: &str,
    organization_id: &str,
    memberships: &[Membership],
) -> QueryResult<Vec<Row>> {
    let columns = (
        access_log::id,
        access_log::at,
        access_log::actor_role,
        access_log::actor_unit_id,
        access_log::operation,
        access_log::subject_type,
        access_log::subject_id,
        access_log::case_id,
    );
    let ours = || {
        access_log::table
            .inner_join(users::table.on(users::id.eq(access_log::actor_id)))
            .filter(users::organization_id.eq(organization_id.to_owned()))
            .filter(access_log::decision.eq("granted"))
            .into_boxed::<MultiBackend>()
    };
    let mut out: Vec<Row> = ours()
        .filter(access_log::subject_type.eq("person"))
        .filter(access_log::subject_id.eq(person_id.to_owned()))
        .select(columns)
        .load(conn)?;
    for m in memberships {
        let case_ids = cases::table
            .filter(cases::household_id.eq(m.household_id.clone()))
            .select(cases::id.nullable());
        let tenancy_ids = tenancies::table
            .filter(tenancies::household_id.eq(m.household_id.clone()))
            .select(tenancies::id);
        let mut q = ours()
            .filter(access_log::at.ge(m.from))
            // Another member's row is that member's data.
            .filter(access_log::subject_type.ne("person"))
            .filter(
                access_log::case_id
                    .eq_any(case_ids)
                    .or(access_log::subject_type
                        .eq("household")
                        .and(access_log::subject_id.eq(m.household_id.clone()))
                        .nullable())
                    .or(access_log::subject_type
                        .eq("tenancy")
                        .and(access_log::subject_id.eq_any(tenancy_ids))
                        .nullable()),
            );
        if let Some(until) = m.until {
            q = q.filter(access_log::at.lt(until));
        }
        out.extend(q.select(columns).load::<Row>(conn)?);
    }
    out.sort_unstable_by_key(|r| r.0);
    out.dedup_by_key(|r| r.0);
    Ok(out)
}

/// The extract; the read is logged against the person and the export is an audit event.
pub async fn extract(
    state: &AppState,
    who: Authorized<ops::ExtractPersonAccess>,
    req: AccessExtractRequest,
    format: Format,
) -> Result<AccessExtractResponse, ApiError> {
    let pnr = Personnummer::parse(&req.personnummer)
        .map_err(|e| ApiError::field("personnummer", &e.to_string()))?;
    let st = state.clone();
    state
        .db
        .write(move |tx| {
            let org = who.organization_id.clone();
            let person = repo::find_by_pnr(tx, &st.blind, &org, &pnr)?;
            let member_of = match &person {
                Some(p) => memberships(tx, &p.id, &org)?,
                None => Vec::new(),
            };
            // A person only another organization registered is no person of ours.
            let person_id = person.map(|p| p.id).filter(|_| !member_of.is_empty());
            let rows = match &person_id {
                Some(id) => reads(tx, id, &org, &member_of)?,
                None => Vec::new(),
            };
            let logged = match &person_id {
                Some(id) => Access {
                    subject_type: "person",
                    subject_id: id,
                    case_id: None,
                },
                None => Access {
                    subject_type: "search",
                    subject_id: "no-match",
                    case_id: None,
                },
            };
            access::granted(tx, &who, who.operation_id(), &[logged])?;
            audit::record(
                tx,
                NewEvent {
                    actor: &who.actor(),
                    action: AuditAction::PersonAccessExtract,
                    entity_type: "person",
                    entity_id: person_id.as_deref(),
                    case_id: None,
                    changes: Changes::new()
                        .created("format", format.as_str())
                        .created("entries", rows.len()),
                },
            )?;
            Ok(AccessExtractResponse {
                person_id,
                generated_at: Utc::now(),
                items: rows
                    .into_iter()
                    .map(|r| AccessExtractEntry {
                        access_log_id: r.0,
                        at: types::utc(r.1),
                        actor_role: r.2,
                        actor_unit_id: r.3,
                        operation: r.4,
                        subject_type: r.5,
                        case_id: r.7,
                    })
                    .collect(),
            })
        })
        .await
}

/// The extract as CSV.
pub fn to_csv(extract: &AccessExtractResponse) -> String {
    let mut out = Csv::new(&[
        "access_log_id",
        "at",
        "actor_role",
        "actor_unit_id",
        "operation",
        "subject_type",
        "case_id",
    ]);
    for e in &extract.items {
        out.row(&[
            e.access_log_id.to_string(),
            e.at.to_rfc3339(),
            e.actor_role.clone(),
            e.actor_unit_id.clone().unwrap_or_default(),
            e.operation.clone(),
            e.subject_type.clone(),
            e.case_id.clone().unwrap_or_default(),
        ]);
    }
    out.finish()
}
