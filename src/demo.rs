//! `kvar demo`: a demo municipality (two units, a user of every role, households with tenancies
//! and cases in every status, some with children) so a newcomer can explore the API at once.
//!
//! Everything goes through the service functions the HTTP handlers call, acting as the demo
//! users, so the data is what the API itself would have written: encrypted identities with their
//! blind index, an audit event in every transaction, an access-log entry for every person shown,
//! statuses reached only by legal transitions, closures of cases with children filed by the
//! caseworker and approved by the supervisor. Only the content is made up here, by a seeded
//! SplitMix64: the same `--seed` on a fresh database on the same day (ages are relative to today)
//! gives the same households.

use std::collections::HashSet;
use std::time::Instant;

use chrono::{Datelike, NaiveDate, TimeDelta};
use futures_util::StreamExt;

use crate::auth::{Principal, Role};
use crate::cases::dto::{
    CaseResponse, ClosureDecisionRequest, ClosureRequestResponse, CreateCaseRequest, Decision,
    RiskLevel, TransitionRequest, UpdateCaseRequest,
};
use crate::cases::interventions::{self, CreateInterventionRequest};
use crate::cases::interventions::{InterventionKind as Kind, InterventionStatus};
use crate::cases::notes::{self, CreateNoteRequest};
use crate::cases::transitions::{self, Transitioned};
use crate::config::{Environment, Settings};
use crate::crypto::Keys;
use crate::domain::outcome::Outcome;
use crate::domain::personnummer::Personnummer;
use crate::domain::states::UserStatus;
use crate::domain::workflow::CaseStatus;
use crate::error::ApiError;
use crate::households::dto::{
    Address, ContractType, ConversionAgreement, CreateHouseholdRequest, CreateTenancyRequest,
    MemberInput, Relation, Residence,
};
use crate::http::etag::IfMatch;
use crate::organizations::dto::{CreateOrganizationRequest, CreateUnitRequest, OrganizationKind};
use crate::state::AppState;
use crate::users::dto::{CreateUserRequest, UserResponse};

/// The demo municipality's kommunkod: four digits no real Swedish municipality has.
pub const MUNICIPALITY_CODE: &str = "9999";
pub const MUNICIPALITY_NAME: &str = "Kvarby kommun";
pub const LANDLORD_NAME: &str = "Kvarby Bostäder AB";
const UNITS: [&str; 2] = ["Bostadsteamet Norr", "Bostadsteamet Söder"];

/// What `kvar demo` was asked for.
pub struct Options {
    pub households: u32,
    pub seed: Option<u64>,
}

/// `kvar demo`: Ok(true) when seeded; Err with a message for the terminal otherwise.
pub fn run(settings: Settings, keys: Keys, opts: Options) -> Result<bool, String> {
    if settings.env == Environment::Production {
        return Err(
            "refusing to create demo users with a shared password where \
                    KVAR_ENV=production"
                .into(),
        );
    }
    let started = Instant::now();
    let seed = opts.seed.unwrap_or_else(clock_seed);
    let (state, first) = crate::app::prepare(settings, keys)?;
    if let Some(crate::bootstrap::FirstStart::Generated(pw)) = first {
        println!(
            "First start: created the platform admin \"admin\", password \"{pw}\" (shown once)."
        );
    }
    let report = actix_web::rt::System::new().block_on(seed_all(&state, opts.households, seed))?;
    report.print(seed, started);
    Ok(true)
}

pub(crate) fn clock_seed() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    now.as_secs() ^ u64::from(now.subsec_nanos()).rotate_left(32)
}

// ---------------------------------------------------------------------------------------------
// The content: households, tenancies and the story of each case, made before anything is written.

/// SplitMix64: tiny, fast, and good enough for fictional households.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 0..n.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }

    /// lo..=hi.
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = usize::try_from(hi - lo + 1).unwrap_or(1);
        lo + i64::try_from(self.below(span)).unwrap_or(0)
    }

    pub(crate) fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// A word of a space-separated list.
    pub(crate) fn word(&mut self, list: &'static str) -> &'static str {
        let i = self.below(list.split_whitespace().count());
        list.split_whitespace().nth(i).unwrap_or(list)
    }

    pub(crate) fn weighted<T: Copy>(&mut self, items: &[(T, usize)]) -> T {
        let mut x = self.below(items.iter().map(|(_, w)| w).sum());
        for &(item, w) in items {
            if x < w {
                return item;
            }
            x -= w;
        }
        items[0].0
    }

    pub(crate) fn days_ago(&mut self, today: NaiveDate, min: i64, max: i64) -> NaiveDate {
        today - TimeDelta::days(self.range(min, max))
    }
}

pub(crate) const FEMALE: &str = "Anna Eva Maria Karin Sara Lena Emma Kristina Elin Ida Johanna Linnea Fatima \
    Amira Sofia Maja Hanna Ebba Alice Wilma Elsa Agnes Leila Zeynep Aisha Åsa";
pub(crate) const MALE: &str = "Erik Lars Anders Johan Per Karl Mikael Ahmed Mohammed Ali Oskar William Liam \
    Hugo Elias Noah Lucas Adam Viktor Emil Omar Yusuf Daniel Filip Nils Örjan";
pub(crate) const SURNAMES: &str = "Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson \
    Svensson Gustafsson Pettersson Jonsson Lindberg Lindqvist Berg Holm Ek Lund Sandberg Hassan \
    Mohamed Yilmaz Nguyen Ahmadi Abdi Virtanen Nowak Lindström Forsberg Sjögren Ström Åberg Öberg";
pub(crate) const STREETS: &str = "Kvarnvägen Björkgatan Storgatan Skolgatan Ängsvägen Lärkstigen Tallbacken \
    Sjövägen Smedjegatan Parkvägen Mjölnarvägen Vallgatan";

/// Luhn check digit over `digits` with weights 2, 1, 2, … from the left (personnummer and
/// organisationsnummer alike).
fn luhn_check_digit(digits: &str) -> u32 {
    let sum: u32 = digits
        .chars()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                d * 2 / 10 + d * 2 % 10
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// `NNNNNN-NNNC` from nine digits.
fn org_number(nine: &str) -> String {
    let (a, b) = nine.split_at(6);
    format!("{a}-{b}{}", luhn_check_digit(nine))
}

/// `YYYYMMDD-NNNC` for `born`: day + 60 for a samordningsnummer; the birth number's last digit
/// is odd for men and even for women, and never 000.
pub(crate) fn personnummer(
    rng: &mut Rng,
    born: NaiveDate,
    male: bool,
    coordination: bool,
) -> String {
    let serial = match rng.below(100) * 10 + 2 * rng.below(5) + usize::from(male) {
        0 => 2, // 000 is no birth number; 0 is even, so this was a woman's number anyway
        n => n,
    };
    format_personnummer(born, serial, coordination)
}

/// `YYYYMMDD-NNNC` for `born` and birth number `serial` (day + 60 for a samordningsnummer).
pub(crate) fn format_personnummer(born: NaiveDate, serial: usize, coordination: bool) -> String {
    let day = born.day() + if coordination { 60 } else { 0 };
    let date = format!("{:04}{:02}{day:02}", born.year(), born.month());
    let check = luhn_check_digit(&format!("{}{serial:03}", &date[2..]));
    format!("{date}-{serial:03}{check}")
}

/// A fictional member of a household.
struct Person {
    born: NaiveDate,
    male: bool,
    coordination: bool,
    /// `YYYYMMDD-NNNC`.
    pnr: String,
    name: String,
    relation: Relation,
    residence: Option<Residence>,
}

/// A number not drawn before (`taken` remembers them).
fn fresh_personnummer(rng: &mut Rng, p: &Person, taken: &mut HashSet<String>) -> String {
    loop {
        let pnr = personnummer(rng, p.born, p.male, p.coordination);
        if taken.insert(pnr.clone()) {
            return pnr;
        }
    }
}

const RESIDENCES: [(Residence, usize); 3] = [
    (Residence::Permanent, 80),
    (Residence::Alternating, 15),
    (Residence::Visiting, 5),
];

/// One to five members: about 40% of households have children, a few adults a
/// samordningsnummer.
fn members(rng: &mut Rng, today: NaiveDate, taken: &mut HashSet<String>) -> Vec<Person> {
    let surname = rng.word(SURNAMES);
    let with_children = rng.chance(40);
    let adults = 1 + i64::from(rng.chance(if with_children { 45 } else { 30 }));
    let children = if with_children {
        rng.range(1, 5 - adults)
    } else {
        0
    };
    let head_days = rng.range(20 * 365, 75 * 365);
    (0..adults + children)
        .map(|i| {
            let (relation, days) = match i {
                0 => (Relation::Head, head_days),
                1 if adults == 2 => (
                    if rng.chance(85) {
                        Relation::Partner
                    } else {
                        Relation::Other
                    },
                    (head_days + rng.range(-6 * 365, 6 * 365)).max(19 * 365 + 30),
                ),
                _ => (Relation::Child, rng.range(30, 17 * 365)),
            };
            let male = rng.chance(50);
            let child = relation == Relation::Child;
            let residence = child.then(|| rng.weighted(&RESIDENCES));
            let mut p = Person {
                born: today - TimeDelta::days(days),
                male,
                coordination: !child && rng.chance(3),
                pnr: String::new(),
                name: format!("{} {surname}", rng.word(if male { MALE } else { FEMALE })),
                relation,
                residence,
            };
            p.pnr = fresh_personnummer(rng, &p, taken);
            p
        })
        .collect()
}

fn tenancy(
    rng: &mut Rng,
    today: NaiveDate,
    people: usize,
    address: Address,
) -> CreateTenancyRequest {
    let people = i32::try_from(people).unwrap_or(1);
    let rooms = (people.min(5) - i32::from(rng.chance(30))).max(1);
    let size = 22 + rooms * 22 + i32::try_from(rng.below(15)).unwrap_or(0);
    let contract_type = rng.weighted(&[
        (ContractType::FirstHand, 78),
        (ContractType::MunicipalSecondHand, 12),
        (ContractType::Sublet, 6),
        (ContractType::Other, 4),
    ]);
    let conversion =
        (contract_type == ContractType::MunicipalSecondHand).then(|| ConversionAgreement {
            months: Some(18),
            conditions: Some("Skötsamt boende och hyran betald i tid.".into()),
            review_on: Some(today + TimeDelta::days(rng.range(30, 300))),
        });
    CreateTenancyRequest {
        household_id: String::new(),
        landlord_organization_id: String::new(),
        address,
        apartment_number: format!("{}{:02}", 10 + rng.range(1, 6), rng.range(1, 4)),
        rooms: Some(rooms),
        size_m2: Some(size),
        monthly_rent: i64::from(size) * rng.range(95, 130) / 10 * 10,
        contract_type,
        start_on: Some(rng.days_ago(today, 200, 6000)),
        end_on: None,
        conversion,
    }
}

/// A step of a case's story, taken by its caseworker (its supervisor when unassigned).
enum Step {
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
}

/// Why a case moved (kept in the audit trail: no personal data).
fn move_reason(to: CaseStatus) -> &'static str {
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
const NOTE_ARREARS: &str = "Hyresvärden har meddelat en skuld motsvarande två månadshyror.";
const NOTE_NO_ANSWER: &str = "Telefonsamtal utan svar; brev skickat med förslag på mötestid.";
const NOTE_HOME_VISIT: &str = "Hembesök genomfört; hushållet vill ha hjälp med budget och skulder.";
const NOTE_CHILDREN: &str = "Barnens situation uppmärksammad; samverkan med familjeenheten.";
const NOTE_PAYMENT_PLAN: &str = "Avbetalningsplan upprättad tillsammans med hyresvärden.";
const NOTE_ASSISTANCE: &str = "Ekonomiskt bistånd till hyresskulden har beviljats.";
const NOTE_PAID: &str = "Hyran för de senaste tre månaderna är betald i tid.";

fn close_reason(o: Outcome) -> &'static str {
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
struct Story<'a> {
    rng: &'a mut Rng,
    today: NaiveDate,
    children: bool,
    steps: Vec<Step>,
}

impl Story<'_> {
    fn note(&mut self, percent: usize, body: &'static str) {
        if self.rng.chance(percent) {
            self.steps.push(Step::Note(body));
        }
    }

    fn go(&mut self, to: CaseStatus) {
        self.steps.push(Step::Move(to, move_reason(to)));
    }

    fn intervention(&mut self, kind: Kind, done: bool, amount: Option<i64>) {
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

    fn triage(&mut self) {
        self.go(CaseStatus::Triage);
        self.note(50, NOTE_ARREARS);
    }

    fn outreach(&mut self) {
        self.go(CaseStatus::Outreach);
        self.intervention(Kind::OutreachLetter, true, None);
        if self.rng.chance(50) {
            self.intervention(Kind::PhoneCall, true, None);
            self.note(100, NOTE_NO_ANSWER);
        }
    }

    fn active(&mut self) {
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

    fn follow_up(&mut self) {
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

    fn close(&mut self, outcome: Outcome, decision: Option<Decision>) {
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
    fn closed(&mut self) {
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
        self.close(outcome, Some(Decision::Approve));
    }

    /// The steps to `target`. `files_requests`: the actor is a caseworker on a case with
    /// children, so closing files a closure request.
    fn to(mut self, target: CaseStatus, files_requests: bool) -> Vec<Step> {
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
struct Plan {
    unit: usize,
    assignee: Option<usize>,
    risk: Option<RiskLevel>,
    protected: bool,
    members: Vec<Person>,
    tenancy: CreateTenancyRequest,
    steps: Vec<Step>,
}

const STATUS_WEIGHTS: [(CaseStatus, usize); 7] = [
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
fn plans(rng: &mut Rng, n: usize, today: NaiveDate) -> Vec<Plan> {
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
                steps,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Seeding through the services.

fn problem(e: ApiError) -> String {
    match e {
        ApiError::Conflict { detail, .. } => detail,
        ApiError::Validation(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// Who acts in the demo.
struct Cast {
    landlord_id: String,
    /// Per unit: the supervisor and the caseworkers.
    units: Vec<(Principal, Vec<Principal>)>,
    /// (username, role, where) for the summary.
    users: Vec<(String, Role, String)>,
}

/// (username, display name, role, unit).
const USERS: [(&str, &str, Role, Option<usize>); 10] = [
    ("demo.admin", "Karin Lind", Role::Admin, None),
    ("demo.supervisor1", "Eva Lund", Role::Supervisor, Some(0)),
    ("demo.supervisor2", "Johan Berg", Role::Supervisor, Some(1)),
    ("demo.caseworker1", "Sara Ek", Role::Caseworker, Some(0)),
    ("demo.caseworker2", "Ali Abdi", Role::Caseworker, Some(0)),
    ("demo.caseworker3", "Ida Holm", Role::Caseworker, Some(1)),
    ("demo.caseworker4", "Nils Ström", Role::Caseworker, Some(1)),
    ("demo.auditor", "Per Lindqvist", Role::Auditor, None),
    ("demo.analyst", "Maria Sjögren", Role::Analyst, None),
    ("demo.landlord", "Anders Forsberg", Role::Landlord, None),
];

fn principal(u: UserResponse, role: Role, org_kind: &str, request_id: &str) -> Principal {
    Principal {
        user_id: u.id,
        username: u.username,
        display_name: u.display_name,
        role,
        organization_id: u.organization_id,
        organization_kind: org_kind.into(),
        unit_id: u.unit_id,
        request_id: request_id.into(),
    }
}

/// The installation's platform administrator, who creates the demo organizations and users.
async fn platform_admin(st: &AppState, request_id: &str) -> Result<Principal, ApiError> {
    let request_id = request_id.to_owned();
    st.db
        .run(move |conn| {
            let org = crate::organizations::repo::find_by_kind(
                conn,
                crate::domain::states::OrganizationKind::Platform,
            )?
            .ok_or_else(|| ApiError::BadRequest("no platform organization".into()))?;
            let admin = crate::users::repo::list_scoped(conn, Some(&org.id), None, 1000)?
                .into_iter()
                .find(|u| u.role == Role::Admin && u.status == UserStatus::Active)
                .ok_or_else(|| ApiError::BadRequest("no active platform admin".into()))?;
            Ok(Principal {
                user_id: admin.id,
                username: admin.username,
                display_name: admin.display_name,
                role: Role::Admin,
                organization_id: org.id,
                organization_kind: org.kind.as_str().into(),
                unit_id: None,
                request_id,
            })
        })
        .await
}

/// Whether the demo municipality exists, and which demo usernames are taken.
async fn already_seeded(st: &AppState) -> Result<(bool, Vec<String>), ApiError> {
    st.db
        .run(|conn| {
            use crate::db::schema::organizations as o;
            use diesel::prelude::*;
            let municipality: i64 = o::table
                .filter(o::municipality_code.eq(MUNICIPALITY_CODE))
                .count()
                .get_result(conn)?;
            let mut taken = Vec::new();
            for (name, ..) in USERS {
                if crate::users::repo::find_by_username(conn, name)?.is_some() {
                    taken.push(name.to_owned());
                }
            }
            Ok((municipality > 0, taken))
        })
        .await
}

/// The organizations, units and users. Nothing is created when the demo municipality or a demo
/// username exists already.
async fn cast(st: &AppState, admin: &Principal, password: &str) -> Result<Cast, String> {
    let already = format!(
        "the demo municipality (municipality code {MUNICIPALITY_CODE}) already exists: `kvar demo` \
         seeds a database once; point DATABASE_URL at a fresh database for another demo"
    );
    let (exists, taken) = already_seeded(st).await.map_err(problem)?;
    if exists {
        return Err(already);
    }
    if !taken.is_empty() {
        return Err(format!(
            "demo usernames already in use: {}",
            taken.join(", ")
        ));
    }
    let org = |kind, name: &str, nine: &str, code: Option<&str>| CreateOrganizationRequest {
        kind,
        name: name.into(),
        org_number: Some(org_number(nine)),
        municipality_code: code.map(Into::into),
    };
    let orgs = crate::organizations::service::create;
    let municipality = orgs(
        &st.db,
        admin.clone(),
        org(
            OrganizationKind::Municipality,
            MUNICIPALITY_NAME,
            "212000999",
            Some(MUNICIPALITY_CODE),
        ),
    )
    .await
    .map_err(|e| match e {
        ApiError::Conflict { .. } => already.clone(), // another `kvar demo` got there first
        other => problem(other),
    })?;
    let landlord_org = org(OrganizationKind::Landlord, LANDLORD_NAME, "559999999", None);
    let landlord = orgs(&st.db, admin.clone(), landlord_org)
        .await
        .map_err(problem)?;
    let mut unit_ids = Vec::new();
    for name in UNITS {
        let req = CreateUnitRequest { name: name.into() };
        let unit = crate::organizations::service::create_unit(
            &st.db,
            admin.clone(),
            municipality.id.clone(),
            req,
        )
        .await
        .map_err(problem)?;
        unit_ids.push(unit.id);
    }
    // Hashing is the slow part and the hasher runs one per core: create the users together.
    let created = futures_util::future::join_all(USERS.into_iter().map(
        |(username, display_name, role, unit)| {
            let (org_id, org_kind, place) = match (role, unit) {
                (Role::Landlord, _) => (&landlord.id, "landlord", LANDLORD_NAME),
                (_, Some(u)) => (&municipality.id, "municipality", UNITS[u]),
                (_, None) => (&municipality.id, "municipality", MUNICIPALITY_NAME),
            };
            let req = CreateUserRequest {
                username: username.into(),
                password: password.into(),
                display_name: display_name.into(),
                role,
                organization_id: org_id.clone(),
                unit_id: unit.map(|u| unit_ids[u].clone()),
            };
            async move {
                let user = crate::users::service::create(st, admin.clone(), req).await?;
                Ok::<_, ApiError>((
                    principal(user, role, org_kind, &admin.request_id),
                    unit,
                    place,
                ))
            }
        },
    ))
    .await;
    let mut units: Vec<(Option<Principal>, Vec<Principal>)> = vec![(None, Vec::new()); UNITS.len()];
    let mut users = Vec::new();
    for r in created {
        let (p, unit, place) = r.map_err(problem)?;
        users.push((p.username.clone(), p.role, place.to_owned()));
        match (p.role, unit) {
            (Role::Supervisor, Some(u)) => units[u].0 = Some(p),
            (Role::Caseworker, Some(u)) => units[u].1.push(p),
            _ => {}
        }
    }
    let units = units
        .into_iter()
        .map(|(s, c)| s.map(|s| (s, c)))
        .collect::<Option<Vec<_>>>()
        .ok_or("a demo unit has no supervisor")?;
    Ok(Cast {
        landlord_id: landlord.id,
        units,
        users,
    })
}

/// A generated number that belongs to someone already in the database would put that person,
/// real name decrypted, into a demo household: draw another birth number for it.
async fn avoid_existing_people(
    st: &AppState,
    rng: &mut Rng,
    plans: &mut [Plan],
) -> Result<(), ApiError> {
    let mut all: HashSet<String> = plans
        .iter()
        .flat_map(|p| &p.members)
        .map(|m| m.pnr.clone())
        .collect();
    let mut check: Vec<String> = all.iter().cloned().collect();
    while !check.is_empty() {
        let blind = st.blind.clone();
        let existing: HashSet<String> = st
            .db
            .run(move |conn| {
                let mut existing = HashSet::new();
                for n in check {
                    let pnr = Personnummer::parse(&n)
                        .map_err(|e| ApiError::Internal(format!("generated personnummer: {e}")))?;
                    if crate::persons::repo::find_by_pnr(conn, &blind, &pnr)?.is_some() {
                        existing.insert(n);
                    }
                }
                Ok(existing)
            })
            .await?;
        check = Vec::new();
        for m in plans.iter_mut().flat_map(|p| p.members.iter_mut()) {
            if existing.contains(&m.pnr) {
                m.pnr = fresh_personnummer(rng, m, &mut all);
                check.push(m.pnr.clone());
            }
        }
    }
    Ok(())
}

/// What seeding made.
#[derive(Default)]
struct Tally {
    by_status: [usize; 7],
    households: usize,
    people: usize,
    with_children: usize,
    protected: usize,
    coordination: usize,
    notes: usize,
    interventions: usize,
    approved: usize,
    rejected: usize,
    pending: usize,
}

impl Tally {
    fn add(&mut self, o: &Tally) {
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
    }
}

/// `If-Match` for a version.
async fn if_match(version: i32) -> Result<IfMatch, ApiError> {
    Ok(IfMatch::of(version))
}

/// A case being played through its story.
struct CaseRun<'a> {
    st: &'a AppState,
    actor: &'a Principal,
    supervisor: &'a Principal,
    id: String,
    version: i32,
    status: String,
}

impl CaseRun<'_> {
    fn now(&mut self, c: CaseResponse) {
        self.version = c.version;
        self.status = c.status;
    }

    /// Move the case; a closure that needs a supervisor returns the request filed instead.
    async fn transition(
        &mut self,
        req: TransitionRequest,
    ) -> Result<Option<ClosureRequestResponse>, ApiError> {
        let v = if_match(self.version).await?;
        match transitions::transition(self.st, self.actor.clone(), self.id.clone(), v, req).await? {
            Transitioned::Moved(c) => {
                self.now(c);
                Ok(None)
            }
            Transitioned::AwaitingApproval(r) => Ok(Some(r)),
        }
    }

    async fn play(&mut self, step: Step, tally: &mut Tally) -> Result<(), ApiError> {
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
                let r = transitions::decide(self.st, self.supervisor.clone(), self.id.clone(), req)
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
                notes::create(self.st, self.actor.clone(), self.id.clone(), req).await?;
                tally.notes += 1;
            }
            Step::Intervention(req) => {
                interventions::create(self.st, self.actor.clone(), self.id.clone(), req).await?;
                tally.interventions += 1;
            }
        }
        Ok(())
    }
}

/// Seed one household, its tenancy and its case (by the unit's supervisor, who assigns it),
/// then play the case's story.
async fn household(st: &AppState, cast: &Cast, plan: Plan) -> Result<Tally, ApiError> {
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
    let h = crate::households::service::create(st, supervisor.clone(), req).await?;
    tenancy.household_id = h.id.clone();
    tenancy.landlord_organization_id = cast.landlord_id.clone();
    let t = crate::households::tenancy::create(st, supervisor.clone(), tenancy).await?;
    let req = CreateCaseRequest {
        household_id: h.id,
        tenancy_id: Some(t.id),
    };
    let case = crate::cases::service::create(st, supervisor.clone(), req).await?;
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
        run.now(crate::cases::service::update(st, supervisor.clone(), case.id, v, req).await?);
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
struct Report {
    tally: Tally,
    users: Vec<(String, Role, String)>,
    password: String,
    audit: String,
}

async fn seed_all(st: &AppState, households: u32, seed: u64) -> Result<Report, String> {
    let request_id = format!("demo-{}", crate::db::types::new_id());
    let admin = platform_admin(st, &request_id).await.map_err(problem)?;
    let password = crate::crypto::random::token();
    let cast = cast(st, &admin, &password).await?;
    let mut rng = Rng(seed);
    let n = usize::try_from(households).unwrap_or(0);
    let mut plans = plans(&mut rng, n, crate::domain::sweden::today());
    avoid_existing_people(st, &mut rng, &mut plans)
        .await
        .map_err(problem)?;
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
    fn print(&self, seed: u64, started: Instant) {
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
            "  closure requests: {} approved, {} rejected, {} pending; {} notes, {} interventions",
            t.approved, t.rejected, t.pending, t.notes, t.interventions
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::domain::workflow::is_allowed;

    fn today() -> NaiveDate {
        crate::domain::sweden::today()
    }

    #[test]
    fn demo_org_numbers_pass_the_organizations_check() {
        for nine in ["212000999", "559999999"] {
            let n = org_number(nine);
            assert_eq!(
                crate::organizations::service::parse_org_number(&n),
                Some(n.clone())
            );
        }
    }

    #[test]
    fn generated_personnummer_parse_back_with_birth_date_sex_and_kind() {
        let mut rng = Rng(7);
        for _ in 0..5000 {
            let born = rng.days_ago(today(), 30, 90 * 365);
            let male = rng.chance(50);
            let coordination = rng.chance(20);
            let s = personnummer(&mut rng, born, male, coordination);
            let p = Personnummer::parse(&s).expect(&s);
            assert_eq!(p.birth_date(), born, "{s}");
            assert_eq!(p.is_coordination_number(), coordination, "{s}");
            assert_eq!(p.formatted(), s);
            assert_eq!((s.as_bytes()[11] - b'0') % 2 == 1, male, "{s}");
        }
    }

    #[test]
    fn every_story_follows_the_transition_table() {
        let mut rng = Rng(11);
        for p in plans(&mut rng, 2000, today()) {
            let mut at = CaseStatus::New;
            for step in &p.steps {
                let (to, lands) = match step {
                    Step::Move(to, _) => (*to, true),
                    Step::Close { decision, .. } => {
                        (CaseStatus::Closed, *decision == Some(Decision::Approve))
                    }
                    _ => continue,
                };
                assert!(is_allowed(at, to), "{at} -> {to}");
                if lands {
                    at = to;
                }
            }
        }
    }

    #[test]
    fn households_have_one_to_five_members_and_about_four_in_ten_have_children() {
        let plans = plans(&mut Rng(3), 1000, today());
        let mut numbers = HashSet::new();
        let mut with_children = 0;
        for p in &plans {
            assert!((1..=5).contains(&p.members.len()));
            assert_eq!(
                p.members
                    .iter()
                    .filter(|m| m.relation == Relation::Head)
                    .count(),
                1
            );
            for m in &p.members {
                assert!(numbers.insert(m.pnr.clone()), "a number twice");
                let minor = Personnummer::parse(&m.pnr)
                    .expect("generated numbers are valid")
                    .is_minor_at(today());
                assert_eq!(minor, m.relation == Relation::Child, "{}", m.pnr);
            }
            with_children += usize::from(p.members.iter().any(|m| m.relation == Relation::Child));
            p.tenancy.validate().expect("generated tenancies are valid");
        }
        assert!((330..470).contains(&with_children), "{with_children}");
        let first: Vec<usize> = plans.iter().take(14).map(|p| p.unit).collect();
        assert_eq!(first, [0, 1].repeat(7));
    }

    #[test]
    fn the_same_seed_gives_the_same_households() {
        let names = |seed| -> Vec<String> {
            let plans = plans(&mut Rng(seed), 50, today());
            plans
                .iter()
                .flat_map(|p| &p.members)
                .map(|m| format!("{} {}", m.pnr, m.name))
                .collect()
        };
        assert_eq!(names(42), names(42));
        assert_ne!(names(42), names(43));
    }
}
