//! The legal stage of a tenancy (SPEC §4.2), driven by notices:
//!
//! `none → arrears → terminated → reinstatement_running → {reinstated | reinstatement_lapsed}
//!  → kfm_applied → kfm_ordered → eviction_scheduled ⇄ postponed → {evicted | moved | withdrawn}`
//!
//! Real mail arrives out of order: a notice whose stage lies behind the current one is accepted
//! and flagged, and the stage does not move back. `reinstatement_lapsed` is not set by a notice:
//! a lapsed period shows as the `reinstatement_end` deadline turning `missed`.

use super::deadlines::NoticeKind;
use super::text_enum::text_enum;

text_enum! {
    /// The legal stage of a tenancy, in its order along the track.
    pub enum LegalStage ("legal stage", UnknownLegalStage) {
        /// Nothing received yet.
        None => "none",
        Arrears => "arrears",
        Terminated => "terminated",
        ReinstatementRunning => "reinstatement_running",
        Reinstated => "reinstated",
        ReinstatementLapsed => "reinstatement_lapsed",
        KfmApplied => "kfm_applied",
        KfmOrdered => "kfm_ordered",
        EvictionScheduled => "eviction_scheduled",
        Postponed => "postponed",
        Evicted => "evicted",
        Moved => "moved",
        Withdrawn => "withdrawn",
    }
}

fn rank(stage: LegalStage) -> usize {
    use LegalStage::*;
    match stage {
        // Scheduled and postponed alternate freely; the three ends share the last rank.
        Postponed => rank(EvictionScheduled),
        Moved | Withdrawn => rank(Evicted),
        ReinstatementLapsed => rank(Reinstated),
        s => LegalStage::ALL.iter().position(|x| *x == s).unwrap_or(0),
    }
}

/// Where a notice moves the stage, given what the ledger already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageChange {
    pub stage: LegalStage,
    /// The notice belongs to an earlier stage than the current one.
    pub out_of_order: bool,
}

/// What the notice's arrears cycle has seen so far (both notices are needed for the period to
/// run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seen {
    pub termination_served: bool,
    pub social_notice_received: bool,
    /// The notice belongs to an arrears cycle that is not met (new arrears, a new termination
    /// or Kronofogden application): after `reinstated`, `withdrawn` or `moved` the track starts
    /// over instead of flagging it out of order.
    pub new_cycle: bool,
}

/// Stages after which a new arrears cycle starts the track over.
pub const RESTARTABLE: [LegalStage; 3] = [
    LegalStage::Reinstated,
    LegalStage::Withdrawn,
    LegalStage::Moved,
];

/// The stage after `kind` arrives at a case in `current`. `executed_outcome` is the
/// `kfm_executed` outcome (`executed`, `abandoned` or `moved_voluntarily`).
pub fn next(
    current: LegalStage,
    kind: NoticeKind,
    seen: Seen,
    executed_outcome: Option<&str>,
) -> StageChange {
    use LegalStage::*;
    let target = match kind {
        NoticeKind::ArrearsReported => Arrears,
        NoticeKind::TerminationServed | NoticeKind::SocialNoticeReceived => {
            let both = seen.termination_served && seen.social_notice_received;
            if both {
                ReinstatementRunning
            } else {
                Terminated
            }
        }
        NoticeKind::PaymentConfirmed | NoticeKind::RentCommitmentIssued => Reinstated,
        NoticeKind::KfmApplicationReceived => KfmApplied,
        NoticeKind::KfmOrderIssued => KfmOrdered,
        NoticeKind::KfmEvictionScheduled => EvictionScheduled,
        NoticeKind::KfmPostponed => Postponed,
        NoticeKind::KfmWithdrawn => Withdrawn,
        NoticeKind::KfmExecuted => match executed_outcome {
            Some("moved_voluntarily") | Some("abandoned") => Moved,
            _ => Evicted,
        },
    };
    let starts_cycle = matches!(
        kind,
        NoticeKind::ArrearsReported
            | NoticeKind::TerminationServed
            | NoticeKind::SocialNoticeReceived
            | NoticeKind::KfmApplicationReceived
    );
    let current_rank = if seen.new_cycle && starts_cycle && RESTARTABLE.contains(&current) {
        rank(None)
    } else {
        rank(current)
    };
    let target_rank = rank(target);
    if target_rank < current_rank {
        return StageChange {
            stage: current,
            out_of_order: true,
        };
    }
    StageChange {
        stage: target,
        out_of_order: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(name: &str) -> LegalStage {
        name.parse().unwrap()
    }

    fn both() -> Seen {
        Seen {
            termination_served: true,
            social_notice_received: true,
            new_cycle: false,
        }
    }

    #[test]
    fn a_new_cycle_after_reinstatement_starts_the_track_over_and_a_late_notice_is_flagged() {
        let fresh = Seen {
            termination_served: true,
            new_cycle: true,
            ..Seen::default()
        };
        for stage in RESTARTABLE {
            let change = next(stage, NoticeKind::TerminationServed, fresh, None);
            assert_eq!(
                (change.stage, change.out_of_order),
                (st("terminated"), false)
            );
            let change = next(stage, NoticeKind::ArrearsReported, fresh, None);
            assert_eq!((change.stage, change.out_of_order), (st("arrears"), false));
        }
        // A formulär 3 of the cycle already met is still out of order.
        let change = next(
            st("reinstated"),
            NoticeKind::SocialNoticeReceived,
            both(),
            None,
        );
        assert_eq!(
            (change.stage, change.out_of_order),
            (st("reinstated"), true)
        );
        // Evicted is the end: no restart.
        let change = next(st("evicted"), NoticeKind::TerminationServed, fresh, None);
        assert!(change.out_of_order);
    }

    #[test]
    fn the_track_moves_forward_with_the_notices() {
        let mut stage = st("none");
        let steps = [
            (NoticeKind::ArrearsReported, Seen::default(), "arrears"),
            (
                NoticeKind::TerminationServed,
                Seen {
                    termination_served: true,
                    ..Seen::default()
                },
                "terminated",
            ),
            (
                NoticeKind::SocialNoticeReceived,
                both(),
                "reinstatement_running",
            ),
            (NoticeKind::KfmApplicationReceived, both(), "kfm_applied"),
            (NoticeKind::KfmOrderIssued, both(), "kfm_ordered"),
            (
                NoticeKind::KfmEvictionScheduled,
                both(),
                "eviction_scheduled",
            ),
            (NoticeKind::KfmPostponed, both(), "postponed"),
            (
                NoticeKind::KfmEvictionScheduled,
                both(),
                "eviction_scheduled",
            ),
            (NoticeKind::KfmWithdrawn, both(), "withdrawn"),
        ];
        for (kind, seen, expected) in steps {
            let change = next(stage, kind, seen, None);
            assert_eq!(
                (change.stage.as_str(), change.out_of_order),
                (expected, false),
                "{kind:?}"
            );
            stage = change.stage;
        }
    }

    #[test]
    fn a_late_notice_is_accepted_flagged_and_does_not_move_the_stage_back() {
        let change = next(
            st("kfm_ordered"),
            NoticeKind::TerminationServed,
            both(),
            None,
        );
        assert_eq!(
            change,
            StageChange {
                stage: st("kfm_ordered"),
                out_of_order: true
            }
        );
        let change = next(
            st("kfm_applied"),
            NoticeKind::ArrearsReported,
            Seen::default(),
            None,
        );
        assert!(change.out_of_order);
    }

    #[test]
    fn the_social_notice_alone_does_not_start_the_period() {
        let change = next(
            st("arrears"),
            NoticeKind::SocialNoticeReceived,
            Seen {
                social_notice_received: true,
                ..Seen::default()
            },
            None,
        );
        assert_eq!(change.stage.as_str(), "terminated");
    }

    #[test]
    fn execution_outcomes_end_the_track() {
        assert_eq!(
            next(
                st("eviction_scheduled"),
                NoticeKind::KfmExecuted,
                both(),
                Some("executed")
            )
            .stage
            .as_str(),
            "evicted"
        );
        assert_eq!(
            next(
                st("eviction_scheduled"),
                NoticeKind::KfmExecuted,
                both(),
                Some("moved_voluntarily")
            )
            .stage
            .as_str(),
            "moved"
        );
        assert_eq!(
            next(
                st("reinstatement_running"),
                NoticeKind::PaymentConfirmed,
                both(),
                None
            )
            .stage
            .as_str(),
            "reinstated"
        );
    }
}
