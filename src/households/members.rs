//! Members after a household is registered: add one, change one (relation, residence, moving
//! out). Each change raises the household's version, and `children_involved` of every case of the
//! household follows at once (a minor added, the last minor moved out), each flip with its own
//! `case.children_involved_changed` event in the same transaction: a case created from a
//! landlord's or Kronofogden's submission knows only the tenant, and its children are recorded
//! here later.

use super::dto::{HouseholdResponse, MemberInput, Relation, UpdateMemberRequest};
use super::repo::{self, MemberRow};
use super::service::{add_member, scoped_write, view, visible_for_write};
use crate::audit::{self, Actor, AuditAction, Changes, NewEvent};
use crate::auth::Principal;
use crate::auth::policy::{Authorized, ops};
use crate::db::{Tx, types};
use chrono::NaiveDate;

use crate::domain::sweden;
use crate::error::ApiError;
use crate::http::etag::IfMatch;
use crate::state::AppState;

/// `POST /households/{id}/members`: 201 with the household (its new version as ETag).
pub async fn add(
    state: &AppState,
    who: Authorized<ops::CreateHouseholdMember>,
    household_id: String,
    req: MemberInput,
) -> Result<HouseholdResponse, ApiError> {
    let member = req.validate().map_err(ApiError::Validation)?;
    let st = state.clone();
    let grant = (*who).clone();
    scoped_write(state, &grant, move |tx| {
        let h = visible_for_write(tx, &who, &household_id)?;
        if member.relation == Relation::Head {
            one_head(tx, &h.id, None)?;
        }
        let now = types::now();
        let row = add_member(tx, &st, &who.actor(), &h, &member, now).map_err(|e| match e {
            ApiError::Conflict { .. } => ApiError::conflict(
                "The person is already a member of the household; change the member instead.",
            ),
            other => other,
        })?;
        if !repo::bump_household(tx, &h.id, h.version, now)? {
            return Err(ApiError::PreconditionFailed);
        }
        let changes = Changes::new()
            .created("household_id", h.id.as_str())
            .created("person_id", row.person_id.as_str())
            .created("relation", row.relation.as_str())
            .created("residence", row.residence.clone())
            .secret("member", true);
        record(
            tx,
            &who,
            AuditAction::HouseholdMemberAdded,
            &row.id,
            changes,
        )?;
        follow_children(tx, &who.actor(), &h.id, &row.id)?;
        let h = visible_for_write(tx, &who, &h.id)?;
        view(tx, &st, &who, h, who.operation_id())
    })
    .await
}

/// `PATCH /households/{id}/members/{member_id}` (If-Match: the household's version).
pub async fn update(
    state: &AppState,
    who: Authorized<ops::UpdateHouseholdMember>,
    (household_id, member_id): (String, String),
    if_match: IfMatch,
    req: UpdateMemberRequest,
) -> Result<HouseholdResponse, ApiError> {
    let expected = if_match.version()?;
    if req
        .moved_out_on
        .flatten()
        .is_some_and(|d| d > sweden::today())
    {
        return Err(ApiError::field("moved_out_on", "must not be in the future"));
    }
    let st = state.clone();
    let grant = (*who).clone();
    scoped_write(state, &grant, move |tx| {
        let h = visible_for_write(tx, &who, &household_id)?;
        if h.version != expected {
            return Err(ApiError::PreconditionFailed);
        }
        let before = repo::find_member(tx, &h.id, &member_id)?.ok_or(ApiError::NotFound)?;
        let after = MemberRow {
            relation: req
                .relation
                .map_or(before.relation.clone(), |r| r.as_str().into()),
            residence: match req.residence {
                None => before.residence.clone(),
                Some(r) => r.map(|r| r.as_str().into()),
            },
            moved_out_on: req.moved_out_on.unwrap_or(before.moved_out_on),
            ..before.clone()
        };
        if after.residence.is_some() && after.relation != Relation::Child.as_str() {
            return Err(ApiError::field("residence", "is only for children"));
        }
        if after.relation == Relation::Head.as_str() && after.moved_out_on.is_none() {
            one_head(tx, &h.id, Some(&after.id))?;
        }
        let changes = Changes::new()
            .field(
                "relation",
                before.relation.as_str(),
                after.relation.as_str(),
            )
            .field(
                "residence",
                before.residence.clone(),
                after.residence.clone(),
            )
            .field(
                "moved_out_on",
                before.moved_out_on.map(|d| d.to_string()),
                after.moved_out_on.map(|d| d.to_string()),
            );
        if changes.is_empty() {
            return view(tx, &st, &who, h, who.operation_id());
        }
        let now = types::now();
        repo::update_member(tx, &after)?;
        if !repo::bump_household(tx, &h.id, expected, now)? {
            return Err(ApiError::PreconditionFailed);
        }
        record(
            tx,
            &who,
            AuditAction::HouseholdMemberUpdated,
            &after.id,
            changes,
        )?;
        follow_children(tx, &who.actor(), &h.id, &after.id)?;
        let h = visible_for_write(tx, &who, &h.id)?;
        view(tx, &st, &who, h, who.operation_id())
    })
    .await
}

/// At most one member living in the household has relation `self`: 409 otherwise.
fn one_head(tx: &mut Tx<'_>, household_id: &str, except: Option<&str>) -> Result<(), ApiError> {
    if repo::count_current_with_relation(tx, household_id, Relation::Head.as_str(), except)? > 0 {
        // A conflict with the household as it is (409), not a malformed request: the same body
        // is valid for a household whose head moved out.
        return Err(ApiError::conflict(
            "The household already has a member with relation self.",
        ));
    }
    Ok(())
}

fn record(
    tx: &mut Tx<'_>,
    who: &Principal,
    action: AuditAction,
    member_id: &str,
    changes: Changes,
) -> Result<(), ApiError> {
    audit::record_outside_case(
        tx,
        &who.actor(),
        action,
        "household_member",
        member_id,
        changes,
    )?;
    Ok(())
}

/// Make `children_involved` of every case of the household match its members living there
/// today, with an audit event on each case that changes (SPEC §3: derived from the household).
pub fn follow_children(
    tx: &mut Tx<'_>,
    actor: &Actor,
    household_id: &str,
    member_id: &str,
) -> Result<(), ApiError> {
    let children = repo::has_minor(tx, household_id, sweden::today())?;
    let now = types::now();
    for (case_id, before) in repo::case_children_flags(tx, household_id)? {
        // A child's residence or moving out changes the children counted by executions.
        crate::stats::facts::refresh(tx, &case_id)?;
        if before == children {
            continue;
        }
        repo::set_children_involved(tx, &case_id, children, now)?;
        let changes = Changes::new()
            .field("children_involved", before, children)
            .created("household_id", household_id)
            .created("member_id", member_id);
        audit::record(
            tx,
            NewEvent {
                actor,
                action: AuditAction::CaseChildrenInvolvedChanged,
                entity_type: "case",
                entity_id: Some(&case_id),
                case_id: Some(&case_id),
                changes,
            },
        )?;
    }
    Ok(())
}

/// The daily job's part: children who turned 18 after `since` and up to `today` no longer make
/// their household's cases `children_involved` (unless another minor lives there), each flip
/// audited as the system's. Returns how many members turned 18.
pub fn children_grown_up(
    tx: &mut Tx<'_>,
    since: NaiveDate,
    today: NaiveDate,
) -> Result<usize, ApiError> {
    let grown = repo::turned_adult_between(tx, since, today)?;
    for (household_id, member_id) in &grown {
        follow_children(tx, &Actor::system(), household_id, member_id)?;
    }
    Ok(grown.len())
}
