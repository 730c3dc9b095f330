//! `POST /persons/search`: find the households and cases of a person by personnummer (through
//! the blind index), within the caller's scope; rate-limited per user and logged.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::access::{self, Access};
use crate::auth::policy::{Authorized, ops};
use crate::auth::scope;
use crate::db::schema::{cases, household_members};
use crate::domain::personnummer::Personnummer;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonSearchRequest {
    /// In any common form; sent in the body, never in a URL.
    pub personnummer: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonSearchHit {
    pub person_id: String,
    /// Masked: `YYYYMMDD-****`.
    pub personnummer: String,
    pub household_id: String,
    pub case_id: String,
    pub case_status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonSearchResponse {
    pub items: Vec<PersonSearchHit>,
}

pub async fn search(
    state: &AppState,
    who: Authorized<ops::SearchPersons>,
    req: PersonSearchRequest,
) -> Result<PersonSearchResponse, ApiError> {
    state.search_limit.check(&state.db, &who.user_id).await?;
    let pnr = Personnummer::parse(&req.personnummer)
        .map_err(|e| ApiError::field("personnummer", &e.to_string()))?;
    let st = state.clone();
    state
        .db
        .run(move |conn| {
            let Some(person) =
                super::repo::find_by_pnr(conn, &st.blind, &who.organization_id, &pnr)?
            else {
                access::granted(
                    conn,
                    &who,
                    who.operation_id(),
                    &[Access {
                        subject_type: "search",
                        subject_id: "no-match",
                        case_id: None,
                    }],
                )?;
                return Ok(PersonSearchResponse { items: Vec::new() });
            };
            let households = household_members::table
                .filter(household_members::person_id.eq(&person.id))
                .select(household_members::household_id);
            let found: Vec<(String, String, String)> = scope::visible_cases(&who)
                .filter(cases::household_id.eq_any(households))
                .select((cases::id, cases::household_id, cases::status))
                .order(cases::id.desc())
                .limit(100)
                .load(conn)?;
            let mut logged = vec![Access {
                subject_type: "person",
                subject_id: &person.id,
                case_id: None,
            }];
            logged.extend(found.iter().map(|(c, _, _)| Access {
                subject_type: "person",
                subject_id: &person.id,
                case_id: Some(c),
            }));
            access::granted(conn, &who, who.operation_id(), &logged)?;
            let masked = pnr.masked();
            let items = found
                .into_iter()
                .map(|(case_id, household_id, status)| PersonSearchHit {
                    person_id: person.id.clone(),
                    personnummer: masked.clone(),
                    household_id,
                    case_id,
                    case_status: status,
                })
                .collect();
            Ok(PersonSearchResponse { items })
        })
        .await
}
