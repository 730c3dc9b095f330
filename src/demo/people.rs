//! The made-up people: a seeded generator, Swedish names, personnummer and organisation
//! numbers, household members and their tenancy.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate, TimeDelta};

use crate::households::dto::{
    Address, ContractType, ConversionAgreement, CreateTenancyRequest, Relation, Residence,
};

/// SplitMix64, shared with the access review's sample.
pub(crate) use crate::domain::rng::Rng;

impl Rng {
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
pub(super) fn luhn_check_digit(digits: &str) -> u32 {
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
pub(super) fn org_number(nine: &str) -> String {
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
pub(super) struct Person {
    pub(super) born: NaiveDate,
    pub(super) male: bool,
    pub(super) coordination: bool,
    /// `YYYYMMDD-NNNC`.
    pub(super) pnr: String,
    pub(super) name: String,
    pub(super) relation: Relation,
    pub(super) residence: Option<Residence>,
}

/// A number not drawn before (`taken` remembers them).
pub(super) fn fresh_personnummer(rng: &mut Rng, p: &Person, taken: &mut HashSet<String>) -> String {
    loop {
        let pnr = personnummer(rng, p.born, p.male, p.coordination);
        if taken.insert(pnr.clone()) {
            return pnr;
        }
    }
}

pub(super) const RESIDENCES: [(Residence, usize); 3] = [
    (Residence::Permanent, 80),
    (Residence::Alternating, 15),
    (Residence::Visiting, 5),
];

/// One to five members: about 40% of households have children, a few adults a
/// samordningsnummer.
pub(super) fn members(rng: &mut Rng, today: NaiveDate, taken: &mut HashSet<String>) -> Vec<Person> {
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

pub(super) fn tenancy(
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
        // A municipal second-hand contract is a recent step out of homelessness.
        start_on: Some(match contract_type {
            ContractType::MunicipalSecondHand => rng.days_ago(today, 200, 1100),
            _ => rng.days_ago(today, 200, 6000),
        }),
        end_on: None,
        conversion,
    }
}
