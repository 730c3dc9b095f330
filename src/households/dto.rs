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

pub fn text(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
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

impl MemberInput {
    /// Validate one member; field errors are named `{prefix}name` etc. None when invalid.
    pub fn check(&self, prefix: &str, errors: &mut Vec<FieldError>) -> Option<NewMember> {
        let before = errors.len();
        text(errors, &format!("{prefix}name"), &self.name, 200);
        if self.residence.is_some() && self.relation != Relation::Child {
            errors.push(FieldError::new(
                format!("{prefix}residence"),
                "is only for children",
            ));
        }
        let pnr = match Personnummer::parse(&self.personnummer) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push(FieldError::new(
                    format!("{prefix}personnummer"),
                    e.to_string(),
                ));
                None
            }
        };
        let personnummer = pnr.filter(|_| errors.len() == before)?;
        Some(NewMember {
            personnummer,
            name: self.name.trim().to_owned(),
            relation: self.relation,
            residence: self.residence,
            protected_identity: self.protected_identity,
        })
    }

    /// `POST /households/{id}/members`: the one member, every field error at once.
    pub fn validate(&self) -> Result<NewMember, Vec<FieldError>> {
        let mut errors = Vec::new();
        self.check("", &mut errors).ok_or(errors)
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
            let prefix = format!("members[{i}].");
            match m.check(&prefix, &mut errors) {
                Some(p) if seen.contains(&p.personnummer.canonical()) => {
                    errors.push(FieldError::new(
                        format!("{prefix}personnummer"),
                        "appears twice",
                    ));
                }
                Some(p) => {
                    seen.push(p.personnummer.canonical());
                    out.push(p);
                }
                None => {}
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
    /// The membership (for `PATCH /households/{id}/members/{member_id}`).
    pub member_id: String,
    pub person_id: String,
    /// In full only in the household view; `YYYYMMDD-****` elsewhere.
    pub personnummer: String,
    pub name: String,
    pub relation: String,
    pub is_minor: bool,
    pub residence: Option<String>,
    pub protected_identity: bool,
    /// Set when the member has moved out: kept for the record, no longer counted as living there.
    pub moved_out_on: Option<NaiveDate>,
}

/// `PATCH /households/{id}/members/{member_id}` (If-Match: the household's ETag). Absent fields
/// stay; `residence: null` and `moved_out_on: null` clear them.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMemberRequest {
    pub relation: Option<Relation>,
    #[serde(default, deserialize_with = "crate::users::dto::double_option")]
    #[schema(value_type = Option<Residence>, nullable)]
    pub residence: Option<Option<Residence>>,
    /// The day the member moved out (not in the future); null: lives here again.
    #[serde(default, deserialize_with = "crate::users::dto::double_option")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub moved_out_on: Option<Option<NaiveDate>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdResponse {
    pub id: String,
    /// Null when a member has protected identity and the caller is neither the assigned
    /// caseworker of one of the household's cases nor a supervisor of such a case's unit.
    pub address: Option<Address>,
    /// A member has protected identity (skyddad identitet): the address is shown only to the
    /// assigned caseworker and the unit's supervisors, never disclosed further.
    pub address_protected: bool,
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
    /// Null when the household's address is protected from the caller (as in the household).
    pub address: Option<Address>,
    /// A member of the household has protected identity (as in the household).
    pub address_protected: bool,
    pub apartment_number: String,
    pub rooms: Option<i32>,
    pub size_m2: Option<i32>,
    pub monthly_rent: i64,
    pub contract_type: String,
    pub start_on: Option<NaiveDate>,
    pub end_on: Option<NaiveDate>,
    pub conversion: Option<ConversionAgreement>,
    /// The day a municipal second-hand contract became first-hand (counted in the statistics'
    /// conversions at 18 and 24 months).
    pub converted_on: Option<NaiveDate>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

/// `PATCH /tenancies/{id}` (If-Match: the tenancy's ETag), to complete what intake left as
/// placeholders. Absent fields stay; `null` clears the optional ones. The result is validated
/// like a new tenancy.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenancyRequest {
    pub landlord_organization_id: Option<String>,
    pub address: Option<Address>,
    #[schema(
        min_length = 1,
        max_length = 20,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub apartment_number: Option<String>,
    #[serde(default, deserialize_with = "crate::users::dto::double_option")]
    #[schema(value_type = Option<i32>, nullable, minimum = 1, maximum = 20)]
    pub rooms: Option<Option<i32>>,
    #[serde(default, deserialize_with = "crate::users::dto::double_option")]
    #[schema(value_type = Option<i32>, nullable, minimum = 5, maximum = 1000)]
    pub size_m2: Option<Option<i32>>,
    #[schema(minimum = 0, maximum = 1000000)]
    pub monthly_rent: Option<i64>,
    pub contract_type: Option<ContractType>,
    #[serde(default, deserialize_with = "crate::users::dto::double_option")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub start_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "crate::users::dto::double_option")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub end_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "crate::users::dto::double_option")]
    #[schema(value_type = Option<ConversionAgreement>, nullable)]
    pub conversion: Option<Option<ConversionAgreement>>,
    /// With `contract_type: first_hand` on a `municipal_second_hand` tenancy: the day it became
    /// first-hand (default today; not in the future, not before `start_on`). Also corrects the
    /// day of a converted tenancy. Set on its own otherwise: 422.
    pub converted_on: Option<NaiveDate>,
}

/// A household's tenancies, oldest first (a household has a handful: no pages).
#[derive(Debug, Serialize, ToSchema)]
pub struct TenancyList {
    pub items: Vec<TenancyResponse>,
}
