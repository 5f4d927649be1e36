//! Warranty claims (seed 004): a dealer's claim on a unit, its lines of parts, labour and
//! other expenses in integer minor units, the coverage terms copied onto it when it is
//! submitted, the warranty check, per-line decisions with reason codes, and totals per
//! coverage bucket. The lifecycle is a pure state machine (`lifecycle.rs`); the check is a
//! pure function of the unit, its terms and the dates (`check.rs`).

pub mod check;
pub mod draft;
pub mod lifecycle;
pub mod rma;

use super::money::{self, Currency, MoneyError};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// What a line is claimed under; each bucket has its own coverage term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Parts,
    Labour,
    Other,
}

impl Bucket {
    pub const ALL: [Bucket; 3] = [Bucket::Parts, Bucket::Labour, Bucket::Other];
}

/// One bucket's term: how long from the warranty's start, and what share it pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Term {
    pub months: u32,
    /// 0–100.
    pub percent: u8,
}

/// A product's warranty terms, per bucket. Copied onto a claim when it is submitted, so a
/// later change of terms never changes an old claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Coverage {
    pub parts: Term,
    pub labour: Term,
    pub other: Term,
}

impl Coverage {
    /// Every bucket for `months` at 100 %: what a product defined with only
    /// `warranty_months` has.
    pub fn uniform(months: u32) -> Coverage {
        let term = Term { months, percent: 100 };
        Coverage {
            parts: term,
            labour: term,
            other: term,
        }
    }

    pub fn term(&self, bucket: Bucket) -> Term {
        match bucket {
            Bucket::Parts => self.parts,
            Bucket::Labour => self.labour,
            Bucket::Other => self.other,
        }
    }
}

/// Other expenses a claim may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OtherKind {
    Freight,
    Travel,
    Sublet,
}

/// What a line claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LineKind {
    Part {
        part_number: String,
        description: String,
        quantity: u32,
        /// Minor units each.
        unit_price: i64,
        /// The part that caused the failure (the one an RMA usually asks back).
        causal: bool,
        return_required: bool,
    },
    Labour {
        labour_code: String,
        description: String,
        /// Hours in hundredths (1.5 h is 150): no floats anywhere near money.
        hundredths: u32,
        /// Minor units an hour.
        rate: i64,
    },
    Other {
        category: OtherKind,
        description: String,
        amount: i64,
    },
}

impl LineKind {
    pub fn bucket(&self) -> Bucket {
        match self {
            LineKind::Part { .. } => Bucket::Parts,
            LineKind::Labour { .. } => Bucket::Labour,
            LineKind::Other { .. } => Bucket::Other,
        }
    }

    /// What the line claims, in minor units.
    pub fn claimed(&self) -> Result<i64, MoneyError> {
        match self {
            LineKind::Part {
                quantity, unit_price, ..
            } => money::scale(money::amount(*unit_price)?, i64::from(*quantity), 1),
            LineKind::Labour { hundredths, rate, .. } => {
                money::scale(money::amount(*rate)?, i64::from(*hundredths), 100)
            }
            LineKind::Other { amount, .. } => money::amount(*amount),
        }
    }
}

/// A reviewer's decision on one line: what is approved, and why when it differs from the
/// claimed amount (a code of the reason catalogue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LineDecision {
    pub approved: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Line {
    pub id: String,
    #[serde(flatten)]
    pub kind: LineKind,
    pub claimed: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<LineDecision>,
}

impl Line {
    pub fn new(id: impl Into<String>, kind: LineKind) -> Result<Line, MoneyError> {
        let claimed = kind.claimed()?;
        Ok(Line {
            id: id.into(),
            kind,
            claimed,
            decision: None,
        })
    }
}

/// Sums of a claim: claimed and approved, in all and per bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Totals {
    pub claimed: i64,
    pub approved: i64,
    pub parts: BucketTotals,
    pub labour: BucketTotals,
    pub other: BucketTotals,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BucketTotals {
    pub claimed: i64,
    pub approved: i64,
}

/// Where a claim's unit stands, from the claim's point of view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClaimedUnit {
    pub serial: String,
    pub sku: String,
    /// The day the warranty started, if the unit is registered.
    #[serde(default)]
    pub warranty_start: Option<NaiveDate>,
    /// The dealer the unit is registered to (`None`: not registered).
    #[serde(default)]
    pub registered_dealer: Option<String>,
}

/// A warranty claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Claim {
    pub id: String,
    pub dealer_company: String,
    pub unit: ClaimedUnit,
    pub currency: Currency,
    pub failure_date: NaiveDate,
    /// Hours or miles on the unit when it failed.
    pub usage: u64,
    pub usage_unit: UsageUnit,
    pub complaint: String,
    pub cause: String,
    pub correction: String,
    pub fault_code: String,
    pub lines: Vec<Line>,
    pub state: lifecycle::ClaimState,
    /// The terms in force when the claim was (last) submitted.
    #[serde(default)]
    pub coverage: Option<Coverage>,
    /// The warranty check of the last submission, shown to both sides.
    #[serde(default)]
    pub check: Option<check::WarrantyCheck>,
    pub history: Vec<lifecycle::ClaimHistory>,
    /// Who of the support side took it last (their queue of claims in review).
    #[serde(default)]
    pub reviewer: Option<String>,
    /// The RMAs issued from this claim, oldest first.
    #[serde(default)]
    pub rmas: Vec<ClaimRma>,
    /// The cases that are the claim's conversation (both sides write, mail and attach files
    /// there), oldest first.
    #[serde(default)]
    pub cases: Vec<ClaimCase>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A case of the claim's conversation, as the claim names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClaimCase {
    pub id: String,
    pub number: String,
}

/// An RMA issued from a claim, as the claim names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClaimRma {
    pub id: String,
    pub number: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UsageUnit {
    Hours,
    Miles,
}

impl Claim {
    /// The claim's sums. An approved amount counts once decided; until then it is zero.
    pub fn totals(&self) -> Result<Totals, MoneyError> {
        let mut totals = Totals::default();
        for line in &self.lines {
            let approved = line.decision.as_ref().map_or(0, |d| d.approved);
            let bucket = match line.kind.bucket() {
                Bucket::Parts => &mut totals.parts,
                Bucket::Labour => &mut totals.labour,
                Bucket::Other => &mut totals.other,
            };
            bucket.claimed = money::add(bucket.claimed, line.claimed)?;
            bucket.approved = money::add(bucket.approved, approved)?;
            totals.claimed = money::add(totals.claimed, line.claimed)?;
            totals.approved = money::add(totals.approved, approved)?;
        }
        Ok(totals)
    }
}

/// The deployment's reasons for approving less than claimed (a catalogue file like the
/// ticket types; the defaults follow the spirit of X12's claim adjustment reasons).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reason {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reasons {
    pub reasons: Vec<Reason>,
}

impl Reasons {
    pub fn defaults() -> Reasons {
        Reasons::from_json(include_str!("../../../adjustment_reasons.json")).expect("the default reasons parse")
    }

    pub fn from_json(text: &str) -> Result<Reasons, String> {
        let reasons: Reasons = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if reasons.reasons.is_empty() {
            return Err("the reason catalogue is empty".into());
        }
        // The warranty check suggests these; a deployment's own catalogue must know them.
        let missing: Vec<&str> = check::SUGGESTED_REASONS
            .iter()
            .copied()
            .filter(|code| !reasons.knows(code))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "the reason catalogue lacks the warranty check's codes: {}",
                missing.join(", ")
            ));
        }
        Ok(reasons)
    }

    pub fn knows(&self, code: &str) -> bool {
        self.reasons.iter().any(|r| r.code == code)
    }
}

/// A claim to test with: ACME's, on a unit registered from 15 January 2026, with a causal
/// part line `l1` (2 × 50.00), labour `l2` (1.5 h at 80.00) and freight `l3` (25.00).
#[cfg(test)]
pub(crate) mod tests_support {
    use super::lifecycle::{ClaimHistory, ClaimState};
    use super::*;
    use crate::domain::money::Currency;
    use chrono::{TimeZone, Utc};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
    }

    pub fn claim() -> Claim {
        let unit = ClaimedUnit {
            serial: "SN-1".into(),
            sku: "PUMP-1".into(),
            warranty_start: NaiveDate::from_ymd_opt(2026, 1, 15),
            registered_dealer: Some("ACME".into()),
        };
        let lines = vec![
            Line::new(
                "l1",
                LineKind::Part {
                    part_number: "P-1".into(),
                    description: "Impeller".into(),
                    quantity: 2,
                    unit_price: 5_000,
                    causal: true,
                    return_required: true,
                },
            )
            .unwrap(),
            Line::new(
                "l2",
                LineKind::Labour {
                    labour_code: "L-1".into(),
                    description: "Fit".into(),
                    hundredths: 150,
                    rate: 8_000,
                },
            )
            .unwrap(),
            Line::new(
                "l3",
                LineKind::Other {
                    category: OtherKind::Freight,
                    description: "Truck".into(),
                    amount: 2_500,
                },
            )
            .unwrap(),
        ];
        Claim {
            id: "wc_1".into(),
            dealer_company: "ACME".into(),
            unit,
            currency: Currency::parse("USD").unwrap(),
            failure_date: NaiveDate::from_ymd_opt(2026, 10, 20).unwrap(),
            usage: 410,
            usage_unit: UsageUnit::Hours,
            complaint: "Leaks".into(),
            cause: "Cracked impeller".into(),
            correction: "Replaced".into(),
            fault_code: "F-12".into(),
            lines,
            state: ClaimState::Draft,
            coverage: None,
            check: None,
            history: vec![ClaimHistory {
                at: now(),
                by: "dana@acme.test".into(),
                from: None,
                to: ClaimState::Draft,
                why: "drafted".into(),
            }],
            reviewer: None,
            rmas: Vec::new(),
            cases: Vec::new(),
            created_by: "dana@acme.test".into(),
            created_at: now(),
            updated_at: now(),
        }
    }

    /// The claim, as if it had come to `state`.
    pub fn claim_in(state: ClaimState) -> Claim {
        Claim { state, ..claim() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_claim_in_minor_units_without_floats() {
        let part = LineKind::Part {
            part_number: "P-1".into(),
            description: "Impeller".into(),
            quantity: 3,
            unit_price: 4_199,
            causal: true,
            return_required: true,
        };
        assert_eq!(part.claimed(), Ok(12_597));
        let labour = LineKind::Labour {
            labour_code: "L-10".into(),
            description: "Replace impeller".into(),
            hundredths: 175,
            rate: 9_000,
        };
        assert_eq!(labour.claimed(), Ok(15_750));
        let negative = LineKind::Other {
            category: OtherKind::Freight,
            description: "Truck".into(),
            amount: -5,
        };
        assert_eq!(negative.claimed(), Err(MoneyError::OutOfRange));
        let overflowing = LineKind::Part {
            part_number: "P".into(),
            description: "".into(),
            quantity: u32::MAX,
            unit_price: money::MAX_MINOR,
            causal: false,
            return_required: false,
        };
        assert_eq!(overflowing.claimed(), Err(MoneyError::OutOfRange));
    }

    #[test]
    fn the_default_reasons_parse_and_hold_the_checks_reasons() {
        let reasons = Reasons::defaults();
        for code in [
            "expired_warranty",
            "no_warranty_record",
            "submitted_too_late",
            "coverage_percentage",
            "part_not_returned",
        ] {
            assert!(reasons.knows(code), "{code}");
        }
        assert!(Reasons::from_json(r#"{"reasons": []}"#).is_err());
        let without_the_checks = r#"{"reasons": [{"code": "our_own", "name": "Ours"}]}"#;
        assert!(Reasons::from_json(without_the_checks)
            .unwrap_err()
            .contains("submitted_too_late"));
    }
}
