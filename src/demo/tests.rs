use std::collections::HashSet;

use chrono::NaiveDate;

use crate::cases::dto::Decision;
use crate::domain::personnummer::Personnummer;
use crate::domain::workflow::CaseStatus;
use crate::domain::workflow::is_allowed;
use crate::households::dto::Relation;

use super::people::{Rng, org_number, personnummer};
use super::story::{Step, plans};

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
