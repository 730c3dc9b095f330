//! Plans, approvals, runs and their summaries (issue 14 item 4).
//!
//! A plan stores the clusters to erase by their membership key (no subject id, no name), with
//! counts per municipality and rule. It is approved per municipality by a second person (an
//! auditor or a supervisor of that municipality who is not the planner: the roles of the policy
//! table closest to the archivist and the data protection officer). Running a plan surveys again
//! as of the plan's date and erases a planned cluster only if it still has the same membership
//! and still meets the same rule, in its municipality's approval; a municipality without an
//! approval is left alone. Each run leaves erasure records (gallringsprotokoll) per municipality
//! and rule, naming the planner and the approver.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::erase;
use super::survey::{Judged, Survey};
use crate::audit::{self, Actor, AuditAction, Changes, NewEvent};
use crate::auth::Role;
use crate::db::schema::{
    erasure_records, retention_plan_approvals, retention_plan_clusters, retention_plans,
};
use crate::db::{AnyConnection, types, write_tx};
use crate::domain::retention::{Keep, Rule, Verdict};
use crate::domain::states::UserStatus;
use crate::error::ApiError;

/// Clusters erased per transaction: small enough to hold locks briefly, large enough that a
/// run over 100,000 subjects is not 100,000 commits.
pub const BATCH: usize = 100;

/// Counts of subjects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub clusters: usize,
    pub persons: usize,
    pub households: usize,
    pub cases: usize,
}

impl Counts {
    fn add(&mut self, j: &Judged) {
        self.clusters += 1;
        self.persons += j.cluster.persons.len();
        self.households += j.cluster.households.len();
        self.cases += j.cluster.cases.len();
    }
}

/// One municipality's line of a summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MunicipalitySummary {
    pub organization_id: String,
    pub municipality_code: Option<String>,
    /// Erased (or, in a dry run and a plan, to erase) per rule.
    pub erase: BTreeMap<&'static str, Counts>,
    /// Clusters kept, per reason.
    pub kept: BTreeMap<&'static str, usize>,
    /// Erasable clusters whose erasure is due by the end of next year at the latest...
    pub due: usize,
    /// ...and those already past that date.
    pub overdue: usize,
    /// Kept by the research sample or a hold although the erasure is overdue.
    pub kept_overdue: usize,
    /// Legal holds past their review date (to renew or release).
    pub holds_to_review: usize,
}

/// What a dry run, a plan or a run reports: counts only, never a name or an id of a subject.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub as_of: NaiveDate,
    pub years: u32,
    pub dry_run: bool,
    pub plan_id: Option<String>,
    pub municipalities: Vec<MunicipalitySummary>,
    pub total: Counts,
}

impl Summary {
    /// The human-readable lines (the machine-readable form is the JSON of `self`).
    pub fn lines(&self) -> Vec<String> {
        let verb = if self.dry_run {
            "would erase"
        } else {
            "erased"
        };
        let mut out = Vec::new();
        for m in &self.municipalities {
            let name = m.municipality_code.as_deref().unwrap_or(&m.organization_id);
            for (rule, c) in &m.erase {
                out.push(format!(
                    "municipality {name}: rule {rule}: {verb} {} clusters ({} persons, {} households, {} cases)",
                    c.clusters, c.persons, c.households, c.cases
                ));
            }
            let kept: Vec<String> = m.kept.iter().map(|(k, n)| format!("{k} {n}")).collect();
            out.push(format!(
                "municipality {name}: kept {}; due {}, overdue {}, kept although overdue {}; legal holds to review {}",
                if kept.is_empty() { "none".into() } else { kept.join(", ") },
                m.due,
                m.overdue,
                m.kept_overdue,
                m.holds_to_review
            ));
        }
        out.push(format!(
            "as of {}: {verb} {} clusters ({} persons, {} households, {} cases){}",
            self.as_of,
            self.total.clusters,
            self.total.persons,
            self.total.households,
            self.total.cases,
            self.plan_id
                .as_ref()
                .map(|p| format!(", plan {p}"))
                .unwrap_or_default()
        ));
        out
    }
}

/// Summarise `survey`, counting as erased the clusters `erased` says yes to.
pub fn summarise(
    survey: &Survey,
    as_of: NaiveDate,
    dry_run: bool,
    plan_id: Option<String>,
    erased: impl Fn(&Judged) -> bool,
) -> Summary {
    let mut by_org: BTreeMap<String, MunicipalitySummary> = BTreeMap::new();
    let mut total = Counts::default();
    for (id, m) in &survey.municipalities {
        if m.code.is_some() {
            by_org.insert(
                id.clone(),
                MunicipalitySummary {
                    organization_id: id.clone(),
                    municipality_code: m.code.clone(),
                    holds_to_review: survey.holds_to_review.get(id).copied().unwrap_or(0),
                    ..MunicipalitySummary::default()
                },
            );
        }
    }
    for j in &survey.clusters {
        let m = by_org
            .entry(j.organization_id.clone())
            .or_insert_with(|| MunicipalitySummary {
                organization_id: j.organization_id.clone(),
                ..MunicipalitySummary::default()
            });
        let overdue = crate::domain::retention::overdue(j.limit_passed, as_of);
        match j.verdict {
            Verdict::Erase(rule) if erased(j) => {
                m.erase.entry(rule.as_str()).or_default().add(j);
                total.add(j);
                if overdue {
                    m.overdue += 1;
                } else {
                    m.due += 1;
                }
            }
            Verdict::Erase(_) => *m.kept.entry("not_approved").or_default() += 1,
            Verdict::Keep(k) => {
                *m.kept.entry(k.as_str()).or_default() += 1;
                if overdue && matches!(k, Keep::LegalHold | Keep::ResearchSample) {
                    m.kept_overdue += 1;
                }
            }
        }
    }
    Summary {
        as_of,
        years: survey.years,
        dry_run,
        plan_id,
        municipalities: by_org.into_values().collect(),
        total,
    }
}

#[derive(Insertable)]
#[diesel(table_name = retention_plan_clusters)]
struct PlanCluster<'a> {
    plan_id: &'a str,
    cluster_key: String,
    organization_id: &'a str,
    rule: &'static str,
    persons: i32,
    households: i32,
    cases: i32,
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Store a plan of the clusters `survey` would erase; returns its id and summary.
pub fn store(
    conn: &mut AnyConnection,
    survey: &Survey,
    as_of: NaiveDate,
    planned_by: &str,
) -> Result<Summary, ApiError> {
    let id = types::new_id();
    let summary = summarise(survey, as_of, true, Some(id.clone()), |_| true);
    let json = serde_json::to_string(&summary).map_err(|e| ApiError::Internal(e.to_string()))?;
    let rows: Vec<PlanCluster<'_>> = survey
        .clusters
        .iter()
        .filter_map(|j| match j.verdict {
            Verdict::Erase(rule) => Some(PlanCluster {
                plan_id: &id,
                cluster_key: j.cluster.key(),
                organization_id: &j.organization_id,
                rule: rule.as_str(),
                persons: count(j.cluster.persons.len()),
                households: count(j.cluster.households.len()),
                cases: count(j.cluster.cases.len()),
            }),
            Verdict::Keep(_) => None,
        })
        .collect();
    write_tx(conn, |tx| {
        diesel::insert_into(retention_plans::table)
            .values((
                retention_plans::id.eq(&id),
                retention_plans::as_of.eq(as_of),
                retention_plans::years.eq(count(survey.years as usize)),
                retention_plans::planned_by.eq(planned_by),
                retention_plans::created_at.eq(types::now()),
                retention_plans::summary.eq(&json),
            ))
            .execute(&mut **tx)?;
        for chunk in rows.chunks(500) {
            crate::on_inner!(&mut **tx, |c| diesel::insert_into(
                retention_plan_clusters::table
            )
            .values(chunk)
            .execute(c))?;
        }
        Ok::<_, ApiError>(())
    })?;
    Ok(summary)
}

fn cli_error(msg: impl Into<String>) -> ApiError {
    ApiError::BadRequest(msg.into())
}

/// Approve plan `plan_id` for the municipality of user `username`: the user must exist, be
/// active, be an auditor or a supervisor of a municipality the plan erases in, and not be the
/// planner. Audited as that user's act.
pub fn approve(
    conn: &mut AnyConnection,
    plan_id: &str,
    username: &str,
) -> Result<(String, usize), ApiError> {
    let user = crate::users::repo::find_by_username(conn, username)?
        .ok_or_else(|| cli_error("--by: no such user"))?;
    if user.status != UserStatus::Active {
        return Err(cli_error("--by: the user is not active"));
    }
    if !matches!(user.role, Role::Auditor | Role::Supervisor) {
        return Err(cli_error(
            "--by: only an auditor or a supervisor of the municipality approves an erasure",
        ));
    }
    write_tx(conn, |tx| {
        let plan: Option<(String, Option<NaiveDateTime>)> = retention_plans::table
            .find(plan_id)
            .select((retention_plans::planned_by, retention_plans::executed_at))
            .first(&mut **tx)
            .optional()?;
        let (planned_by, executed_at) = plan.ok_or_else(|| cli_error("no such plan"))?;
        if executed_at.is_some() {
            return Err(cli_error("the plan has already run"));
        }
        if planned_by == user.username {
            return Err(cli_error(
                "--by: the planner cannot approve their own plan (a second person must)",
            ));
        }
        let clusters: i64 = retention_plan_clusters::table
            .filter(retention_plan_clusters::plan_id.eq(plan_id))
            .filter(retention_plan_clusters::organization_id.eq(&user.organization_id))
            .count()
            .get_result(&mut **tx)?;
        if clusters == 0 {
            return Err(cli_error(
                "--by: the plan erases nothing in the user's municipality",
            ));
        }
        diesel::insert_into(retention_plan_approvals::table)
            .values((
                retention_plan_approvals::plan_id.eq(plan_id),
                retention_plan_approvals::organization_id.eq(&user.organization_id),
                retention_plan_approvals::approved_by.eq(&user.id),
                retention_plan_approvals::approved_at.eq(types::now()),
            ))
            .execute(&mut **tx)?;
        audit::record(
            tx,
            NewEvent {
                actor: &Actor {
                    kind: "user",
                    id: Some(user.id.clone()),
                    role: Some(user.role.as_str().to_owned()),
                    unit_id: user.unit_id.clone(),
                    request_id: None,
                },
                action: AuditAction::RetentionPlanApproved,
                entity_type: "retention_plan",
                entity_id: Some(plan_id),
                case_id: None,
                changes: Changes::new()
                    .created("organization_id", user.organization_id.as_str())
                    .created("clusters", clusters),
            },
        )?;
        Ok((user.organization_id.clone(), clusters as usize))
    })
}

/// Run plan `plan_id`: erase its still-erasable clusters in the approved municipalities (every
/// municipality when `unapproved_ok`, development only). Returns the summary of what it did.
pub fn run(
    conn: &mut AnyConnection,
    plan_id: &str,
    unapproved_ok: bool,
) -> Result<Summary, ApiError> {
    type PlanRow = (NaiveDate, i32, String, Option<NaiveDateTime>);
    let (as_of, years, planned_by, executed_at): PlanRow = retention_plans::table
        .find(plan_id)
        .select((
            retention_plans::as_of,
            retention_plans::years,
            retention_plans::planned_by,
            retention_plans::executed_at,
        ))
        .first(conn)
        .optional()?
        .ok_or_else(|| cli_error("no such plan"))?;
    if executed_at.is_some() {
        return Err(cli_error("the plan has already run"));
    }
    let approvals: HashMap<String, String> = retention_plan_approvals::table
        .inner_join(
            crate::db::schema::users::table
                .on(crate::db::schema::users::id.eq(retention_plan_approvals::approved_by)),
        )
        .filter(retention_plan_approvals::plan_id.eq(plan_id))
        .select((
            retention_plan_approvals::organization_id,
            crate::db::schema::users::username,
        ))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let planned: HashMap<String, (String, String)> = retention_plan_clusters::table
        .filter(retention_plan_clusters::plan_id.eq(plan_id))
        .select((
            retention_plan_clusters::cluster_key,
            retention_plan_clusters::organization_id,
            retention_plan_clusters::rule,
        ))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(k, o, r)| (k, (o, r)))
        .collect();
    let survey = super::survey::survey(conn, as_of, u32::try_from(years).unwrap_or(5))?;
    let approved_by = |org: &str| -> Option<String> {
        approvals
            .get(org)
            .cloned()
            .or_else(|| unapproved_ok.then(|| "unapproved (development)".to_owned()))
    };
    let chosen = |j: &Judged| -> bool {
        let Verdict::Erase(rule) = j.verdict else {
            return false;
        };
        planned.get(&j.cluster.key()).is_some_and(|(org, r)| {
            *org == j.organization_id && r == rule.as_str() && approved_by(org).is_some()
        })
    };
    let todo: Vec<(&Judged, Rule)> = survey
        .clusters
        .iter()
        .filter(|j| chosen(j))
        .filter_map(|j| match j.verdict {
            Verdict::Erase(rule) => Some((j, rule)),
            Verdict::Keep(_) => None,
        })
        .collect();
    let now = types::now();
    for chunk in todo.chunks(BATCH) {
        let batch: Vec<_> = chunk.iter().map(|(j, r)| (&j.cluster, *r)).collect();
        write_tx(conn, |tx| erase::erase(tx, &batch, plan_id, now))?;
    }
    let summary = summarise(&survey, as_of, false, Some(plan_id.to_owned()), |j| {
        chosen(j)
    });
    let json = serde_json::to_string(&summary).map_err(|e| ApiError::Internal(e.to_string()))?;
    write_tx(conn, |tx| {
        for m in &summary.municipalities {
            for (rule, c) in &m.erase {
                diesel::insert_into(erasure_records::table)
                    .values((
                        erasure_records::id.eq(types::new_id()),
                        erasure_records::plan_id.eq(plan_id),
                        erasure_records::executed_at.eq(now),
                        erasure_records::as_of.eq(as_of),
                        erasure_records::organization_id.eq(&m.organization_id),
                        erasure_records::rule.eq(*rule),
                        erasure_records::clusters.eq(count(c.clusters)),
                        erasure_records::persons.eq(count(c.persons)),
                        erasure_records::households.eq(count(c.households)),
                        erasure_records::cases.eq(count(c.cases)),
                        erasure_records::planned_by.eq(&planned_by),
                        erasure_records::approved_by
                            .eq(approved_by(&m.organization_id).unwrap_or_default()),
                    ))
                    .execute(&mut **tx)?;
            }
        }
        diesel::update(retention_plans::table.find(plan_id))
            .set((
                retention_plans::executed_at.eq(Some(now)),
                retention_plans::summary.eq(&json),
            ))
            .execute(&mut **tx)?;
        Ok::<_, ApiError>(())
    })?;
    Ok(summary)
}
