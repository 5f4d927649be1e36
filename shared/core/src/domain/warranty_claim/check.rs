//! The warranty check a submission runs (seed 004): is the unit registered to this dealer,
//! is the failure inside each bucket's coverage, was the claim filed within the
//! deployment's window. The result is kept on the claim and shown to both sides; it also
//! suggests each line's decision, which the reviewer may change.

use super::{Bucket, ClaimedUnit, Coverage, Line, LineDecision};
use crate::domain::money::{self, MoneyError};
use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// Every reason code the check may suggest (a reason catalogue must hold them).
pub const SUGGESTED_REASONS: &[&str] = &[
    "no_warranty_record",
    "submitted_too_late",
    "coverage_percentage",
    "expired_warranty",
];

/// One bucket's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BucketCheck {
    pub bucket: Bucket,
    pub covered: bool,
    /// The first day no longer covered (for a registered unit).
    #[serde(default)]
    pub ends: Option<NaiveDate>,
    pub percent: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WarrantyCheck {
    pub registered_to_dealer: bool,
    pub filed_in_time: bool,
    /// The last day a claim for this failure may be filed.
    pub filing_deadline: NaiveDate,
    pub buckets: Vec<BucketCheck>,
}

impl WarrantyCheck {
    /// Whether anything of the claim can be paid: a registered unit, in time, some bucket
    /// covered.
    pub fn passes(&self) -> bool {
        self.registered_to_dealer && self.filed_in_time && self.buckets.iter().any(|b| b.covered)
    }

    fn bucket(&self, bucket: Bucket) -> Option<&BucketCheck> {
        self.buckets.iter().find(|b| b.bucket == bucket)
    }

    /// The decision the check suggests for a line: its bucket's percentage of what it
    /// claims when covered, nothing (with the reason) when not.
    pub fn suggest(&self, line: &Line) -> Result<LineDecision, MoneyError> {
        let refused = |reason: &str| LineDecision {
            approved: 0,
            reason: Some(reason.into()),
        };
        if !self.registered_to_dealer {
            return Ok(refused("no_warranty_record"));
        }
        if !self.filed_in_time {
            return Ok(refused("submitted_too_late"));
        }
        match self.bucket(line.kind.bucket()) {
            Some(b) if b.covered => Ok(LineDecision {
                approved: money::percent_of(line.claimed, b.percent)?,
                reason: (b.percent < 100).then(|| "coverage_percentage".into()),
            }),
            _ => Ok(refused("expired_warranty")),
        }
    }
}

/// Runs the check for a failure on `failure_date`, filed on `filed_on`, by `dealer`, under
/// `coverage`, with `window_days` to file after a failure.
pub fn check(
    unit: &ClaimedUnit,
    dealer: &str,
    coverage: &Coverage,
    failure_date: NaiveDate,
    filed_on: NaiveDate,
    window_days: u32,
) -> WarrantyCheck {
    let registered_to_dealer = unit.registered_dealer.as_deref() == Some(dealer) && unit.warranty_start.is_some();
    let filing_deadline = failure_date
        .checked_add_days(Days::new(u64::from(window_days)))
        .unwrap_or(NaiveDate::MAX);
    let buckets = Bucket::ALL
        .iter()
        .map(|&bucket| {
            let term = coverage.term(bucket);
            let ends = unit.warranty_start.map(|start| {
                start
                    .checked_add_months(Months::new(term.months))
                    .unwrap_or(NaiveDate::MAX)
            });
            let covered = registered_to_dealer
                && term.percent > 0
                && unit.warranty_start.is_some_and(|start| start <= failure_date)
                && ends.is_some_and(|end| failure_date < end);
            BucketCheck {
                bucket,
                covered,
                ends,
                percent: term.percent,
            }
        })
        .collect();
    WarrantyCheck {
        registered_to_dealer,
        filed_in_time: filed_on <= filing_deadline && failure_date <= filed_on,
        filing_deadline,
        buckets,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{LineKind, OtherKind, Term};
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn unit(dealer: Option<&str>) -> ClaimedUnit {
        ClaimedUnit {
            serial: "SN-1".into(),
            sku: "PUMP-1".into(),
            warranty_start: dealer.map(|_| day(2025, 1, 15)),
            registered_dealer: dealer.map(str::to_string),
        }
    }

    /// Parts for 24 months at 100 %, labour for 12 at 100 %, other for 12 at 50 %.
    fn terms() -> Coverage {
        Coverage {
            parts: Term {
                months: 24,
                percent: 100,
            },
            labour: Term {
                months: 12,
                percent: 100,
            },
            other: Term {
                months: 12,
                percent: 50,
            },
        }
    }

    fn line(kind: LineKind) -> Line {
        Line::new("l", kind).unwrap()
    }

    fn freight(amount: i64) -> Line {
        line(LineKind::Other {
            category: OtherKind::Freight,
            description: "truck".into(),
            amount,
        })
    }

    fn labour(hundredths: u32, rate: i64) -> Line {
        line(LineKind::Labour {
            labour_code: "L".into(),
            description: "fit".into(),
            hundredths,
            rate,
        })
    }

    #[test]
    fn inside_every_term_the_check_passes_and_suggests_each_buckets_percentage() {
        let check = check(
            &unit(Some("ACME")),
            "ACME",
            &terms(),
            day(2025, 6, 1),
            day(2025, 6, 20),
            30,
        );
        assert!(check.passes());
        assert!(check.buckets.iter().all(|b| b.covered));
        assert_eq!(
            check.suggest(&freight(10_001)).unwrap(),
            LineDecision {
                approved: 5_001,
                reason: Some("coverage_percentage".into())
            }
        );
        assert_eq!(
            check.suggest(&labour(200, 5_000)).unwrap(),
            LineDecision {
                approved: 10_000,
                reason: None
            }
        );
    }

    #[test]
    fn after_the_labour_term_but_inside_the_parts_term_only_parts_are_covered() {
        let check = check(
            &unit(Some("ACME")),
            "ACME",
            &terms(),
            day(2026, 3, 1),
            day(2026, 3, 2),
            30,
        );
        let covered: Vec<(Bucket, bool)> = check.buckets.iter().map(|b| (b.bucket, b.covered)).collect();
        assert_eq!(
            covered,
            [(Bucket::Parts, true), (Bucket::Labour, false), (Bucket::Other, false)]
        );
        assert_eq!(check.buckets[1].ends, Some(day(2026, 1, 15)));
        assert!(check.passes(), "the parts can still be paid");
        assert_eq!(
            check.suggest(&labour(100, 9_000)).unwrap().reason.as_deref(),
            Some("expired_warranty")
        );
    }

    #[test]
    fn an_unregistered_unit_another_dealers_unit_and_a_late_claim_are_told_apart() {
        let unregistered = check(&unit(None), "ACME", &terms(), day(2025, 6, 1), day(2025, 6, 2), 30);
        assert!(!unregistered.passes());
        assert_eq!(
            unregistered.suggest(&freight(100)).unwrap().reason.as_deref(),
            Some("no_warranty_record")
        );
        let theirs = check(
            &unit(Some("OTHER")),
            "ACME",
            &terms(),
            day(2025, 6, 1),
            day(2025, 6, 2),
            30,
        );
        assert!(!theirs.registered_to_dealer);
        let late = check(
            &unit(Some("ACME")),
            "ACME",
            &terms(),
            day(2025, 6, 1),
            day(2025, 7, 2),
            30,
        );
        assert_eq!((late.filed_in_time, late.filing_deadline), (false, day(2025, 7, 1)));
        assert_eq!(
            late.suggest(&freight(100)).unwrap().reason.as_deref(),
            Some("submitted_too_late")
        );
        let before_start = check(
            &unit(Some("ACME")),
            "ACME",
            &terms(),
            day(2025, 1, 14),
            day(2025, 1, 20),
            30,
        );
        assert!(
            !before_start.passes(),
            "a failure before the warranty started is not covered"
        );
        let future = check(
            &unit(Some("ACME")),
            "ACME",
            &terms(),
            day(2025, 6, 10),
            day(2025, 6, 1),
            30,
        );
        assert!(!future.filed_in_time, "a failure after the filing day is refused");
    }
}
