//! Request and response shapes for households and tenancies, and their validation.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::personnummer::Personnummer;
use crate::domain::text_enum::text_enum;
use crate::error::FieldError;

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub street: String,
    /// Five digits, optionally `NNN NN`.
    #[schema(pattern = "^ *([0-9] *){5}$")]
    pub postal_code: String,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub city: String,
    /// The 4-digit kommunkod.
    #[schema(pattern = "^[0-9]{4}$")]
    pub municipality_code: String,
}

text_enum! {
    #[derive(Deserialize, Serialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Relation ("relation", UnknownRelation) {
        #[serde(rename = "self")]
        Head => "self",
        Partner => "partner",
        Child => "child",
        Other => "other",
    }
}

text_enum! {
    #[derive(Deserialize, Serialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Residence ("residence", UnknownResidence) {
        Permanent => "permanent",
        Alternating => "alternating",
        Visiting => "visiting",
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    /// Personnummer or samordningsnummer in any common form.
    pub personnummer: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub name: String,
    pub relation: Relation,
    /// For children: where they live.
    pub residence: Option<Residence>,
    /// Skyddad identitet.
    #[serde(default)]
    pub protected_identity: bool,
}

/// `POST /households`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateHouseholdRequest {
    pub address: Address,
    #[schema(min_items = 1, max_items = 20)]
    pub members: Vec<MemberInput>,
}

/// A member after validation.
pub struct NewMember {
    pub personnummer: Personnummer,
    pub name: String,
    pub relation: Relation,
    pub residence: Option<Residence>,
    pub protected_identity: bool,
}

fn text(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    if value.trim().is_empty() || value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("must be 1–{max} characters"),
        ));
    }
}

pub fn is_municipality_code(code: &str) -> bool {
    code.len() == 4 && code.chars().all(|c| c.is_ascii_digit())
}

/// Validate an address; `prefix` names it in field errors.
pub fn check_address(a: &Address, prefix: &str, errors: &mut Vec<FieldError>) {
    text(errors, &format!("{prefix}.street"), &a.street, 200);
    text(errors, &format!("{prefix}.city"), &a.city, 100);
    let digits: String = a.postal_code.chars().filter(|c| *c != ' ').collect();
    if digits.len() != 5 || !digits.chars().all(|c| c.is_ascii_digit()) {
        errors.push(FieldError::new(
            format!("{prefix}.postal_code"),
            "must be five digits",
        ));
    }
    if !is_municipality_code(&a.municipality_code) {
        errors.push(FieldError::new(
            format!("{prefix}.municipality_code"),
            "must be 4 digits (kommunkod)",
        ));
    }
}

impl CreateHouseholdRequest {
    /// Every field error at once, or the validated members.
    pub fn validate(&self) -> Result<Vec<NewMember>, Vec<FieldError>> {
        let mut errors = Vec::new();
        check_address(&self.address, "address", &mut errors);
        if self.members.is_empty() || self.members.len() > 20 {
            errors.push(FieldError::new("members", "must list 1–20 members"));
        }
        if self
            .members
            .iter()
            .filter(|m| m.relation == Relation::Head)
            .count()
            > 1
        {
            errors.push(FieldError::new(
                "members",
                "may have at most one member with relation self",
            ));
        }
        let mut out = Vec::new();
        let mut seen = Vec::new();
        for (i, m) in self.members.iter().enumerate() {
            text(&mut errors, &format!("members[{i}].name"), &m.name, 200);
            if m.residence.is_some() && m.relation != Relation::Child {
                errors.push(FieldError::new(
                    format!("members[{i}].residence"),
                    "is only for children",
                ));
            }
            match Personnummer::parse(&m.personnummer) {
                Ok(p) if seen.contains(&p.canonical()) => {
                    errors.push(FieldError::new(
                        format!("members[{i}].personnummer"),
                        "appears twice",
                    ));
                }
                Ok(p) => {
                    seen.push(p.canonical());
                    out.push(NewMember {
                        personnummer: p,
                        name: m.name.trim().to_owned(),
                        relation: m.relation,
                        residence: m.residence,
                        protected_identity: m.protected_identity,
                    });
                }
                Err(e) => errors.push(FieldError::new(
                    format!("members[{i}].personnummer"),
                    e.to_string(),
                )),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberResponse {
    pub person_id: String,
    /// In full only in the household view; `YYYYMMDD-****` elsewhere.
    pub personnummer: String,
    pub name: String,
    pub relation: String,
    pub is_minor: bool,
    pub residence: Option<String>,
    pub protected_identity: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdResponse {
    pub id: String,
    pub address: Address,
    pub members: Vec<MemberResponse>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

text_enum! {
    #[derive(Deserialize, Serialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum ContractType ("contract type", UnknownContractType) {
        FirstHand => "first_hand",
        MunicipalSecondHand => "municipal_second_hand",
        Sublet => "sublet",
        Other => "other",
    }
}

/// A second-hand contract that converts to first-hand after some months.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversionAgreement {
    /// Months until first-hand (default 18).
    #[schema(minimum = 1, maximum = 120)]
    pub months: Option<i32>,
    #[schema(max_length = 2000)]
    pub conditions: Option<String>,
    pub review_on: Option<NaiveDate>,
}

/// `POST /tenancies`. Amounts are whole kronor.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenancyRequest {
    pub household_id: String,
    pub landlord_organization_id: String,
    pub address: Address,
    #[schema(
        min_length = 1,
        max_length = 20,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub apartment_number: String,
    #[schema(minimum = 1, maximum = 20)]
    pub rooms: Option<i32>,
    #[schema(minimum = 5, maximum = 1000)]
    pub size_m2: Option<i32>,
    #[schema(minimum = 0, maximum = 1000000)]
    pub monthly_rent: i64,
    pub contract_type: ContractType,
    pub start_on: Option<NaiveDate>,
    pub end_on: Option<NaiveDate>,
    pub conversion: Option<ConversionAgreement>,
}

impl CreateTenancyRequest {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        check_address(&self.address, "address", &mut errors);
        text(&mut errors, "apartment_number", &self.apartment_number, 20);
        if self.rooms.is_some_and(|r| !(1..=20).contains(&r)) {
            errors.push(FieldError::new("rooms", "must be 1–20"));
        }
        if self.size_m2.is_some_and(|s| !(5..=1000).contains(&s)) {
            errors.push(FieldError::new("size_m2", "must be 5–1000"));
        }
        if !(0..=1_000_000).contains(&self.monthly_rent) {
            errors.push(FieldError::new("monthly_rent", "must be 0–1000000 kronor"));
        }
        if let (Some(s), Some(e)) = (self.start_on, self.end_on)
            && e < s
        {
            errors.push(FieldError::new("end_on", "must not be before start_on"));
        }
        if let Some(c) = &self.conversion {
            if c.months.is_some_and(|m| !(1..=120).contains(&m)) {
                errors.push(FieldError::new("conversion.months", "must be 1–120"));
            }
            if c.conditions
                .as_ref()
                .is_some_and(|t| t.chars().count() > 2000)
            {
                errors.push(FieldError::new(
                    "conversion.conditions",
                    "must be at most 2000 characters",
                ));
            }
            if self.contract_type == ContractType::FirstHand {
                errors.push(FieldError::new(
                    "conversion",
                    "is only for second-hand contracts",
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenancyResponse {
    pub id: String,
    pub household_id: String,
    pub landlord_organization_id: String,
    pub address: Address,
    pub apartment_number: String,
    pub rooms: Option<i32>,
    pub size_m2: Option<i32>,
    pub monthly_rent: i64,
    pub contract_type: String,
    pub start_on: Option<NaiveDate>,
    pub end_on: Option<NaiveDate>,
    pub conversion: Option<ConversionAgreement>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}
