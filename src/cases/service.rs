//! Creating, reading, listing and updating cases: scope in the query, optimistic concurrency,
//! an audit event for every change and an access-log entry for every read.

use super::dto::ClosureResponse;
use super::dto::{
    CaseFilter, CaseList, CaseResponse, CreateCaseRequest, TenancyLink, UpdateCaseRequest,
};
use super::repo::{self, CaseChanges, CaseRow, ListFilter};
use crate::audit::AuditAction;
use crate::audit::access::{self, Access};
use crate::audit::{self, Changes, NewEvent};
use crate::auth::policy::{Authorized, Grant, ops};
use crate::auth::{Principal, rules};
use crate::db::{AnyConnection, Tx, types};
use crate::domain::states::UserStatus;
use crate::domain::sweden;
use crate::domain::workflow::CaseStatus;
use crate::error::ApiError;
use crate::households::dto::ContractType;
use crate::households::{repo as households, service as household_service};
use crate::http::etag::IfMatch;
use crate::organizations::repo as orgs;
use crate::pagination::{Cursor, Page};
use crate::state::AppState;
use crate::users::repo as users;

/// Record `action` on a case in the caller's transaction.
pub fn audit_case(
    tx: &mut Tx<'_>,
    who: &Principal,
    action: AuditAction,
    case_id: &str,
    entity: (&str, &str),
    changes: Changes,
) -> Result<(), ApiError> {
    audit::record(
        tx,
        NewEvent {
            actor: &who.actor(),
            action,
            entity_type: entity.0,
            entity_id: Some(entity.1),
            case_id: Some(case_id),
            changes,
        },
    )?;
    Ok(())
}

/// A visible case, or 404 after logging the denial (reads, outside a transaction).
pub fn visible_or_404(
    conn: &mut AnyConnection,
    who: &Grant,
    id: &str,
) -> Result<CaseRow, ApiError> {
    match repo::find_visible(conn, who, id)? {
        Some(c) => Ok(c),
        None => Err(denied_404(conn, who, id)),
    }
}

/// A case missing or out of scope, alike: the denial logged, answered 404.
fn denied_404(conn: &mut AnyConnection, who: &Grant, id: &str) -> ApiError {
    match access::denied(conn, who, who.operation_id(), "case", id) {
        Ok(()) => ApiError::NotFound,
        Err(e) => e,
    }
}

/// A visible case inside a write transaction, or [`ApiError::NotVisible`]: the denial is logged
/// by [`scoped_write`] once the transaction has rolled back (a row written inside it would roll
/// back with it).
pub fn visible_for_write(tx: &mut Tx<'_>, who: &Grant, id: &str) -> Result<CaseRow, ApiError> {
    repo::find_visible(tx, who, id)?.ok_or_else(|| ApiError::NotVisible {
        subject_type: "case",
        subject_id: id.to_owned(),
    })
}

pub use crate::auth::scope::scoped_write;

/// `POST /cases`: a new case in the caller's unit, status `new`.
pub async fn create(
    state: &AppState,
    who: Authorized<ops::CreateCase>,
    req: CreateCaseRequest,
) -> Result<CaseResponse, ApiError> {
    let unit = who.unit_id.clone().ok_or(ApiError::Forbidden)?;
    state
        .db
        .write(move |tx| {
            let household = households::find_visible(tx, &who, &req.household_id)?
                .ok_or_else(|| household_service::no_household("household_id"))?;
            if let Some(t) = &req.tenancy_id
                && households::find_tenancy(tx, t)?.is_none_or(|t| t.household_id != household.id)
            {
                return Err(ApiError::field(
                    "tenancy_id",
                    "no such tenancy of the household",
                ));
            }
            let now = types::now();
            let children = households::has_minor(tx, &household.id, sweden::today())?;
            let case = CaseRow::opened(
                who.organization_id.clone(),
                unit,
                household.id.clone(),
                req.tenancy_id.clone(),
                children,
                now,
            );
            repo::insert(tx, &case)?;
            let changes = Changes::new()
                .created("status", case.status.as_str())
                .created("unit_id", case.unit_id.as_str())
                .created("household_id", case.household_id.as_str())
                .created("tenancy_id", case.tenancy_id.clone())
                .created("risk_level", case.risk_level.as_str())
                .created("children_involved", case.children_involved);
            audit_case(
                tx,
                &who,
                AuditAction::CaseCreate,
                &case.id,
                ("case", &case.id),
                changes,
            )?;
            Ok(case.into())
        })
        .await
}

/// `GET /cases/{id}`: the case with its household's members (personnummer masked).
pub async fn get(
    state: &AppState,
    who: Authorized<ops::GetCase>,
    id: String,
) -> Result<CaseResponse, ApiError> {
    let st = state.clone();
    state
        .db
        .run(move |conn| {
            let Some(view) = repo::find_visible_view(conn, &who, &id)? else {
                return Err(denied_404(conn, &who, &id));
            };
            let case = view.case;
            let members = household_service::member_views(conn, &st, &case.household_id, false)?;
            access::granted_case_and_persons(
                conn,
                &who,
                who.operation_id(),
                &case.id,
                members.iter().map(|m| m.person_id.as_str()),
            )?;
            let tenancy = view.tenancy.as_ref().map(tenancy_link);
            let closures = view.closures;
            let allowed = super::transitions::allowed_transitions(
                who.role,
                case.status,
                view.closure_pending,
            );
            let mut out = CaseResponse::from(case.clone());
            out.members = Some(members);
            out.tenancy = tenancy;
            let closures = closures
                .into_iter()
                .map(|c| {
                    let reason = match &c.reopen_reason_enc {
                        Some(enc) => Some(
                            st.keyring
                                .open(conn, "case_closures", "reopen_reason", &c.id, enc)
                                .map_err(|e| e.about(format_args!("closure {}", c.id)))?,
                        ),
                        None => None,
                    };
                    Ok(ClosureResponse::of(c, reason))
                })
                .collect::<Result<_, ApiError>>()?;
            out.closures = Some(closures);
            out.allowed_transitions = Some(allowed);
            Ok(out)
        })
        .await
}

/// The case's tenancy as a link, with the fields still to complete (intake's placeholders).
fn tenancy_link(t: &households::TenancyRow) -> TenancyLink {
    let missing = [
        ("monthly_rent", t.monthly_rent == 0),
        (
            "contract_type",
            t.contract_type == ContractType::Other.as_str(),
        ),
        ("rooms", t.rooms.is_none()),
        ("size_m2", t.size_m2.is_none()),
        ("start_on", t.start_on.is_none()),
        (
            "apartment_number",
            t.apartment_number == households::UNKNOWN_APARTMENT,
        ),
    ];
    TenancyLink {
        id: t.id.clone(),
        href: format!("/api/v1/tenancies/{}", t.id),
        incomplete: missing
            .iter()
            .filter(|(_, m)| *m)
            .map(|(f, _)| (*f).to_owned())
            .collect(),
    }
}

/// `GET /cases`: keyset pages of the caller's cases, newest first.
pub async fn list(
    state: &AppState,
    who: Authorized<ops::ListCases>,
    filter: CaseFilter,
) -> Result<CaseList, ApiError> {
    let (limit, after) = Page {
        limit: filter.limit,
        cursor: filter.cursor.clone(),
    }
    .parse()?;
    let assigned_to = match filter.assigned_to.as_deref() {
        None => None,
        Some("none") => Some(None),
        Some("me") => Some(Some(who.user_id.clone())),
        Some(id) => Some(Some(id.to_owned())),
    };
    let f = ListFilter {
        status: filter.status,
        legal_stage: filter.legal_stage.clone(),
        assigned_to,
        children_involved: filter.children_involved,
        risk_level: filter.risk_level,
        after,
        limit: limit + 1,
    };
    state
        .db
        .run(move |conn| {
            let mut rows = repo::list(conn, &who, &f)?;
            let next = Cursor::next(&mut rows, limit, |c| c.id.clone());
            let logged: Vec<Access<'_>> = rows
                .iter()
                .map(|c| Access {
                    subject_type: "case",
                    subject_id: &c.id,
                    case_id: Some(&c.id),
                })
                .collect();
            access::granted_list(conn, &who, who.operation_id(), &logged)?;
            Ok(CaseList {
                items: rows.into_iter().map(Into::into).collect(),
                next_cursor: next,
            })
        })
        .await
}

/// Who may be assigned a case of `unit_id`: an active caseworker or supervisor of that unit.
fn check_assignee(conn: &mut AnyConnection, user_id: &str, unit_id: &str) -> Result<(), ApiError> {
    let ok = users::find(conn, user_id).ok().is_some_and(|u| {
        rules::may_be_assigned(
            u.role,
            u.status == UserStatus::Active,
            u.unit_id.as_deref(),
            unit_id,
        )
    });
    if ok {
        Ok(())
    } else {
        Err(ApiError::field(
            "assigned_to",
            "no such caseworker in the case's unit",
        ))
    }
}

/// `PATCH /cases/{id}`: risk level, assignee, unit. Caseworkers may set the risk and take an
/// unassigned case; assigning others and moving units is for supervisors.
pub async fn update(
    state: &AppState,
    who: Authorized<ops::UpdateCase>,
    id: String,
    if_match: IfMatch,
    req: UpdateCaseRequest,
) -> Result<CaseResponse, ApiError> {
    let expected = if_match.version()?;
    let grant = who.clone();
    scoped_write(state, &grant, move |tx| {
        let before = visible_for_write(tx, &who, &id)?;
        if before.version != expected {
            return Err(ApiError::PreconditionFailed);
        }
        if before.status == CaseStatus::Closed {
            return Err(ApiError::conflict("The case is closed; reopen it first."));
        }
        let unit = req.unit_id.clone().unwrap_or(before.unit_id.clone());
        if req.unit_id.is_some() && unit != before.unit_id {
            if !rules::may_move_unit(&who) {
                return Err(ApiError::Forbidden);
            }
            if orgs::find_unit(tx, &unit)?
                .is_none_or(|u| u.organization_id != before.organization_id)
            {
                return Err(ApiError::field(
                    "unit_id",
                    "no such unit in the municipality",
                ));
            }
        }
        let assignee = match &req.assigned_to {
            None => before.assigned_to.clone(),
            Some(a) => a.clone(),
        };
        if !rules::may_assign(&who, before.assigned_to.as_deref(), assignee.as_deref()) {
            return Err(ApiError::Forbidden);
        }
        if let Some(a) = &assignee
            && (assignee != before.assigned_to || unit != before.unit_id)
        {
            check_assignee(tx, a, &unit)?;
        }
        let risk = req.risk_level.unwrap_or(before.risk_level);
        let changes = Changes::new()
            .field("risk_level", before.risk_level.as_str(), risk.as_str())
            .field("assigned_to", before.assigned_to.clone(), assignee.clone())
            .field("unit_id", before.unit_id.as_str(), unit.as_str());
        if changes.is_empty() {
            return Ok(before.into());
        }
        // Only what changes is set: a unit set, even to the same unit, recounts the statistics.
        let set = CaseChanges {
            risk_level: (risk != before.risk_level).then_some(risk),
            assigned_to: (assignee != before.assigned_to).then_some(assignee.as_deref()),
            unit_id: (unit != before.unit_id).then_some(unit.as_str()),
            ..CaseChanges::default()
        };
        let Some(after) = repo::update_versioned(tx, &id, expected, &set, types::now())? else {
            return Err(ApiError::PreconditionFailed);
        };
        audit_case(
            tx,
            &who,
            AuditAction::CaseUpdate,
            &id,
            ("case", &id),
            changes,
        )?;
        Ok(after.into())
    })
    .await
}
