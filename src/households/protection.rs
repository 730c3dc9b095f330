//! Protected identity (skyddad identitet, SPEC §9). While any member of a household has it, the
//! household's addresses (its own, its tenancies', a rent-commitment letter's) are shown only to
//! the callers [`rules::may_see_household_address`] names; everyone else who reaches the
//! household gets `address: null` and `address_protected: true`. Every read that shows such an
//! address is logged as a protected read ([`access::granted_protected`]), which the access review
//! flags. Lists, searches, the worklist, notices and the audit history never carry an address,
//! and audit rows record an address change as changed, never by value.

use super::repo;
use crate::audit::access::{self, Access};
use crate::auth::{Principal, rules};
use crate::db::AnyConnection;
use crate::error::ApiError;

/// How a household's address may be rendered for one caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressView {
    /// No member is protected: shown as any household data.
    Open,
    /// Protected, and the caller is entitled to it: shown, and the read logged as protected.
    Shown,
    /// Protected, and the caller is not entitled: `null`, with `address_protected: true`.
    Withheld,
}

impl AddressView {
    /// The household's addresses are protected (`address_protected` in responses).
    pub fn protected(self) -> bool {
        self != AddressView::Open
    }

    /// `address` as this caller may see it.
    pub fn render<T>(self, address: T) -> Option<T> {
        (self != AddressView::Withheld).then_some(address)
    }

    /// Log a read of `subjects` that rendered the address this way: a protected read when a
    /// protected address was shown.
    pub fn log_read(
        self,
        conn: &mut AnyConnection,
        who: &Principal,
        operation: &str,
        subjects: &[Access<'_>],
    ) -> Result<(), ApiError> {
        match self {
            AddressView::Shown => access::granted_protected(conn, who, operation, subjects),
            _ => access::granted(conn, who, operation, subjects),
        }
    }
}

/// How `who` may see the addresses of household `household_id`.
pub fn address_view(
    conn: &mut AnyConnection,
    who: &Principal,
    household_id: &str,
) -> Result<AddressView, ApiError> {
    if !repo::has_protected_member(conn, household_id)? {
        return Ok(AddressView::Open);
    }
    let (cases, created_by) = repo::address_holders(conn, household_id)?;
    Ok(
        if rules::may_see_household_address(who, &cases, &created_by) {
            AddressView::Shown
        } else {
            AddressView::Withheld
        },
    )
}
