//! Return merchandise authorisations (seed 004): the support side asks a dealer to send
//! back parts of a claim, numbered per dealer company (`ACME-RMA-000123`).
//!
//! ```text
//! Issued ──ship (dealer: carrier, tracking)──▶ Shipped ──receive (quantities, condition)──▶ Received
//!   │                                                 (a part may arrive unannounced: Issued → Received)
//!   └─close (cancelled, with why)──▶ Closed ◀──close── Credited / Replaced ◀──credit / replace──┘
//! ```
//!
//! Pure like the claim's lifecycle: every change is kept with who, when, from, to and why.

use super::lifecycle::{ClaimState, Side};
use super::{Claim, LineKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RmaState {
    Issued,
    Shipped,
    Received,
    Credited,
    Replaced,
    Closed,
}

impl RmaState {
    /// Still waiting for the dealer or the warehouse: its claim cannot close yet.
    pub fn open(self) -> bool {
        matches!(self, RmaState::Issued | RmaState::Shipped | RmaState::Received)
    }
}

/// The state of a returned part as the warehouse finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartCondition {
    /// Failed as the claim describes.
    AsDescribed,
    /// Works, or shows no failure.
    NoFault,
    Damaged,
    /// Not the part the RMA asked for.
    WrongPart,
}

/// One part to send back: a part line of the claim and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RmaLine {
    /// The claim's line id (`l1`, …).
    pub line: String,
    pub part_number: String,
    pub description: String,
    pub quantity: u32,
    /// Counted on arrival.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<PartCondition>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Shipment {
    pub carrier: String,
    pub tracking_number: String,
    pub shipped_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RmaHistory {
    pub at: DateTime<Utc>,
    pub by: String,
    #[serde(default)]
    pub from: Option<RmaState>,
    pub to: RmaState,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rma {
    pub id: String,
    /// `ACME-RMA-000123`: the dealer company's code and its own sequence.
    pub number: String,
    pub claim_id: String,
    pub dealer_company: String,
    pub serial: String,
    /// What the support side tells the dealer (where to send it, how to pack it).
    pub instructions: String,
    pub lines: Vec<RmaLine>,
    pub state: RmaState,
    #[serde(default)]
    pub shipment: Option<Shipment>,
    pub history: Vec<RmaHistory>,
    /// Who at the dealer hears of each step the support side takes: the claim's filer.
    #[serde(default)]
    pub dealer_contact: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `ACME-RMA-000123`.
pub fn rma_number(company: &str, n: u64) -> String {
    format!("{company}-RMA-{n:06}")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RmaError {
    #[error("a claim that is {0:?} has no parts to ask back")]
    ClaimNotNow(ClaimState),
    #[error("an RMA that is {state:?} cannot {event}")]
    NotNow { state: RmaState, event: &'static str },
    #[error("the {0} side cannot do this")]
    WrongSide(&'static str),
    /// A field of the request, and what is wrong with it.
    #[error("{field}: {why}")]
    Field { field: String, why: String },
}

fn field(field: impl Into<String>, why: impl Into<String>) -> RmaError {
    RmaError::Field {
        field: field.into(),
        why: why.into(),
    }
}

/// Claim states whose parts may be asked back: under review or decided, not yet closed.
fn may_ask_back(state: ClaimState) -> bool {
    matches!(
        state,
        ClaimState::InReview
            | ClaimState::Approved
            | ClaimState::PartiallyApproved
            | ClaimState::Rejected
            | ClaimState::Paid
    )
}

/// Issues an RMA for `parts` (claim line id, quantity) of `claim`.
pub fn issue(
    claim: &Claim,
    id: String,
    number: String,
    parts: &[(String, u32)],
    instructions: String,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Rma, RmaError> {
    if !may_ask_back(claim.state) {
        return Err(RmaError::ClaimNotNow(claim.state));
    }
    if parts.is_empty() {
        return Err(field("lines", "name at least one part line of the claim"));
    }
    let mut lines = Vec::with_capacity(parts.len());
    for (n, (line_id, quantity)) in parts.iter().enumerate() {
        if parts[..n].iter().any(|(other, _)| other == line_id) {
            return Err(field(format!("lines[{n}].line"), "names a line twice"));
        }
        let line = claim
            .lines
            .iter()
            .find(|l| &l.id == line_id)
            .ok_or_else(|| field(format!("lines[{n}].line"), "is not a line of this claim"))?;
        let LineKind::Part {
            part_number,
            description,
            quantity: claimed,
            ..
        } = &line.kind
        else {
            return Err(field(format!("lines[{n}].line"), "is not a part line"));
        };
        if *quantity == 0 || quantity > claimed {
            return Err(field(
                format!("lines[{n}].quantity"),
                format!("must be from 1 to the {claimed} claimed"),
            ));
        }
        lines.push(RmaLine {
            line: line_id.clone(),
            part_number: part_number.clone(),
            description: description.clone(),
            quantity: *quantity,
            received: None,
            condition: None,
        });
    }
    Ok(Rma {
        id,
        number,
        claim_id: claim.id.clone(),
        dealer_company: claim.dealer_company.clone(),
        serial: claim.unit.serial.clone(),
        instructions,
        lines,
        state: RmaState::Issued,
        shipment: None,
        history: vec![RmaHistory {
            at: now,
            by: by.to_string(),
            from: None,
            to: RmaState::Issued,
            why: "issued".into(),
        }],
        dealer_contact: claim.created_by.clone(),
        created_by: by.to_string(),
        created_at: now,
        updated_at: now,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RmaEvent {
    /// The dealer sends the parts.
    Ship {
        carrier: String,
        tracking_number: String,
    },
    /// The warehouse counts what arrived: per RMA line, how many and in what condition.
    Receive {
        counts: Vec<(String, u32, PartCondition)>,
    },
    Credit,
    Replace,
    /// Closes a credited or replaced RMA, or cancels one still issued (`why` required then).
    Close {
        why: Option<String>,
    },
}

impl RmaEvent {
    fn side(&self) -> Side {
        match self {
            RmaEvent::Ship { .. } => Side::Dealer,
            _ => Side::Agent,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            RmaEvent::Ship { .. } => "ship",
            RmaEvent::Receive { .. } => "receive",
            RmaEvent::Credit => "credit",
            RmaEvent::Replace => "replace",
            RmaEvent::Close { .. } => "close",
        }
    }
}

/// Applies `event` by `by` on `side`: the RMA's new state and a history entry, or why not
/// (and the RMA unchanged).
pub fn apply(rma: &mut Rma, event: RmaEvent, side: Side, by: &str, now: DateTime<Utc>) -> Result<(), RmaError> {
    use RmaState::*;
    if event.side() != side {
        return Err(RmaError::WrongSide(match side {
            Side::Dealer => "dealer",
            Side::Agent => "support",
        }));
    }
    let not_now = RmaError::NotNow {
        state: rma.state,
        event: event.name(),
    };
    match (event, rma.state) {
        (
            RmaEvent::Ship {
                carrier,
                tracking_number,
            },
            Issued,
        ) => {
            let why = format!("shipped with {carrier}, tracking {tracking_number}");
            rma.shipment = Some(Shipment {
                carrier,
                tracking_number,
                shipped_at: now,
            });
            step(rma, Shipped, why, by, now);
        }
        (RmaEvent::Receive { counts }, Issued | Shipped) => {
            let mut lines = rma.lines.clone();
            for (n, line) in lines.iter_mut().enumerate() {
                let mut found = counts.iter().filter(|(id, _, _)| *id == line.line);
                let (_, received, condition) = found
                    .next()
                    .ok_or_else(|| field("lines", format!("line {} is not counted", line.line)))?;
                if found.next().is_some() {
                    return Err(field(format!("lines[{n}].line"), "is counted twice"));
                }
                if *received > line.quantity {
                    return Err(field(
                        format!("lines[{n}].received"),
                        format!("is more than the {} asked back", line.quantity),
                    ));
                }
                line.received = Some(*received);
                line.condition = Some(*condition);
            }
            if let Some((id, _, _)) = counts
                .iter()
                .find(|(id, _, _)| !rma.lines.iter().any(|l| &l.line == id))
            {
                return Err(field("lines", format!("{id} is not a line of this RMA")));
            }
            let (asked, got): (u32, u32) = lines
                .iter()
                .fold((0, 0), |(a, g), l| (a + l.quantity, g + l.received.unwrap_or(0)));
            rma.lines = lines;
            step(rma, Received, format!("received {got} of {asked}"), by, now);
        }
        (RmaEvent::Credit, Received) => step(rma, Credited, "credited".into(), by, now),
        (RmaEvent::Replace, Received) => step(rma, Replaced, "replaced".into(), by, now),
        (RmaEvent::Close { .. }, Credited | Replaced) => step(rma, Closed, "closed".into(), by, now),
        (RmaEvent::Close { why }, Issued) => {
            let why = why
                .filter(|w| !w.trim().is_empty())
                .ok_or_else(|| field("why", "say why an issued RMA is cancelled"))?;
            step(rma, Closed, format!("cancelled: {}", why.trim()), by, now);
        }
        _ => return Err(not_now),
    }
    Ok(())
}

fn step(rma: &mut Rma, to: RmaState, why: String, by: &str, now: DateTime<Utc>) {
    rma.history.push(RmaHistory {
        at: now,
        by: by.to_string(),
        from: Some(rma.state),
        to,
        why,
    });
    rma.state = to;
    rma.updated_at = now;
}

/// The first of a claim's RMAs that keeps it from closing.
pub fn still_open(rmas: &[Rma]) -> Option<&Rma> {
    rmas.iter().find(|r| r.state.open())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::warranty_claim::tests_support::claim_in;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        "2026-11-02T10:00:00Z".parse().unwrap()
    }

    fn issued() -> Rma {
        let claim = claim_in(ClaimState::PartiallyApproved);
        issue(
            &claim,
            "rma_1".into(),
            rma_number("ACME", 123),
            &[("l1".into(), 2)],
            "Ship to Dock 4".into(),
            "agent@vendor.test",
            now(),
        )
        .unwrap()
    }

    #[test]
    fn numbers_are_per_company_and_padded() {
        assert_eq!(rma_number("ACME", 123), "ACME-RMA-000123");
    }

    #[test]
    fn only_part_lines_of_a_claim_under_way_are_asked_back() {
        let claim = claim_in(ClaimState::InReview);
        let ask = |parts: &[(&str, u32)]| {
            let parts: Vec<(String, u32)> = parts.iter().map(|(l, q)| (l.to_string(), *q)).collect();
            issue(&claim, "r".into(), "N".into(), &parts, String::new(), "a", now())
        };
        assert!(ask(&[("l1", 1)]).is_ok());
        assert_eq!(
            ask(&[]).unwrap_err(),
            field("lines", "name at least one part line of the claim")
        );
        assert!(matches!(ask(&[("l3", 1)]), Err(RmaError::Field { field, .. }) if field == "lines[0].line"));
        assert!(matches!(ask(&[("l9", 1)]), Err(RmaError::Field { field, .. }) if field == "lines[0].line"));
        assert!(matches!(ask(&[("l1", 3)]), Err(RmaError::Field { field, .. }) if field == "lines[0].quantity"));
        assert!(matches!(ask(&[("l1", 0)]), Err(RmaError::Field { field, .. }) if field == "lines[0].quantity"));
        assert!(matches!(ask(&[("l1", 1), ("l1", 1)]), Err(RmaError::Field { field, .. }) if field == "lines[1].line"));
        for state in [ClaimState::Draft, ClaimState::Submitted, ClaimState::Closed] {
            let claim = claim_in(state);
            let refused = issue(
                &claim,
                "r".into(),
                "N".into(),
                &[("l1".into(), 1)],
                String::new(),
                "a",
                now(),
            );
            assert_eq!(refused.unwrap_err(), RmaError::ClaimNotNow(state));
        }
    }

    #[test]
    fn the_walk_of_seed_004_ship_receive_credit_close() {
        let mut rma = issued();
        let ship = RmaEvent::Ship {
            carrier: "UPS".into(),
            tracking_number: "1Z999".into(),
        };
        assert_eq!(
            apply(&mut rma, ship.clone(), Side::Agent, "agent", now()),
            Err(RmaError::WrongSide("support"))
        );
        apply(&mut rma, ship, Side::Dealer, "dealer", now()).unwrap();
        assert_eq!(rma.shipment.as_ref().unwrap().tracking_number, "1Z999");
        let short = RmaEvent::Receive {
            counts: vec![("l1".into(), 3, PartCondition::AsDescribed)],
        };
        assert!(matches!(
            apply(&mut rma, short, Side::Agent, "a", now()),
            Err(RmaError::Field { field, .. }) if field == "lines[0].received"
        ));
        assert_eq!(rma.state, RmaState::Shipped, "unchanged by a refusal");
        let counted = RmaEvent::Receive {
            counts: vec![("l1".into(), 2, PartCondition::AsDescribed)],
        };
        apply(&mut rma, counted, Side::Agent, "agent", now()).unwrap();
        assert_eq!(rma.lines[0].received, Some(2));
        assert_eq!(rma.history.last().unwrap().why, "received 2 of 2");
        assert!(still_open(std::slice::from_ref(&rma)).is_some());
        apply(&mut rma, RmaEvent::Credit, Side::Agent, "agent", now()).unwrap();
        assert!(still_open(std::slice::from_ref(&rma)).is_none());
        apply(&mut rma, RmaEvent::Close { why: None }, Side::Agent, "agent", now()).unwrap();
        let states: Vec<_> = rma.history.iter().map(|h| h.to).collect();
        use RmaState::*;
        assert_eq!(states, [Issued, Shipped, Received, Credited, Closed]);
    }

    #[test]
    fn an_issued_rma_is_cancelled_only_with_a_reason() {
        let mut rma = issued();
        let bare = RmaEvent::Close { why: None };
        assert!(apply(&mut rma, bare, Side::Agent, "a", now()).is_err());
        let why = RmaEvent::Close {
            why: Some("part scrapped locally".into()),
        };
        apply(&mut rma, why, Side::Agent, "a", now()).unwrap();
        assert_eq!(rma.state, RmaState::Closed);
        assert_eq!(rma.history.last().unwrap().why, "cancelled: part scrapped locally");
    }

    fn any_event() -> impl Strategy<Value = (RmaEvent, Side)> {
        let event = prop_oneof![
            Just(RmaEvent::Ship {
                carrier: "UPS".into(),
                tracking_number: "1Z".into()
            }),
            (0u32..4).prop_map(|n| RmaEvent::Receive {
                counts: vec![("l1".into(), n, PartCondition::NoFault)]
            }),
            Just(RmaEvent::Credit),
            Just(RmaEvent::Replace),
            Just(RmaEvent::Close { why: None }),
            Just(RmaEvent::Close {
                why: Some("lost".into())
            }),
        ];
        (event, prop_oneof![Just(Side::Dealer), Just(Side::Agent)])
    }

    proptest! {
        /// Whatever happens: a refusal changes nothing; an accepted step is in the history
        /// with its from and to; Closed is the end; received never exceeds what was asked.
        #[test]
        fn every_walk_keeps_the_rules(events in proptest::collection::vec(any_event(), 0..12)) {
            let mut rma = issued();
            for (event, side) in events {
                let before = rma.clone();
                match apply(&mut rma, event, side, "x", now()) {
                    Err(_) => prop_assert_eq!(&rma, &before),
                    Ok(()) => {
                        prop_assert_ne!(before.state, RmaState::Closed);
                        let last = rma.history.last().unwrap();
                        prop_assert_eq!(last.from, Some(before.state));
                        prop_assert_eq!(last.to, rma.state);
                        prop_assert_eq!(rma.history.len(), before.history.len() + 1);
                    }
                }
                for line in &rma.lines {
                    prop_assert!(line.received.unwrap_or(0) <= line.quantity);
                }
            }
        }
    }
}
