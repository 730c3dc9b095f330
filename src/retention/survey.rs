//! Gathering what the retention rules need: every live cluster with its facts, and the verdict
//! of `domain::retention` on each. Loads the subjects' ids and timestamps in a few whole-table
//! queries (no personal field is read), so it scales to hundreds of thousands of subjects.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::max;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{
    archive_package_clusters, archive_packages, case_closures, cases, consents, deadlines,
    household_members, households, interventions, legal_holds, notes, notices, organizations,
    persons, rent_commitments,
};
use crate::domain::retention::{self, Cluster, ClusterFacts, Verdict};
use crate::domain::workflow::CaseStatus;

/// One live cluster and what the rules said about it.
#[derive(Debug, Clone)]
pub struct Judged {
    pub cluster: Cluster,
    pub organization_id: String,
    pub facts: ClusterFacts,
    pub verdict: Verdict,
    /// The day the retention limit passed (or passes).
    pub limit_passed: NaiveDate,
}

/// A municipality as the rules see it.
#[derive(Debug, Clone)]
pub struct Municipality {
    pub id: String,
    pub code: Option<String>,
    pub sample_days: Vec<u8>,
}

/// Everything a plan, a dry run or an archive package needs.
#[derive(Debug, Clone, Default)]
pub struct Survey {
    pub as_of: Option<NaiveDate>,
    pub years: u32,
    pub clusters: Vec<Judged>,
    pub municipalities: BTreeMap<String, Municipality>,
    /// Unreleased holds past their review date, per municipality.
    pub holds_to_review: BTreeMap<String, usize>,
}

/// A person row as the survey reads it: id, municipality, birth day, last update.
type PersonCols = (String, Option<String>, Option<i32>, NaiveDateTime);

fn later(slot: &mut NaiveDateTime, at: Option<NaiveDateTime>) {
    if let Some(at) = at
        && at > *slot
    {
        *slot = at;
    }
}

/// Per case id: the latest of `rows`.
fn latest_into(
    map: &mut HashMap<String, NaiveDateTime>,
    rows: Vec<(String, Option<NaiveDateTime>)>,
) {
    for (id, at) in rows {
        if let Some(at) = at {
            let slot = map.entry(id).or_insert(at);
            if at > *slot {
                *slot = at;
            }
        }
    }
}

/// The municipalities and their research-sample days (an unreadable setting falls back to
/// the default, which the admin endpoint never stores).
pub fn municipalities(conn: &mut AnyConnection) -> QueryResult<BTreeMap<String, Municipality>> {
    let rows: Vec<(String, Option<String>, String)> = organizations::table
        .select((
            organizations::id,
            organizations::municipality_code,
            organizations::research_sample_days,
        ))
        .load(conn)?;
    let default = retention::parse_sample_days(retention::DEFAULT_SAMPLE_DAYS).unwrap_or_default();
    Ok(rows
        .into_iter()
        .map(|(id, code, days)| {
            let sample_days =
                retention::parse_sample_days(&days).unwrap_or_else(|_| default.clone());
            (
                id.clone(),
                Municipality {
                    id,
                    code,
                    sample_days,
                },
            )
        })
        .collect())
}

/// Judge every live cluster as of `as_of` with a retention period of `years`.
pub fn survey(conn: &mut AnyConnection, as_of: NaiveDate, years: u32) -> QueryResult<Survey> {
    let municipalities = municipalities(conn)?;
    let person_rows: Vec<PersonCols> = persons::table
        .filter(persons::erased_at.is_null())
        .select((
            persons::id,
            persons::organization_id,
            persons::birth_day,
            persons::updated_at,
        ))
        .load(conn)?;
    let household_rows: Vec<(String, String, NaiveDateTime)> = households::table
        .filter(households::erased_at.is_null())
        .select((
            households::id,
            households::organization_id,
            households::updated_at,
        ))
        .load(conn)?;
    let members: Vec<(String, String)> = household_members::table
        .select((
            household_members::household_id,
            household_members::person_id,
        ))
        .load(conn)?;
    type CaseFacts = (
        String,
        String,
        String,
        NaiveDateTime,
        NaiveDateTime,
        Option<NaiveDateTime>,
    );
    let case_rows: Vec<CaseFacts> = cases::table
        .filter(cases::erased_at.is_null())
        .select((
            cases::id,
            cases::household_id,
            cases::status,
            cases::updated_at,
            cases::last_activity_at,
            cases::closed_at,
        ))
        .load(conn)?;

    // The latest entry of every kind, per case.
    let mut case_latest: HashMap<String, NaiveDateTime> = HashMap::new();
    latest_into(
        &mut case_latest,
        notices::table
            .group_by(notices::case_id)
            .select((notices::case_id, max(notices::created_at)))
            .load(conn)?,
    );
    latest_into(
        &mut case_latest,
        notes::table
            .group_by(notes::case_id)
            .select((notes::case_id, max(notes::created_at)))
            .load(conn)?,
    );
    latest_into(
        &mut case_latest,
        interventions::table
            .group_by(interventions::case_id)
            .select((interventions::case_id, max(interventions::updated_at)))
            .load(conn)?,
    );
    latest_into(
        &mut case_latest,
        case_closures::table
            .group_by(case_closures::case_id)
            .select((case_closures::case_id, max(case_closures::closed_at)))
            .load(conn)?,
    );
    latest_into(
        &mut case_latest,
        case_closures::table
            .group_by(case_closures::case_id)
            .select((case_closures::case_id, max(case_closures::reopened_at)))
            .load(conn)?,
    );
    latest_into(
        &mut case_latest,
        rent_commitments::table
            .group_by(rent_commitments::case_id)
            .select((rent_commitments::case_id, max(rent_commitments::updated_at)))
            .load(conn)?,
    );
    latest_into(
        &mut case_latest,
        deadlines::table
            .group_by(deadlines::case_id)
            .select((deadlines::case_id, max(deadlines::computed_at)))
            .load(conn)?,
    );
    let mut person_latest: HashMap<String, NaiveDateTime> = HashMap::new();
    latest_into(
        &mut person_latest,
        consents::table
            .group_by(consents::person_id)
            .select((consents::person_id, max(consents::updated_at)))
            .load(conn)?,
    );

    let holds: Vec<(String, String, NaiveDate)> = legal_holds::table
        .filter(legal_holds::released_at.is_null())
        .select((
            legal_holds::case_id,
            legal_holds::organization_id,
            legal_holds::review_on,
        ))
        .load(conn)?;
    let mut holds_to_review: BTreeMap<String, usize> = BTreeMap::new();
    for (_, org, review_on) in &holds {
        if retention::hold_needs_review(*review_on, as_of) {
            *holds_to_review.entry(org.clone()).or_default() += 1;
        }
    }
    let held: BTreeSet<String> = holds.into_iter().map(|(c, _, _)| c).collect();
    let archived: BTreeSet<String> = archive_package_clusters::table
        .inner_join(archive_packages::table)
        .filter(archive_packages::confirmed_at.is_not_null())
        .select(archive_package_clusters::cluster_key)
        .load(conn)?
        .into_iter()
        .collect();

    let person_ids: Vec<String> = person_rows.iter().map(|p| p.0.clone()).collect();
    let household_ids: Vec<String> = household_rows.iter().map(|h| h.0.clone()).collect();
    let case_links: Vec<(String, String)> = case_rows
        .iter()
        .map(|c| (c.0.clone(), c.1.clone()))
        .collect();
    let person_by_id: HashMap<&str, &PersonCols> =
        person_rows.iter().map(|p| (p.0.as_str(), p)).collect();
    let household_by_id: HashMap<&str, &(String, String, NaiveDateTime)> =
        household_rows.iter().map(|h| (h.0.as_str(), h)).collect();
    let case_by_id: HashMap<&str, &CaseFacts> =
        case_rows.iter().map(|c| (c.0.as_str(), c)).collect();

    let mut judged = Vec::new();
    for cluster in retention::clusters(&person_ids, &household_ids, &members, &case_links) {
        let mut last = NaiveDateTime::MIN;
        let mut org: Option<String> = None;
        let mut any_open = false;
        let mut is_held = false;
        for h in &cluster.households {
            if let Some(row) = household_by_id.get(h.as_str()) {
                later(&mut last, Some(row.2));
                org.get_or_insert_with(|| row.1.clone());
            }
        }
        for p in &cluster.persons {
            if let Some(row) = person_by_id.get(p.as_str()) {
                later(&mut last, Some(row.3));
                if org.is_none() {
                    org.clone_from(&row.1);
                }
            }
            later(&mut last, person_latest.get(p).copied());
        }
        for c in &cluster.cases {
            if let Some(row) = case_by_id.get(c.as_str()) {
                any_open |= row.2 != CaseStatus::Closed.as_str();
                later(&mut last, Some(row.3));
                later(&mut last, Some(row.4));
                later(&mut last, row.5);
            }
            later(&mut last, case_latest.get(c).copied());
            is_held |= held.contains(c);
        }
        let organization_id = org.unwrap_or_default();
        let sample_days = municipalities
            .get(&organization_id)
            .map(|m| m.sample_days.as_slice())
            .unwrap_or(&[]);
        let sample = cluster.persons.iter().any(|p| {
            person_by_id.get(p.as_str()).is_some_and(|row| {
                retention::in_sample(row.2.and_then(|d| u32::try_from(d).ok()), sample_days)
            })
        });
        let facts = ClusterFacts {
            any_open,
            last_entry: last,
            held: is_held,
            sample,
            sample_archived: sample && archived.contains(&cluster.key()),
        };
        judged.push(Judged {
            verdict: retention::verdict(&facts, as_of, years),
            limit_passed: retention::limit_passed_on(last, years),
            cluster,
            organization_id,
            facts,
        });
    }
    Ok(Survey {
        as_of: Some(as_of),
        years,
        clusters: judged,
        municipalities,
        holds_to_review,
    })
}
