//! The story of each case: the steps its caseworker takes and the plan of every household,
//! made before anything is written.

use std::collections::HashSet;

use chrono::{NaiveDate, TimeDelta};

use crate::cases::dto::{Decision, RiskLevel};
use crate::cases::interventions::{
    CreateInterventionRequest, InterventionKind as Kind, InterventionStatus,
};
use crate::domain::outcome::Outcome;
use crate::domain::workflow::CaseStatus;
use crate::households::dto::{Address, ContractType, CreateTenancyRequest, Relation};
use crate::notices::dto::CreateNoticeRequest;

use super::MUNICIPALITY_CODE;
use super::people::{Person, Rng, STREETS, members, tenancy};

/// A step of a case's story, taken by its caseworker (its supervisor when unassigned).
pub(super) enum Step {
    Move(CaseStatus, &'static str),
    /// Close. If that files a closure request, the supervisor decides it (None: it stays pending
    /// on the supervisor's desk).
    Close {
        outcome: Outcome,
        situation: Option<u8>,
        decision: Option<Decision>,
    },
    Note(&'static str),
    Intervention(CreateInterventionRequest),
    /// A legal-track event registered by the caseworker (from the paper or Kronofogden's letter).
    Notice(Box<CreateNoticeRequest>),
    /// A rent commitment through its whole flow: drafted by the caseworker, approved by the
    /// unit's supervisor (on a legal basis), the letter delivered to the landlord today.
    RentCommitment {
        amount: i64,
        months: i32,
    },
}

/// How a case's arrears cycle ends in the demo (the statistics' prevention and enforcement
/// series read these).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Legal {
    Paid,
    Commitment,
    PaymentPlan,
    Lapsed,
    Withdrawn,
    Evicted,
    /// Still running or just begun (an open case).
    Recent,
}

/// Why a case moved (kept in the audit trail: no personal data).
pub(super) fn move_reason(to: CaseStatus) -> &'static str {
    match to {
        CaseStatus::Triage => "Underrättelse om hyresskuld; bedömning påbörjad.",
        CaseStatus::Outreach => "Ingen kontakt med hushållet; uppsökande arbete.",
        CaseStatus::Active => "Hushållet har tackat ja till stöd.",
        CaseStatus::FollowUp => "Hyresskulden reglerad; uppföljning av hyresbetalningarna.",
        CaseStatus::Reopened => "Ny underrättelse om obetald hyra.",
        CaseStatus::New | CaseStatus::Closed => "Ändrad status.",
    }
}

// Journal notes as a caseworker might write them (encrypted at rest like any note).
pub(super) const NOTE_ARREARS: &str =
    "Hyresvärden har meddelat en skuld motsvarande två månadshyror.";
pub(super) const NOTE_NO_ANSWER: &str =
    "Telefonsamtal utan svar; brev skickat med förslag på mötestid.";
pub(super) const NOTE_HOME_VISIT: &str =
    "Hembesök genomfört; hushållet vill ha hjälp med budget och skulder.";
pub(super) const NOTE_CHILDREN: &str =
    "Barnens situation uppmärksammad; samverkan med familjeenheten.";
pub(super) const NOTE_PAYMENT_PLAN: &str =
    "Avbetalningsplan upprättad tillsammans med hyresvärden.";
pub(super) const NOTE_ASSISTANCE: &str = "Ekonomiskt bistånd till hyresskulden har beviljats.";
pub(super) const NOTE_PAID: &str = "Hyran för de senaste tre månaderna är betald i tid.";

pub(super) fn close_reason(o: Outcome) -> &'static str {
    match o {
        Outcome::RetainedPaid => "Skulden är betald; hyresvärden har bekräftat.",
        Outcome::RetainedPaymentPlan => "Avbetalningsplanen med hyresvärden följs.",
        Outcome::RetainedRentCommitment => "Förbindelse lämnad; hyresrätten är återvunnen.",
        Outcome::MovedNewTenancy => "Hushållet har fått ett eget förstahandskontrakt.",
        Outcome::MovedMunicipalContract => "Hushållet har flyttat till en kommunal lägenhet.",
        Outcome::MovedFamilyFriends => "Hushållet har flyttat till anhöriga.",
        Outcome::EvictedHomeless => "Avhysning verkställd; hushållet saknar bostad.",
        Outcome::EvictedOther => "Avhysning verkställd; hushållet har ordnat annat boende.",
        Outcome::NoContact => "Hushållet har inte gått att nå.",
        Outcome::NotApplicable => "Hushållet är inte folkbokfört i kommunen.",
    }
}

/// Writes the steps of one case: the legal path to its target status, with notes and
/// interventions along the way.
pub(super) struct Story<'a> {
    pub(super) rng: &'a mut Rng,
    pub(super) today: NaiveDate,
    pub(super) children: bool,
    pub(super) steps: Vec<Step>,
}

impl Story<'_> {
    pub(super) fn note(&mut self, percent: usize, body: &'static str) {
        if self.rng.chance(percent) {
            self.steps.push(Step::Note(body));
        }
    }

    pub(super) fn go(&mut self, to: CaseStatus) {
        self.steps.push(Step::Move(to, move_reason(to)));
    }

    pub(super) fn intervention(&mut self, kind: Kind, done: bool, amount: Option<i64>) {
        let started = self.rng.days_ago(self.today, 3, 120);
        let ended = (started + TimeDelta::days(self.rng.range(0, 14))).min(self.today);
        let status =
            [InterventionStatus::Ongoing, InterventionStatus::Completed][usize::from(done)];
        self.steps
            .push(Step::Intervention(CreateInterventionRequest {
                kind,
                status: Some(status),
                started_on: Some(started),
                ended_on: done.then_some(ended),
                amount,
                outcome: None,
            }));
    }

    fn notice(&mut self, req: CreateNoticeRequest) {
        self.steps.push(Step::Notice(Box::new(req)));
    }

    fn notice_on(&mut self, kind: &str, on: NaiveDate, more: CreateNoticeRequest) {
        let on = on.min(self.today);
        self.notice(CreateNoticeRequest {
            kind: kind.into(),
            sent_on: Some(on),
            ..more
        });
    }

    /// The legal track of the case: a termination served and its formulär 3, a first contact
    /// attempt some days later, then the way the cycle ends.
    pub(super) fn legal(&mut self, ending: Legal) {
        let start = match ending {
            Legal::Recent => self.rng.days_ago(self.today, 2, 40),
            _ => self.rng.days_ago(self.today, 100, 420),
        };
        let days = |n: i64| start + TimeDelta::days(n);
        let amount = self.rng.range(6, 40) * 1000;
        self.notice(CreateNoticeRequest {
            kind: "termination_served".into(),
            sent_on: Some(start),
            served_on: Some(days(1).min(self.today)),
            apartment_size_m2: Some(54),
            ..CreateNoticeRequest::default()
        });
        let received = days(2).min(self.today);
        self.notice(CreateNoticeRequest {
            kind: "social_notice_received".into(),
            sent_on: Some(days(1).min(self.today)),
            received_on: Some(received),
            amount_to_reinstate: Some(amount),
            apartment_size_m2: Some(54),
            ..CreateNoticeRequest::default()
        });
        if self.rng.chance(85) {
            let on = (received + TimeDelta::days(self.rng.range(0, 25))).min(self.today);
            self.steps
                .push(Step::Intervention(CreateInterventionRequest {
                    kind: self
                        .rng
                        .pick(&[Kind::PhoneCall, Kind::OutreachLetter, Kind::HomeVisit]),
                    status: Some(InterventionStatus::Completed),
                    started_on: Some(on),
                    ended_on: Some(on),
                    amount: None,
                    outcome: None,
                }));
        }
        let none = CreateNoticeRequest::default;
        match ending {
            Legal::Paid => {
                let on = days(self.rng.range(5, 18));
                self.notice_on(
                    "payment_confirmed",
                    on,
                    CreateNoticeRequest {
                        amount_paid: Some(amount),
                        ..none()
                    },
                );
            }
            Legal::Commitment => {
                let delivered = days(self.rng.range(8, 20));
                self.notice_on(
                    "rent_commitment_issued",
                    delivered - TimeDelta::days(1),
                    CreateNoticeRequest {
                        delivered_on: Some(delivered.min(self.today)),
                        ..none()
                    },
                );
            }
            Legal::PaymentPlan => {
                let on = days(self.rng.range(20, 40)).min(self.today);
                self.steps
                    .push(Step::Intervention(CreateInterventionRequest {
                        kind: Kind::PaymentPlan,
                        status: Some(InterventionStatus::Ongoing),
                        started_on: Some(on),
                        ended_on: None,
                        amount: None,
                        outcome: None,
                    }));
            }
            Legal::Withdrawn => {
                self.notice_on("kfm_application_received", days(40), none());
                let on = days(self.rng.range(50, 80));
                self.notice_on("kfm_withdrawn", on, none());
            }
            Legal::Evicted => {
                self.notice_on("kfm_application_received", days(40), none());
                let children = self.children;
                let outcome = if self.rng.chance(85) {
                    "executed"
                } else {
                    self.rng.pick(&["abandoned", "moved_voluntarily"])
                };
                let executed = outcome == "executed";
                let social = self.rng.chance(60);
                let on = days(self.rng.range(80, 95));
                self.notice_on(
                    "kfm_executed",
                    on,
                    CreateNoticeRequest {
                        execution_outcome: Some(outcome.into()),
                        children_present: (executed && children).then_some(true),
                        social_services_present: (executed && children).then_some(social),
                        ..none()
                    },
                );
            }
            // A current cycle: sometimes the board promises to pay (the rent-commitment flow, so
            // that the statistics' commitments and amounts have figures).
            Legal::Recent if self.rng.chance(35) => {
                let months = i32::try_from(self.rng.range(1, 4)).unwrap_or(1);
                self.steps.push(Step::RentCommitment { amount, months });
            }
            Legal::Lapsed | Legal::Recent => {}
        }
    }

    pub(super) fn triage(&mut self) {
        self.go(CaseStatus::Triage);
        self.note(50, NOTE_ARREARS);
    }

    pub(super) fn outreach(&mut self) {
        self.go(CaseStatus::Outreach);
        self.intervention(Kind::OutreachLetter, true, None);
        if self.rng.chance(50) {
            self.intervention(Kind::PhoneCall, true, None);
            self.note(100, NOTE_NO_ANSWER);
        }
    }

    pub(super) fn active(&mut self) {
        self.go(CaseStatus::Active);
        self.intervention(Kind::HomeVisit, true, None);
        self.note(100, NOTE_HOME_VISIT);
        if self.children {
            self.intervention(Kind::ChildWelfareCheck, true, None);
            self.note(100, NOTE_CHILDREN);
        }
        let kinds = [
            Kind::BudgetAndDebtAdvice,
            Kind::MeetingWithLandlord,
            Kind::Referral,
        ];
        let kind = self.rng.pick(&kinds);
        let done = self.rng.chance(50);
        self.intervention(kind, done, None);
    }

    pub(super) fn follow_up(&mut self) {
        match self.rng.below(3) {
            0 => {
                self.intervention(Kind::PaymentPlan, false, None);
                self.note(100, NOTE_PAYMENT_PLAN);
            }
            1 => {
                let amount = self.rng.range(8, 60) * 500;
                self.intervention(Kind::FinancialAssistance, true, Some(amount));
                self.note(100, NOTE_ASSISTANCE);
            }
            _ => {
                let amount = self.rng.range(10, 40) * 1000;
                self.intervention(Kind::RentCommitment, true, Some(amount));
            }
        }
        self.go(CaseStatus::FollowUp);
        self.note(50, NOTE_PAID);
    }

    pub(super) fn close(&mut self, outcome: Outcome, decision: Option<Decision>) {
        let situation = match outcome {
            Outcome::EvictedHomeless => Some(self.rng.pick(&[1, 2])),
            Outcome::EvictedOther | Outcome::MovedFamilyFriends => Some(self.rng.pick(&[3, 4])),
            _ => None,
        };
        self.steps.push(Step::Close {
            outcome,
            situation,
            decision,
        });
    }

    /// A closed case, by one of the ways cases end.
    pub(super) fn closed(&mut self) {
        let outcome = match self.rng.weighted(&[(0, 10), (1, 15), (2, 50), (3, 25)]) {
            0 => Outcome::NotApplicable,
            1 => {
                self.triage();
                self.outreach();
                Outcome::NoContact
            }
            2 => {
                self.triage();
                self.active();
                self.follow_up();
                use Outcome::*;
                self.rng
                    .pick(&[RetainedPaid, RetainedPaymentPlan, RetainedRentCommitment])
            }
            _ => {
                self.triage();
                self.active();
                self.intervention(Kind::HousingSearch, true, None);
                use Outcome::*;
                self.rng.pick(&[
                    MovedNewTenancy,
                    MovedMunicipalContract,
                    MovedFamilyFriends,
                    EvictedHomeless,
                    EvictedOther,
                ])
            }
        };
        let legal = match outcome {
            Outcome::RetainedPaid => Some(Legal::Paid),
            Outcome::RetainedRentCommitment => Some(Legal::Commitment),
            Outcome::RetainedPaymentPlan => Some(Legal::PaymentPlan),
            Outcome::EvictedHomeless | Outcome::EvictedOther => Some(Legal::Evicted),
            Outcome::MovedNewTenancy | Outcome::MovedFamilyFriends => Some(Legal::Withdrawn),
            Outcome::MovedMunicipalContract | Outcome::NoContact => Some(Legal::Lapsed),
            Outcome::NotApplicable => None,
        };
        if let Some(l) = legal {
            // The legal events come first: they are what brought the case.
            let story = std::mem::take(&mut self.steps);
            self.legal(l);
            self.steps.extend(story);
        }
        self.close(outcome, Some(Decision::Approve));
    }

    /// The steps to `target`. `files_requests`: the actor is a caseworker on a case with
    /// children, so closing files a closure request.
    pub(super) fn to(mut self, target: CaseStatus, files_requests: bool) -> Vec<Step> {
        if !matches!(
            target,
            CaseStatus::New | CaseStatus::Closed | CaseStatus::Reopened
        ) && self.rng.chance(60)
        {
            let ending = self
                .rng
                .pick(&[Legal::Recent, Legal::Recent, Legal::Lapsed, Legal::Paid]);
            self.legal(ending);
        }
        match target {
            CaseStatus::New => {}
            CaseStatus::Triage => self.triage(),
            CaseStatus::Outreach => {
                self.triage();
                self.outreach();
            }
            CaseStatus::Active => {
                self.triage();
                if self.rng.chance(40) {
                    self.outreach();
                }
                self.active();
            }
            CaseStatus::FollowUp => {
                self.triage();
                self.active();
                self.follow_up();
                // Some closure requests wait on the supervisor's desk; some were turned down.
                if files_requests && self.rng.chance(50) {
                    let decision = self.rng.chance(35).then_some(Decision::Reject);
                    self.close(Outcome::RetainedPaymentPlan, decision);
                }
            }
            CaseStatus::Closed => self.closed(),
            CaseStatus::Reopened => {
                self.closed();
                self.go(CaseStatus::Reopened);
            }
        }
        self.steps
    }
}

/// One household, its tenancy and the story of its case.
pub(super) struct Plan {
    pub(super) unit: usize,
    pub(super) assignee: Option<usize>,
    pub(super) risk: Option<RiskLevel>,
    pub(super) protected: bool,
    pub(super) members: Vec<Person>,
    pub(super) tenancy: CreateTenancyRequest,
    /// The day a municipal second-hand contract became first-hand (PATCH after creation).
    pub(super) converted_on: Option<NaiveDate>,
    pub(super) steps: Vec<Step>,
}

pub(super) const STATUS_WEIGHTS: [(CaseStatus, usize); 7] = [
    (CaseStatus::New, 10),
    (CaseStatus::Triage, 12),
    (CaseStatus::Outreach, 10),
    (CaseStatus::Active, 22),
    (CaseStatus::FollowUp, 14),
    (CaseStatus::Closed, 24),
    (CaseStatus::Reopened, 8),
];

/// Every household's plan, alternating between the units. The first fourteen give each unit a
/// case in every status.
pub(super) fn plans(rng: &mut Rng, n: usize, today: NaiveDate) -> Vec<Plan> {
    use RiskLevel::{Critical, High, Low, Medium};
    let mut taken = HashSet::new();
    (0..n)
        .map(|i| {
            let target = match CaseStatus::ALL.get(i / 2) {
                Some(s) => *s,
                None => rng.weighted(&STATUS_WEIGHTS),
            };
            let members = members(rng, today, &mut taken);
            let children = members.iter().any(|m| m.relation == Relation::Child);
            let opened = target != CaseStatus::New;
            let assignee = (opened && rng.chance(80)).then(|| rng.below(2));
            let risks = if children {
                [Medium, High, High, Critical]
            } else {
                [Low, Medium, Medium, High]
            };
            let risk = opened.then(|| rng.pick(&risks));
            let address = Address {
                street: format!("{} {}", rng.word(STREETS), rng.range(1, 60)),
                postal_code: format!("999 {}", rng.range(10, 49)),
                city: "Kvarby".into(),
                municipality_code: MUNICIPALITY_CODE.into(),
            };
            let tenancy = tenancy(rng, today, members.len(), address);
            // Half the municipal second-hand contracts become first-hand after 10–25 months
            // (the statistics' conversions at 18 and 24 months).
            let converted_on = match (&tenancy.contract_type, tenancy.start_on) {
                (ContractType::MunicipalSecondHand, Some(start)) if rng.chance(50) => {
                    Some(start + TimeDelta::days(rng.range(300, 760))).filter(|d| *d <= today)
                }
                _ => None,
            };
            let story = Story {
                rng: &mut *rng,
                today,
                children,
                steps: Vec::new(),
            };
            let steps = story.to(target, children && assignee.is_some());
            Plan {
                unit: i % 2,
                assignee,
                risk,
                protected: rng.chance(2),
                members,
                tenancy,
                converted_on,
                steps,
            }
        })
        .collect()
}
