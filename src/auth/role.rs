//! Staff roles (SPEC §5).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::text_enum::text_enum;

text_enum! {
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Role ("role", UnknownRole) {
        Admin => "admin",
        Supervisor => "supervisor",
        Caseworker => "caseworker",
        Auditor => "auditor",
        Analyst => "analyst",
        Landlord => "landlord",
    }
}

impl Role {
    /// Roles that work inside a unit of social services.
    pub fn needs_unit(self) -> bool {
        matches!(self, Role::Supervisor | Role::Caseworker)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
