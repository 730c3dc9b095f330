//! `/stats/enforcement`, `/stats/prevention`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};

use super::dto::{StatsQuery, StatsResponse};
use super::service::{self, Series};
use crate::auth::policy::{Authorized, ops};
use crate::error::Problem;
use crate::http::negotiate;
use crate::state::AppState;

// The query is taken as a `Result` so that the policy answers first: a caller without the
// right gets 403 whatever the query says.

/// JSON, or CSV (UTF-8, header row, suppressed cells as `..`) with `Accept: text/csv`.
fn answer(req: &HttpRequest, which: Series, body: StatsResponse, name: &str) -> HttpResponse {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if negotiate::prefers(accept, "text/csv") {
        HttpResponse::Ok()
            .content_type("text/csv")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ))
            .body(service::to_csv(which, &body.rows))
    } else {
        HttpResponse::Ok().json(body)
    }
}

/// Kronofogden-comparable series for your municipality, or a county board's county (its
/// municipalities and the county total): applications received and withdrawn, evictions
/// executed, abandoned and moved voluntarily, evictions with children, children affected by
/// residence (permanent, alternating, visiting) and by registration at the address, evictions
/// with children present with and without social services. Counts with 0 < n < 5, and cells
/// that would let one be worked out, are `null` and named in `suppressed`. An event counts in
/// the period of the day it happened.
#[utoipa::path(tag = "statistics", params(StatsQuery), security(("bearer" = [])),
    responses((status = 200, description = "The series",
            content((StatsResponse = "application/json"), (String = "text/csv"))),
        (status = "4XX", body = Problem)))]
#[get("/stats/enforcement")]
pub async fn get_enforcement_stats(
    who: Authorized<ops::GetEnforcementStats>,
    state: web::Data<AppState>,
    req: HttpRequest,
    q: Result<web::Query<StatsQuery>, actix_web::Error>,
) -> Result<HttpResponse, actix_web::Error> {
    let which = Series::Enforcement;
    let body = service::series(&state, who.into_grant(), which, q?.into_inner()).await?;
    Ok(answer(&req, which, body, "enforcement"))
}

/// Prevention KPIs for your municipality or county: formulär 3 received, the median days from
/// one to the first contact attempt, the share contacted before the reinstatement end (%), rent
/// commitments issued and their amount (kronor), repeat signals within 12 months of a closure,
/// closures by outcome and homelessness situations 1–4. Medians and shares over fewer than 5
/// cases are suppressed, as are small counts and their complements.
#[utoipa::path(tag = "statistics", params(StatsQuery), security(("bearer" = [])),
    responses((status = 200, description = "The series",
            content((StatsResponse = "application/json"), (String = "text/csv"))),
        (status = "4XX", body = Problem)))]
#[get("/stats/prevention")]
pub async fn get_prevention_stats(
    who: Authorized<ops::GetPreventionStats>,
    state: web::Data<AppState>,
    req: HttpRequest,
    q: Result<web::Query<StatsQuery>, actix_web::Error>,
) -> Result<HttpResponse, actix_web::Error> {
    let which = Series::Prevention;
    let body = service::series(&state, who.into_grant(), which, q?.into_inner()).await?;
    Ok(answer(&req, which, body, "prevention"))
}
