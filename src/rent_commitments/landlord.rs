//! The landlord's side: the approved letters addressed to its organization, and nothing else
//! about the case. The first read of a letter in the API counts as its delivery (channel
//! `portal`, dated the Swedish day of the read): it registers `rent_commitment_issued` on the
//! case in the same transaction as the read, with the landlord's user or client as the actor.

use super::dto::{LandlordLetter, LandlordLetterList};
use super::repo::{self, RentCommitmentRow};
use super::service::record_delivery;
use crate::auth::policy::OperationMarker;
use crate::auth::scope;
use crate::db::Tx;
use crate::domain::rent_commitment::DeliveryChannel;
use crate::domain::sweden;
use crate::error::ApiError;
use crate::households::repo as households;
use crate::integrations::submitter::Submits;
use crate::pagination::{Cursor, Page};
use crate::state::AppState;

fn letter(
    st: &AppState,
    tx: &mut Tx<'_>,
    rc: RentCommitmentRow,
) -> Result<LandlordLetter, ApiError> {
    // The same fields as the printed letter, minus who wrote it.
    let protected = households::tenancy_protected(tx, &rc.tenancy_id)?;
    let t = super::letter::text_of(st, tx, rc, String::new(), String::new(), protected)?;
    Ok(LandlordLetter {
        number: t.number,
        tenant_name: t.tenant_name,
        apartment_reference: t.apartment_reference,
        address: t.address,
        amount: t.amount,
        months_covered: t.months_covered,
        issued_on: t.issued_on,
    })
}

/// `GET /landlord/rent-commitments`: oldest first (keyset pages).
pub async fn list<O: OperationMarker + 'static>(
    state: &AppState,
    who: Submits<O>,
    page: Page,
) -> Result<LandlordLetterList, ApiError> {
    let (limit, after) = page.parse()?;
    let st = state.clone();
    let submitter = who.0;
    state
        .db
        .write(move |tx| {
            let org =
                scope::letters_to(O::OP, &submitter.organization_id).ok_or(ApiError::Forbidden)?;
            let mut rows = repo::letters_to(tx, org, after, limit + 1)?;
            let next = Cursor::next(&mut rows, limit, |r| r.id.clone());
            let today = sweden::today();
            for rc in rows.iter().filter(|r| r.delivered_on.is_none()) {
                let case = crate::cases::repo::find(tx, &rc.case_id)?;
                record_delivery(
                    tx,
                    &submitter.actor,
                    &case,
                    rc,
                    today,
                    DeliveryChannel::Portal,
                )?;
            }
            let items = rows
                .into_iter()
                .map(|r| letter(&st, tx, r))
                .collect::<Result<_, _>>()?;
            Ok(LandlordLetterList {
                items,
                next_cursor: next,
            })
        })
        .await
}
