//! Seeding through the services: every household, its case and its story, then the report.

use std::time::Instant;

use futures_util::StreamExt;

use crate::auth::policy::Authorized;
use crate::auth::{Principal, Role};
use crate::cases::dto::{
    CaseResponse, ClosureDecisionRequest, ClosureRequestResponse, CreateCaseRequest, Decision,
    TransitionRequest, UpdateCaseRequest,
};
use crate::cases::interventions;
use crate::cases::notes::{self, CreateNoteRequest};
use crate::cases::transitions::{self, Transitioned};
use crate::domain::workflow::CaseStatus;
use crate::error::ApiError;
use crate::households::dto::{
    ContractType, CreateHouseholdRequest, MemberInput, UpdateTenancyRequest,
};
use crate::http::etag::IfMatch;
use crate::state::AppState;

use super::cast::{Cast, cast, platform_admin, problem};
use super::people::Rng;
use super::story::{Plan, Step, close_reason, plans};
use super::{LANDLORD_NAME, MUNICIPALITY_CODE, MUNICIPALITY_NAME, UNITS};

/// What seeding made.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) by_status: [usize; 7],
    pub(super) households: usize,
    pub(super) people: usize,
    pub(super) with_children: usize,
    pub(super) protected: usize,
    pub(super) coordination: usize,
    pub(super) notes: usize,
    pub(super) interventions: usize,
    pub(super) approved: usize,
    pub(super) rejected: usize,
    pub(super) pending: usize,
    pub(super) commitments: usize,
    pub(super) conversions: usize,
}

impl Tally {
    pub(super) fn add(&mut self, o: &Tally) {
        for (a, b) in self.by_status.iter_mut().zip(o.by_status) {
            *a += b;
        }
        self.households += o.households;
        self.people += o.people;
        self.with_children += o.with_children;
        self.protected += o.protected;
        self.coordination += o.coordination;
        self.notes += o.notes;
        self.interventions += o.interventions;
        self.approved += o.approved;
        self.rejected += o.rejected;
        self.pending += o.pending;
        self.commitments += o.commitments;
        self.conversions += o.conversions;
    }
}

/// `If-Match` for a version.
pub(super) async fn if_match(version: i32) -> Result<IfMatch, ApiError> {
    Ok(IfMatch::of(version))
}

/// A case being played through its story.
pub(super) struct CaseRun<'a> {
    pub(super) st: &'a AppState,
    pub(super) actor: &'a Principal,
    pub(super) supervisor: &'a Principal,
    pub(super) id: String,
    pub(super) version: i32,
    pub(super) status: String,
}

impl CaseRun<'_> {
    pub(super) fn now(&mut self, c: CaseResponse) {
        self.version = c.version;
        self.status = c.status;
    }

    /// Move the case; a closure that needs a supervisor returns the request filed instead.
    pub(super) async fn transition(
        &mut self,
        req: TransitionRequest,
    ) -> Result<Option<ClosureRequestResponse>, ApiError> {
        let v = if_match(self.version).await?;
        match transitions::transition(
            self.st,
            Authorized::check(self.actor.clone())?,
            self.id.clone(),
            v,
            req,
        )
        .await?
        {
            Transitioned::Moved(c) => {
                self.now(*c);
                Ok(None)
            }
            Transitioned::AwaitingApproval(r) => Ok(Some(r)),
        }
    }

    /// Draft, approve and deliver a rent commitment. The supervisor may not decide its own
    /// draft, so a case the supervisor works itself gets none.
    async fn commitment(&mut self, amount: i64, months: i32) -> Result<bool, ApiError> {
        use crate::domain::rent_commitment::{DeliveryChannel, RentCommitmentDecision};
        use crate::rent_commitments::dto::{
            DraftRentCommitmentRequest, LegalBasis, RentCommitmentDecisionRequest,
            RentCommitmentDeliveryRequest,
        };
        use crate::rent_commitments::service;
        if std::ptr::eq(self.actor, self.supervisor) {
            return Ok(false);
        }
        let draft = DraftRentCommitmentRequest {
            amount,
            months_covered: months,
            reason: "Hushållet klarar löpande hyra; skulden gäller en tillfällig inkomstförlust."
                .into(),
        };
        let rc = service::draft(
            self.st,
            Authorized::check(self.actor.clone())?,
            self.id.clone(),
            draft,
        )
        .await?;
        let decision = RentCommitmentDecisionRequest {
            decision: RentCommitmentDecision::Approve,
            reason: "Förbindelsen räddar hyresrätten för ett hushåll med låg skuld.".into(),
            legal_basis: Some(LegalBasis {
                reason: "Nödvändigt för att fullgöra nämndens uppgift (OSL 10 kap. 2 §).".into(),
            }),
        };
        let who = Authorized::check(self.supervisor.clone())?;
        service::decide(self.st, who, self.id.clone(), rc.id.clone(), decision).await?;
        let delivery = RentCommitmentDeliveryRequest {
            delivered_on: crate::domain::sweden::today(),
            channel: DeliveryChannel::Email,
        };
        let who = Authorized::check(self.actor.clone())?;
        service::deliver(self.st, who, self.id.clone(), rc.id, delivery).await?;
        self.version = self.current_version().await?;
        Ok(true)
    }

    async fn current_version(&self) -> Result<i32, ApiError> {
        let id = self.id.clone();
        self.st
            .db
            .run(move |conn| {
                use diesel::prelude::*;
                Ok(crate::db::schema::cases::table
                    .find(id)
                    .select(crate::db::schema::cases::version)
                    .first::<i32>(conn)?)
            })
            .await
    }

    pub(super) async fn play(&mut self, step: Step, tally: &mut Tally) -> Result<(), ApiError> {
        match step {
            Step::Move(to, reason) => {
                let req = TransitionRequest {
                    to,
                    reason: reason.into(),
                    outcome: None,
                    homelessness_situation: None,
                };
                self.transition(req).await?;
            }
            Step::Close {
                outcome,
                situation,
                decision,
            } => {
                let req = TransitionRequest {
                    to: CaseStatus::Closed,
                    reason: close_reason(outcome).into(),
                    outcome: Some(outcome),
                    homelessness_situation: situation,
                };
                let Some(request) = self.transition(req).await? else {
                    return Ok(());
                };
                let Some(decision) = decision else {
                    tally.pending += 1;
                    return Ok(());
                };
                let reason = match decision {
                    Decision::Approve => "Godkänt efter genomgång av barnens situation.",
                    Decision::Reject => "Barnens boende behöver följas upp före avslut.",
                };
                let req = ClosureDecisionRequest {
                    closure_request_id: request.id,
                    decision,
                    reason: reason.into(),
                };
                let r = transitions::decide(
                    self.st,
                    Authorized::check(self.supervisor.clone())?,
                    self.id.clone(),
                    req,
                )
                .await?;
                match decision {
                    Decision::Approve => tally.approved += 1,
                    Decision::Reject => tally.rejected += 1,
                }
                self.now(r.case);
            }
            Step::Note(body) => {
                let req = CreateNoteRequest {
                    body: body.into(),
                    corrects: None,
                };
                notes::create(
                    self.st,
                    Authorized::check(self.actor.clone())?,
                    self.id.clone(),
                    req,
                )
                .await?;
                tally.notes += 1;
            }
            Step::Notice(req) => {
                crate::notices::service::create(
                    self.st,
                    Authorized::check(self.actor.clone())?,
                    self.id.clone(),
                    *req,
                )
                .await?;
                // A notice moves the case's legal stage, and with it its version.
                self.version = self.current_version().await?;
            }
            Step::RentCommitment { amount, months } => {
                tally.commitments += usize::from(self.commitment(amount, months).await?);
            }
            Step::Intervention(req) => {
                interventions::create(
                    self.st,
                    Authorized::check(self.actor.clone())?,
                    self.id.clone(),
                    req,
                )
                .await?;
                tally.interventions += 1;
            }
        }
        Ok(())
    }
}

/// Seed one household, its tenancy and its case (by the unit's supervisor, who assigns it),
/// then play the case's story.
pub(super) async fn household(st: &AppState, cast: &Cast, plan: Plan) -> Result<Tally, ApiError> {
    let (supervisor, workers) = &cast.units[plan.unit];
    let mut tally = Tally {
        households: 1,
        people: plan.members.len(),
        protected: usize::from(plan.protected),
        coordination: plan.members.iter().filter(|m| m.coordination).count(),
        ..Tally::default()
    };
    let members = plan
        .members
        .iter()
        .map(|m| MemberInput {
            personnummer: m.pnr.clone(),
            name: m.name.clone(),
            relation: m.relation,
            residence: m.residence,
            protected_identity: plan.protected,
        })
        .collect();
    let mut tenancy = plan.tenancy;
    let req = CreateHouseholdRequest {
        address: tenancy.address.clone(),
        members,
    };
    let h =
        crate::households::service::create(st, Authorized::check(supervisor.clone())?, req).await?;
    tenancy.household_id = h.id.clone();
    tenancy.landlord_organization_id = cast.landlord_id.clone();
    let mut t =
        crate::households::tenancy::create(st, Authorized::check(supervisor.clone())?, tenancy)
            .await?;
    if let Some(day) = plan.converted_on {
        let req = UpdateTenancyRequest {
            contract_type: Some(ContractType::FirstHand),
            conversion: Some(None),
            converted_on: Some(day),
            ..UpdateTenancyRequest::default()
        };
        let v = if_match(t.version).await?;
        let who = Authorized::check(supervisor.clone())?;
        t = crate::households::tenancy::update(st, who, t.id, v, req).await?;
        tally.conversions += 1;
    }
    let req = CreateCaseRequest {
        household_id: h.id,
        tenancy_id: Some(t.id),
    };
    let case =
        crate::cases::service::create(st, Authorized::check(supervisor.clone())?, req).await?;
    tally.with_children = usize::from(case.children_involved);
    let worker = plan.assignee.and_then(|i| workers.get(i));
    let mut run = CaseRun {
        st,
        actor: worker.unwrap_or(supervisor),
        supervisor,
        id: case.id.clone(),
        version: case.version,
        status: case.status.clone(),
    };
    if plan.risk.is_some() || worker.is_some() {
        let req = UpdateCaseRequest {
            risk_level: plan.risk,
            assigned_to: worker.map(|w| Some(w.user_id.clone())),
            unit_id: None,
        };
        let v = if_match(case.version).await?;
        run.now(
            crate::cases::service::update(
                st,
                Authorized::check(supervisor.clone())?,
                case.id,
                v,
                req,
            )
            .await?,
        );
    }
    for step in plan.steps {
        run.play(step, &mut tally).await?;
    }
    let i = CaseStatus::ALL
        .iter()
        .position(|s| s.as_str() == run.status)
        .ok_or_else(|| ApiError::Internal(format!("unknown status {}", run.status)))?;
    tally.by_status[i] = 1;
    Ok(tally)
}

/// What `kvar demo` prints.
pub(super) struct Report {
    pub(super) tally: Tally,
    pub(super) users: Vec<(String, Role, String)>,
    pub(super) password: String,
    pub(super) audit: String,
}

pub(super) async fn seed_all(st: &AppState, households: u32, seed: u64) -> Result<Report, String> {
    let request_id = format!("demo-{}", crate::db::types::new_id());
    let admin = platform_admin(st, &request_id).await.map_err(problem)?;
    let password = crate::crypto::random::token();
    let cast = cast(st, &admin, &password).await?;
    let mut rng = Rng(seed);
    let n = usize::try_from(households).unwrap_or(0);
    let plans = plans(&mut rng, n, crate::domain::sweden::today());
    // The demo municipality is new, so its persons are new: persons are per municipality, and
    // a generated number that some other municipality holds never reaches that record.
    // PostgreSQL takes concurrent writers. SQLite has one writer at a time, but a second
    // household in flight keeps it busy while the first waits for its commit.
    let parallel = match st.db.backend() {
        crate::db::Backend::Postgres => 8,
        crate::db::Backend::Sqlite => 2,
    };
    let mut tally = Tally::default();
    {
        let mut results = futures_util::stream::iter(plans)
            .map(|p| household(st, &cast, p))
            .buffer_unordered(parallel);
        while let Some(r) = results.next().await {
            let t = r.map_err(|e| {
                format!(
                    "seeding stopped: {}; the demo municipality is incomplete",
                    problem(e)
                )
            })?;
            tally.add(&t);
        }
    }
    // Seal the chain now rather than leave it to the next `kvar serve`.
    let key = st.keys.audit.clone();
    let cfg = st.checkpoints.clone();
    let audit = st
        .db
        .run(move |conn| {
            crate::audit::sealer::seal_and_checkpoint(conn, &key, &cfg)?;
            Ok(crate::audit::verify::seal_and_verify(conn, &key, &cfg, Vec::new())?.to_string())
        })
        .await
        .map_err(problem)?;
    Ok(Report {
        tally,
        users: cast.users,
        password,
        audit,
    })
}

impl Report {
    pub(super) fn print(&self, seed: u64, started: Instant) {
        let t = &self.tally;
        println!(
            "Seeded the demo municipality \"{MUNICIPALITY_NAME}\" (municipality code {MUNICIPALITY_CODE}) \
             in {:.1} s (seed {seed}).",
            started.elapsed().as_secs_f64()
        );
        println!("  units: {}; landlord: {LANDLORD_NAME}", UNITS.join(", "));
        println!(
            "  households: {} with {} people ({} with children, {} with protected identity, \
             {} samordningsnummer)",
            t.households, t.people, t.with_children, t.protected, t.coordination
        );
        let statuses: Vec<String> = CaseStatus::ALL
            .iter()
            .zip(t.by_status)
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        println!("  cases by status: {}", statuses.join(", "));
        println!(
            "  closure requests: {} approved, {} rejected, {} pending; {} notes, {} interventions; \
             {} rent commitments delivered; {} second-hand contracts made first-hand",
            t.approved,
            t.rejected,
            t.pending,
            t.notes,
            t.interventions,
            t.commitments,
            t.conversions
        );
        println!("  audit chain: {}", self.audit);
        println!("Demo users (one password for all):");
        for (name, role, place) in &self.users {
            println!("  {name:<18} {:<11} {place}", role.as_str());
        }
        println!("password (shown once): {}", self.password);
        println!(
            "Sign in: run `kvar serve`, then POST /api/v1/auth/login with {{\"username\": \
             \"demo.supervisor1\", \"password\": \"<the password above>\"}}."
        );
    }
}
