//! Small stored states without rules of their own: risk level, user and organization kinds and
//! statuses, interventions, closure requests. Each is stored by its name in a text column
//! ([`text_enum!`](super::text_enum)); serde uses the same names.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::text_enum::text_enum;

text_enum! {
    #[derive(Deserialize, Serialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum RiskLevel ("risk level", UnknownRiskLevel) {
        Low => "low",
        Medium => "medium",
        High => "high",
        Critical => "critical",
    }
}

impl RiskLevel {
    /// The risk of a newly opened case.
    pub const INITIAL: RiskLevel = RiskLevel::Medium;
}

text_enum! {
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum UserStatus ("user status", UnknownUserStatus) {
        Active => "active",
        Disabled => "disabled",
    }
}

text_enum! {
    /// The kinds of organization an administrator can create.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum OrganizationKind ("organization kind", UnknownOrganizationKind) {
        Municipality => "municipality",
        Landlord => "landlord",
        EnforcementAuthority => "enforcement_authority",
        CountyBoard => "county_board",
        /// The platform operator's own organization (created at bootstrap, never by the API).
        #[serde(skip)]
        Platform => "platform",
    }
}

text_enum! {
    #[derive(Deserialize, Serialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum InterventionKind ("intervention kind", UnknownInterventionKind) {
        OutreachLetter => "outreach_letter",
        PhoneCall => "phone_call",
        HomeVisit => "home_visit",
        MeetingWithLandlord => "meeting_with_landlord",
        BudgetAndDebtAdvice => "budget_and_debt_advice",
        PaymentPlan => "payment_plan",
        FinancialAssistance => "financial_assistance",
        RentCommitment => "rent_commitment",
        Referral => "referral",
        HousingSearch => "housing_search",
        ChildWelfareCheck => "child_welfare_check",
    }
}

text_enum! {
    #[derive(Deserialize, Serialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum InterventionStatus ("intervention status", UnknownInterventionStatus) {
        Planned => "planned",
        Ongoing => "ongoing",
        Completed => "completed",
        Cancelled => "cancelled",
    }
}

text_enum! {
    /// Who sent a notice into the ledger (SPEC §3).
    pub enum NoticeSource ("notice source", UnknownNoticeSource) {
        Landlord => "landlord",
        EnforcementAuthority => "enforcement_authority",
        SocialServices => "social_services",
    }
}

text_enum! {
    /// An integration client's status: revoked is final.
    pub enum ClientStatus ("integration client status", UnknownClientStatus) {
        Active => "active",
        Revoked => "revoked",
    }
}

text_enum! {
    /// A request to close a case that needs a supervisor (SPEC §4.1).
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum ClosureRequestStatus ("closure request status", UnknownClosureRequestStatus) {
        Pending => "pending",
        Approved => "approved",
        Rejected => "rejected",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_agrees<T: Serialize + std::fmt::Display>(all: impl IntoIterator<Item = T>) {
        for v in all {
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(json, format!("\"{v}\""));
        }
    }

    #[test]
    fn serde_names_are_the_stored_names() {
        serde_agrees(RiskLevel::ALL);
        serde_agrees(UserStatus::ALL);
        serde_agrees(
            OrganizationKind::ALL
                .into_iter()
                .filter(|k| *k != OrganizationKind::Platform),
        );
        assert!(serde_json::to_string(&OrganizationKind::Platform).is_err());
        serde_agrees(InterventionKind::ALL);
        serde_agrees(InterventionStatus::ALL);
    }
}
