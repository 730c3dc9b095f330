//! The calendar rules of the deadlines: statutory periods rolled forward past non-business days
//! (lag (1930:173)), and the informational dates.

use chrono::{Days, Months, NaiveDate};

use super::REINSTATEMENT_PERIOD_DAYS;
use crate::domain::holidays;

/// The earliest eviction decision [U]: the third business day after the reinstatement end
/// (domain.md §1.3 and §1.8: "Thu 1, Fri 2, Mon 3"; secondary sources only).
pub fn earliest_decision(reinstatement_end: NaiveDate) -> Option<NaiveDate> {
    let mut day = reinstatement_end;
    for _ in 0..3 {
        day = holidays::next_business_day(day)?;
    }
    Some(day)
}

/// The forfeiture date (JB 12:42 p.1, bostad): rent unpaid more than one week after its due date
/// is forfeit from the day after `rent_due + 7` [U: whether day 7 is inclusive]. Not served yet:
/// the ledger holds no rent due dates (arrears reports carry a total only).
pub fn forfeiture_date(rent_due: NaiveDate) -> Option<NaiveDate> {
    rent_due.checked_add_days(Days::new(7))
}

/// The end of a reinstatement period starting on `start`: 21 days later, rolled forward past
/// non-business days. `None` only near `NaiveDate::MAX`.
pub fn reinstatement_end(start: NaiveDate) -> Option<NaiveDate> {
    holidays::roll_forward(start.checked_add_days(Days::new(REINSTATEMENT_PERIOD_DAYS))?)
}

/// The last day to apply for review of a Kronofogden order dated `order_date`: one calendar month
/// later (clamped to the month's last day), rolled forward. `None` only near `NaiveDate::MAX`.
pub fn order_review_end(order_date: NaiveDate) -> Option<NaiveDate> {
    holidays::roll_forward(order_date.checked_add_months(Months::new(1))?)
}
