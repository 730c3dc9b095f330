//! Defects of a notice (SPEC §4.4): a stated amount to reinstate that differs from the latest
//! arrears report is material, a formulär 3 without the flat size minor; and the two readings of
//! the reinstatement end a material defect leaves open.

use chrono::NaiveDate;

use super::{DefectGrade, NoticeFacts, NoticeKind};

/// One defect found in a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Defect {
    /// The amount to reinstate differs from the latest arrears total (öre): material.
    AmountDiffersFromArrears {
        /// What the notice says.
        stated: i64,
        /// The landlord's latest arrears-report total.
        latest_arrears_total: i64,
    },
    /// Formulär 3 without the flat size: minor.
    ApartmentSizeMissing,
}

impl Defect {
    /// How serious this defect is.
    pub const fn grade(self) -> DefectGrade {
        match self {
            Self::AmountDiffersFromArrears { .. } => DefectGrade::MaterialDefect,
            Self::ApartmentSizeMissing => DefectGrade::MinorDefect,
        }
    }

    /// The stable snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AmountDiffersFromArrears { .. } => "amount_differs_from_arrears",
            Self::ApartmentSizeMissing => "apartment_size_missing",
        }
    }
}

/// The defect grading of one notice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NoticeAssessment {
    /// The notice.
    pub notice_id: String,
    /// The worst defect found ([`DefectGrade::NoDefect`] when none).
    pub grade: DefectGrade,
    /// Every defect found.
    pub defects: Vec<Defect>,
    /// Whether the amount could be compared (a graded kind, both amounts known).
    pub amount_checked: bool,
    /// Whether a correction supersedes this notice.
    pub superseded: bool,
}

/// The reinstatement end under both readings of the materially defective notices.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReinstatementReadings {
    /// The materially defective `termination_served` / `social_notice_received` notices, sorted.
    pub defective_notice_ids: Vec<String>,
    /// The end if they are valid from their own dates, even when superseded by a correction.
    pub if_defective_notices_valid: Option<NaiveDate>,
    /// The end if they are invalid; `None`: the period has not started.
    pub if_defective_notices_invalid: Option<NaiveDate>,
}

/// Grades one notice's defects against the latest arrears total (öre).
pub fn assess(
    notice: &NoticeFacts,
    latest_arrears_total: Option<i64>,
    superseded: bool,
) -> NoticeAssessment {
    let graded = matches!(
        notice.kind,
        NoticeKind::TerminationServed | NoticeKind::SocialNoticeReceived
    );
    let mut defects = Vec::new();
    let mut amount_checked = false;
    if let (true, Some(stated), Some(total)) =
        (graded, notice.amount_to_reinstate, latest_arrears_total)
    {
        amount_checked = true;
        if stated != total {
            defects.push(Defect::AmountDiffersFromArrears {
                stated,
                latest_arrears_total: total,
            });
        }
    }
    if notice.kind == NoticeKind::SocialNoticeReceived && notice.apartment_size_m2.is_none() {
        defects.push(Defect::ApartmentSizeMissing);
    }
    defects.sort();
    let grade = defects
        .iter()
        .map(|d| d.grade())
        .max()
        .unwrap_or(DefectGrade::NoDefect);
    NoticeAssessment {
        notice_id: notice.id.clone(),
        grade,
        defects,
        amount_checked,
        superseded,
    }
}
