//! Fictional households: valid personnummer (birth date + three-digit birth number + Luhn check
//! digit over the ten-digit form `YYMMDDNNN`), names, addresses.

use std::collections::HashSet;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::rng::Rng;

/// A calendar date (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i64,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Today in UTC.
    pub fn today() -> Date {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days((secs / 86_400) as i64)
    }

    /// The date `days` days after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date { year, month, day }
    }

    /// Days since 1970-01-01 (`days_from_civil`).
    pub fn to_days(self) -> i64 {
        let y = self.year - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(self.month);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

/// Luhn check digit of nine digits, as the personnummer uses it (weights 2,1,2,1,…).
pub fn luhn_check_digit(digits: &[u8; 9]) -> u8 {
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let p = u32::from(d) * if i % 2 == 0 { 2 } else { 1 };
            p / 10 + p % 10
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// The twelve-digit form `YYYYMMDD-NNNC` of a person born on `born` with birth number `serial`.
pub fn personnummer(born: Date, serial: u16) -> String {
    let yy = born.year.rem_euclid(100) as u32;
    let ten = format!(
        "{yy:02}{:02}{:02}{:03}",
        born.month,
        born.day,
        serial % 1000
    );
    let mut nine = [0u8; 9];
    for (slot, c) in nine.iter_mut().zip(ten.bytes()) {
        *slot = c - b'0';
    }
    let check = luhn_check_digit(&nine);
    format!(
        "{:04}{:02}{:02}-{:03}{check}",
        born.year,
        born.month,
        born.day,
        serial % 1000
    )
}

const GIVEN: &[&str] = &[
    "Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Sara", "Mohammed", "Elin", "Ahmed",
    "Linnea", "Oskar", "Fatima", "Nils", "Aino", "Milan", "Ebba", "Hugo", "Leila", "Sven",
];
const FAMILY: &[&str] = &[
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Hassan",
    "Ali",
    "Lindqvist",
    "Berg",
    "Nyström",
    "Jovanović",
];
const STREETS: &[&str] = &[
    "Storgatan",
    "Kyrkogatan",
    "Skolvägen",
    "Björkvägen",
    "Ringvägen",
    "Parkgatan",
];
const CITY: &str = "Bänkeby";

/// One member of a generated household.
#[derive(Debug, Clone)]
pub struct Member {
    pub personnummer: String,
    pub name: String,
    pub relation: &'static str,
    pub residence: Option<&'static str>,
}

/// One generated household with its tenancy.
#[derive(Debug, Clone)]
pub struct Household {
    pub street: String,
    pub postal_code: String,
    pub apartment_number: String,
    pub monthly_rent: i64,
    pub rooms: i64,
    pub size_m2: i64,
    pub members: Vec<Member>,
}

impl Household {
    pub fn address(&self, municipality_code: &str) -> Value {
        json!({
            "street": self.street,
            "postal_code": self.postal_code,
            "city": CITY,
            "municipality_code": municipality_code,
        })
    }

    pub fn create_request(&self, municipality_code: &str) -> Value {
        let members: Vec<Value> = self
            .members
            .iter()
            .map(|m| {
                let mut v = json!({
                    "personnummer": m.personnummer,
                    "name": m.name,
                    "relation": m.relation,
                });
                if let Some(r) = m.residence {
                    v["residence"] = json!(r);
                }
                v
            })
            .collect();
        json!({"address": self.address(municipality_code), "members": members})
    }
}

/// Generates households whose members all have distinct personnummer.
pub struct Generator {
    rng: Rng,
    today: Date,
    used: HashSet<String>,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        Generator {
            rng: Rng::seeded(seed),
            today: Date::today(),
            used: HashSet::new(),
        }
    }

    /// Someone aged `min..=max` whole years (born at least two days ago, so no time zone makes
    /// the birth date lie in the future).
    fn person(&mut self, min_age: i64, max_age: i64) -> String {
        let latest = self.today.to_days() - 2 - min_age * 365;
        let earliest = self.today.to_days() - (max_age + 1) * 365 + 2;
        loop {
            let born = Date::from_days(self.rng.range(earliest, latest));
            let pnr = personnummer(born, self.rng.below(1000) as u16);
            if self.used.insert(pnr.clone()) {
                return pnr;
            }
        }
    }

    fn name(&mut self, family: &str) -> String {
        format!("{} {family}", self.rng.pick(GIVEN))
    }

    /// Household number `i`: 1–4 members, the first an adult; about half with children.
    pub fn household(&mut self, i: usize) -> Household {
        let size = match self.rng.below(100) {
            0..35 => 1,
            35..65 => 2,
            65..85 => 3,
            _ => 4,
        };
        let family = *self.rng.pick(FAMILY);
        let mut members = vec![Member {
            personnummer: self.person(19, 85),
            name: self.name(family),
            relation: "self",
            residence: None,
        }];
        for k in 1..size {
            let member = if k == 1 && self.rng.chance(50) {
                Member {
                    personnummer: self.person(19, 85),
                    name: self.name(family),
                    relation: "partner",
                    residence: None,
                }
            } else {
                Member {
                    personnummer: self.person(0, 17),
                    name: self.name(family),
                    relation: "child",
                    residence: Some(if self.rng.chance(80) {
                        "permanent"
                    } else {
                        "alternating"
                    }),
                }
            };
            members.push(member);
        }
        Household {
            street: format!("{} {}", self.rng.pick(STREETS), 1 + i % 150),
            postal_code: format!("{:05}", 10_000 + (i * 7) % 89_999),
            apartment_number: format!("{}", 1001 + i),
            monthly_rent: self.rng.range(4_500, 16_000),
            rooms: self.rng.range(1, 5),
            size_m2: self.rng.range(25, 120),
            members,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_matches_skatteverkets_example() {
        // 811218-9876 is the textbook example of a valid personnummer.
        assert_eq!(luhn_check_digit(&[8, 1, 1, 2, 1, 8, 9, 8, 7]), 6);
        let born = Date {
            year: 1981,
            month: 12,
            day: 18,
        };
        assert_eq!(personnummer(born, 987), "19811218-9876");
    }

    #[test]
    fn dates_round_trip() {
        for days in [-800_000, -1, 0, 1, 59, 10_956, 20_000, 60_000] {
            assert_eq!(Date::from_days(days).to_days(), days);
        }
        assert_eq!(
            Date::from_days(0),
            Date {
                year: 1970,
                month: 1,
                day: 1
            }
        );
        assert_eq!(
            Date::from_days(11_016),
            Date {
                year: 2000,
                month: 2,
                day: 29
            }
        );
    }

    #[test]
    fn generated_households_are_valid_and_distinct() {
        let mut g = Generator::new(7);
        let mut seen = HashSet::new();
        for i in 0..500 {
            let h = g.household(i);
            assert!((1..=4).contains(&h.members.len()));
            assert_eq!(h.members[0].relation, "self");
            for m in &h.members {
                assert!(seen.insert(m.personnummer.clone()));
                assert_eq!(m.personnummer.len(), 13);
            }
        }
    }
}
