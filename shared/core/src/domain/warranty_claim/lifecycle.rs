//! A claim's lifecycle as a pure state machine (seed 004):
//!
//! ```text
//! Draft ──submit──▶ Submitted ──take──▶ In review ──decide──▶ Approved / Partially approved / Rejected
//!   ▲                    ▲                 │                        │ pay            │ close
//!   │ (dealer edits)     └──resubmit── Information requested ◀──────┘               ▼
//!   └─ close (withdraw a draft)                                   Paid ──close──▶ Closed
//! ```
//!
//! The dealer submits, resubmits and may withdraw a draft; the support side takes, asks for
//! information, decides line by line, pays and closes. Every change is kept with who,
//! when, from, to and why.

use super::check::WarrantyCheck;
use super::{Claim, Coverage, LineDecision, Reasons};
use crate::domain::money::MoneyError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimState {
    Draft,
    Submitted,
    InReview,
    InformationRequested,
    Approved,
    PartiallyApproved,
    Rejected,
    Paid,
    Closed,
}

impl ClaimState {
    /// The dealer may change the claim's facts and lines.
    pub fn editable(self) -> bool {
        matches!(self, ClaimState::Draft | ClaimState::InformationRequested)
    }

    /// Seed 004's lists: Draft, Active (anything under way), Closed.
    pub fn list(self) -> &'static str {
        match self {
            ClaimState::Draft => "draft",
            ClaimState::Closed => "closed",
            _ => "active",
        }
    }
}

/// Which side acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Dealer,
    Agent,
}

impl Side {
    /// Support staff act for the support side; everyone else for their dealer company.
    pub fn of(who: &crate::domain::roles::Identity) -> Side {
        if who.is_agent() {
            Side::Agent
        } else {
            Side::Dealer
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimEvent {
    /// The dealer submits (or resubmits) with the terms in force and the check's result.
    Submit {
        coverage: Coverage,
        check: WarrantyCheck,
    },
    Take,
    RequestInformation {
        why: String,
    },
    /// A decision for every line, by line id.
    Decide {
        decisions: Vec<(String, LineDecision)>,
    },
    Pay,
    Close,
}

impl ClaimEvent {
    /// Who does it (a dealer also closes, to withdraw a draft: `apply` allows that).
    fn side(&self) -> Side {
        match self {
            ClaimEvent::Submit { .. } => Side::Dealer,
            _ => Side::Agent,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            ClaimEvent::Submit { .. } => "submit",
            ClaimEvent::Take => "take",
            ClaimEvent::RequestInformation { .. } => "request information",
            ClaimEvent::Decide { .. } => "decide",
            ClaimEvent::Pay => "pay",
            ClaimEvent::Close => "close",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    #[error("a claim that is {state:?} cannot {event}")]
    NotNow { state: ClaimState, event: &'static str },
    #[error("the {0} side cannot do this")]
    WrongSide(&'static str),
    #[error("a claim needs at least one line")]
    NoLines,
    #[error("line {line}: {why}")]
    Decision { line: String, why: String },
    #[error("information requested needs a question")]
    NoQuestion,
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// One change of a claim's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClaimHistory {
    pub at: DateTime<Utc>,
    pub by: String,
    #[serde(default)]
    pub from: Option<ClaimState>,
    pub to: ClaimState,
    pub why: String,
}

/// Applies `event` by `by` (on `side`) at `now`: the claim's new state and a history entry,
/// or why not (and the claim unchanged).
pub fn apply(
    claim: &mut Claim,
    event: ClaimEvent,
    side: Side,
    by: &str,
    now: DateTime<Utc>,
    reasons: &Reasons,
) -> Result<(), ClaimError> {
    use ClaimState::*;
    let wanted = match (side, &event) {
        // The dealer withdraws a draft; the support side closes what is done.
        (Side::Dealer, ClaimEvent::Close) => Side::Dealer,
        (_, e) => e.side(),
    };
    if wanted != side {
        return Err(ClaimError::WrongSide(match side {
            Side::Dealer => "dealer",
            Side::Agent => "support",
        }));
    }
    let not_now = || ClaimError::NotNow {
        state: claim.state,
        event: event.name(),
    };
    let (to, why) = match (&event, claim.state, side) {
        (ClaimEvent::Submit { .. }, Draft | InformationRequested, _) => {
            if claim.lines.is_empty() {
                return Err(ClaimError::NoLines);
            }
            let again = claim.state == InformationRequested;
            (Submitted, if again { "resubmitted" } else { "submitted" }.to_string())
        }
        (ClaimEvent::Take, Submitted, _) => (InReview, format!("taken by {by}")),
        (ClaimEvent::RequestInformation { why }, InReview, _) => {
            if why.trim().is_empty() {
                return Err(ClaimError::NoQuestion);
            }
            (InformationRequested, why.trim().to_string())
        }
        (ClaimEvent::Decide { decisions }, InReview, _) => {
            let decided = decide(claim, decisions, reasons)?;
            let why = match decided {
                Approved => "approved",
                Rejected => "rejected",
                _ => "partially approved",
            };
            (decided, why.to_string())
        }
        (ClaimEvent::Pay, Approved | PartiallyApproved, _) => (Paid, "paid".to_string()),
        (ClaimEvent::Close, Paid | Rejected, Side::Agent) => (Closed, "closed".to_string()),
        (ClaimEvent::Close, Draft, Side::Dealer) => (Closed, "withdrawn".to_string()),
        _ => return Err(not_now()),
    };
    if let ClaimEvent::Take = event {
        claim.reviewer = Some(by.to_string());
    }
    if let ClaimEvent::Submit { coverage, check } = event {
        // The terms in force now, kept with the claim: a later change of terms never
        // changes it; every earlier decision is void (the lines may have changed).
        claim.coverage = Some(coverage);
        claim.check = Some(check);
        for line in &mut claim.lines {
            line.decision = None;
        }
    }
    claim.history.push(ClaimHistory {
        at: now,
        by: by.to_string(),
        from: Some(claim.state),
        to,
        why,
    });
    claim.state = to;
    claim.updated_at = now;
    Ok(())
}

/// Checks a decision for every line and writes them; the state the decisions lead to.
fn decide(
    claim: &mut Claim,
    decisions: &[(String, LineDecision)],
    reasons: &Reasons,
) -> Result<ClaimState, ClaimError> {
    let refuse = |line: &str, why: &str| ClaimError::Decision {
        line: line.to_string(),
        why: why.to_string(),
    };
    for (id, _) in decisions {
        if !claim.lines.iter().any(|l| &l.id == id) {
            return Err(refuse(id, "is not a line of this claim"));
        }
    }
    let mut chosen = Vec::with_capacity(claim.lines.len());
    for line in &claim.lines {
        let mut matching = decisions.iter().filter(|(id, _)| id == &line.id);
        let (Some((_, decision)), None) = (matching.next(), matching.next()) else {
            return Err(refuse(&line.id, "needs exactly one decision"));
        };
        if !(0..=line.claimed).contains(&decision.approved) {
            return Err(refuse(&line.id, "approved must be from 0 to the claimed amount"));
        }
        match &decision.reason {
            Some(code) if !reasons.knows(code) => return Err(refuse(&line.id, "names no known reason")),
            None if decision.approved != line.claimed => {
                return Err(refuse(&line.id, "a reason is needed when approving less than claimed"))
            }
            _ => {}
        }
        chosen.push(decision.clone());
    }
    for (line, decision) in claim.lines.iter_mut().zip(chosen) {
        line.decision = Some(decision);
    }
    let totals = claim.totals()?;
    Ok(if totals.approved == totals.claimed {
        ClaimState::Approved
    } else if totals.approved == 0 {
        ClaimState::Rejected
    } else {
        ClaimState::PartiallyApproved
    })
}

#[cfg(test)]
mod tests {
    use super::super::check::check;
    use super::super::tests_support::claim;
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
    }

    /// The submission of the fixture's claim (its unit and failure date), filed today.
    fn submit() -> ClaimEvent {
        let c = claim();
        let coverage = super::super::Coverage::uniform(24);
        let check = check(&c.unit, "ACME", &coverage, c.failure_date, now().date_naive(), 30);
        ClaimEvent::Submit { coverage, check }
    }

    fn full(c: &Claim) -> Vec<(String, LineDecision)> {
        c.lines
            .iter()
            .map(|l| {
                (
                    l.id.clone(),
                    LineDecision {
                        approved: l.claimed,
                        reason: None,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn seed_004s_process_from_draft_to_closed_keeps_every_change() {
        let reasons = Reasons::defaults();
        let mut c = claim();
        let dealer = Side::Dealer;
        let agent = Side::Agent;
        apply(&mut c, submit(), dealer, "dana@acme.test", now(), &reasons).unwrap();
        assert!(c.check.as_ref().unwrap().passes());
        apply(&mut c, ClaimEvent::Take, agent, "alex@vendor.test", now(), &reasons).unwrap();
        apply(
            &mut c,
            ClaimEvent::RequestInformation {
                why: "Photo of the impeller?".into(),
            },
            agent,
            "alex@vendor.test",
            now(),
            &reasons,
        )
        .unwrap();
        assert!(c.state.editable());
        apply(&mut c, submit(), dealer, "dana@acme.test", now(), &reasons).unwrap();
        apply(&mut c, ClaimEvent::Take, agent, "alex@vendor.test", now(), &reasons).unwrap();
        let mut decisions = full(&c);
        decisions[1].1 = LineDecision {
            approved: 8_000,
            reason: Some("excessive_labour_hours".into()),
        };
        apply(
            &mut c,
            ClaimEvent::Decide { decisions },
            agent,
            "alex@vendor.test",
            now(),
            &reasons,
        )
        .unwrap();
        assert_eq!(c.state, ClaimState::PartiallyApproved);
        let totals = c.totals().unwrap();
        assert_eq!((totals.claimed, totals.approved), (24_500, 20_500));
        assert_eq!((totals.labour.claimed, totals.labour.approved), (12_000, 8_000));
        apply(&mut c, ClaimEvent::Pay, agent, "alex@vendor.test", now(), &reasons).unwrap();
        apply(&mut c, ClaimEvent::Close, agent, "alex@vendor.test", now(), &reasons).unwrap();
        let path: Vec<ClaimState> = c.history.iter().map(|h| h.to).collect();
        use ClaimState::*;
        assert_eq!(
            path,
            [
                Draft,
                Submitted,
                InReview,
                InformationRequested,
                Submitted,
                InReview,
                PartiallyApproved,
                Paid,
                Closed
            ]
        );
        assert_eq!(c.history[3].why, "Photo of the impeller?");
        assert_eq!(c.history[4].why, "resubmitted");
    }

    #[test]
    fn decisions_are_refused_line_by_line_with_the_claim_unchanged() {
        let reasons = Reasons::defaults();
        let mut c = claim();
        apply(&mut c, submit(), Side::Dealer, "d", now(), &reasons).unwrap();
        apply(&mut c, ClaimEvent::Take, Side::Agent, "a", now(), &reasons).unwrap();
        let before = c.clone();
        let cases: Vec<(Vec<(String, LineDecision)>, &str)> = vec![
            (full(&c)[..2].to_vec(), "needs exactly one decision"),
            (
                [full(&c), vec![full(&c)[0].clone()]].concat(),
                "needs exactly one decision",
            ),
            (
                [
                    full(&c),
                    vec![(
                        "l9".into(),
                        LineDecision {
                            approved: 0,
                            reason: None,
                        },
                    )],
                ]
                .concat(),
                "is not a line",
            ),
            (
                {
                    let mut d = full(&c);
                    d[0].1.approved = 10_001;
                    d
                },
                "from 0 to the claimed",
            ),
            (
                {
                    let mut d = full(&c);
                    d[0].1.approved = -1;
                    d
                },
                "from 0 to the claimed",
            ),
            (
                {
                    let mut d = full(&c);
                    d[0].1.approved = 1;
                    d
                },
                "a reason is needed",
            ),
            (
                {
                    let mut d = full(&c);
                    d[0].1 = LineDecision {
                        approved: 1,
                        reason: Some("because".into()),
                    };
                    d
                },
                "no known reason",
            ),
        ];
        for (decisions, why) in cases {
            let refused = apply(
                &mut c,
                ClaimEvent::Decide { decisions },
                Side::Agent,
                "a",
                now(),
                &reasons,
            )
            .unwrap_err();
            assert!(refused.to_string().contains(why), "{refused} / {why}");
            assert_eq!(c, before);
        }
        let rejected: Vec<_> = c
            .lines
            .iter()
            .map(|l| {
                (
                    l.id.clone(),
                    LineDecision {
                        approved: 0,
                        reason: Some("not_covered".into()),
                    },
                )
            })
            .collect();
        apply(
            &mut c,
            ClaimEvent::Decide { decisions: rejected },
            Side::Agent,
            "a",
            now(),
            &reasons,
        )
        .unwrap();
        assert_eq!(c.state, ClaimState::Rejected);
    }

    #[test]
    fn each_side_does_only_its_own_part() {
        let reasons = Reasons::defaults();
        let mut c = claim();
        assert_eq!(
            apply(&mut c, ClaimEvent::Take, Side::Dealer, "d", now(), &reasons),
            Err(ClaimError::WrongSide("dealer"))
        );
        assert_eq!(
            apply(&mut c, submit(), Side::Agent, "a", now(), &reasons),
            Err(ClaimError::WrongSide("support"))
        );
        let mut empty = claim();
        empty.lines.clear();
        assert_eq!(
            apply(&mut empty, submit(), Side::Dealer, "d", now(), &reasons),
            Err(ClaimError::NoLines)
        );
        // A dealer withdraws a draft, never a claim under way.
        let mut under_way = claim();
        apply(&mut under_way, submit(), Side::Dealer, "d", now(), &reasons).unwrap();
        assert!(apply(&mut under_way, ClaimEvent::Close, Side::Dealer, "d", now(), &reasons).is_err());
        apply(&mut c, ClaimEvent::Close, Side::Dealer, "d", now(), &reasons).unwrap();
        assert_eq!(c.history.last().unwrap().why, "withdrawn");
    }

    fn event_strategy() -> impl Strategy<Value = (u8, bool, Vec<(i64, bool)>)> {
        (
            0u8..6,
            any::<bool>(),
            prop::collection::vec((0i64..=15_000, any::<bool>()), 3),
        )
    }

    proptest! {
        /// Whatever anyone tries in whatever order: the history is a chain (each entry starts
        /// where the last ended and ends at the claim's state), no approved amount leaves
        /// 0..=claimed, totals always add up, and nothing moves a closed claim.
        #[test]
        fn any_sequence_keeps_the_claim_consistent(steps in prop::collection::vec(event_strategy(), 0..40)) {
            let reasons = Reasons::defaults();
            let mut c = claim();
            for (kind, dealer, raw) in steps {
                let side = if dealer { Side::Dealer } else { Side::Agent };
                let event = match kind {
                    0 => submit(),
                    1 => ClaimEvent::Take,
                    2 => ClaimEvent::RequestInformation { why: "more?".into() },
                    3 => ClaimEvent::Decide {
                        decisions: c.lines.iter().zip(&raw).map(|(l, (approved, reason))| {
                            (l.id.clone(), LineDecision { approved: *approved, reason: reason.then(|| "not_covered".to_string()) })
                        }).collect(),
                    },
                    4 => ClaimEvent::Pay,
                    _ => ClaimEvent::Close,
                };
                let before = c.clone();
                match apply(&mut c, event, side, "someone", now(), &reasons) {
                    Ok(()) => prop_assert_ne!(before.state, ClaimState::Closed),
                    Err(_) => prop_assert_eq!(&c, &before),
                }
                for pair in c.history.windows(2) {
                    prop_assert_eq!(pair[1].from, Some(pair[0].to));
                }
                prop_assert_eq!(c.history.last().unwrap().to, c.state);
                for line in &c.lines {
                    if let Some(d) = &line.decision {
                        prop_assert!((0..=line.claimed).contains(&d.approved));
                    }
                }
                let totals = c.totals().unwrap();
                prop_assert_eq!(totals.claimed, totals.parts.claimed + totals.labour.claimed + totals.other.claimed);
                prop_assert_eq!(totals.approved, totals.parts.approved + totals.labour.approved + totals.other.approved);
                prop_assert!(totals.approved <= totals.claimed);
            }
        }
    }
}
