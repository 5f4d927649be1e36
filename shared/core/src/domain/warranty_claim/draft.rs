//! A new claim as the API receives it: everything optional so that what is missing gets a
//! problem naming it (`lines[2].quantity`), then checked into a claim's facts and lines.

use super::{Line, LineKind, OtherKind, UsageUnit};
use crate::domain::money::{self, Currency};
use crate::domain::validate::{self, Invalid};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// At most this many lines on one claim.
pub const MAX_LINES: usize = 200;

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimDraft {
    #[schema(required, schema_with = validate::schemas::serial)]
    pub serial: Option<String>,
    /// YYYY-MM-DD.
    #[schema(required, value_type = String, format = Date, min_length = 1)]
    pub failure_date: Option<String>,
    /// Hours or miles on the unit when it failed.
    #[serde(default, deserialize_with = "crate::domain::validate::whole_number")]
    #[schema(required, value_type = u64, minimum = 0, maximum = 100000000)]
    pub usage: Option<u64>,
    #[schema(required, value_type = UsageUnit)]
    pub usage_unit: Option<UsageUnit>,
    /// ISO 4217, e.g. USD: every amount of the claim is in it.
    #[schema(required, value_type = String, pattern = "^\\s*[A-Za-z]{3}\\s*$")]
    pub currency: Option<String>,
    #[schema(required, value_type = String, min_length = 1, max_length = 4000, pattern = "\\S")]
    pub complaint: Option<String>,
    #[schema(required, value_type = String, min_length = 1, max_length = 4000, pattern = "\\S")]
    pub cause: Option<String>,
    #[schema(required, value_type = String, min_length = 1, max_length = 4000, pattern = "\\S")]
    pub correction: Option<String>,
    #[schema(value_type = Option<String>, max_length = 40)]
    pub fault_code: Option<String>,
    #[schema(required, max_items = 200)]
    pub lines: Option<Vec<LineDraft>>,
}

/// One line: `kind` says which fields it takes.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineDraft {
    /// `part`, `labour` or `other`.
    #[schema(required, value_type = String)]
    pub kind: Option<String>,
    #[schema(value_type = Option<String>, max_length = 200)]
    pub description: Option<String>,
    // Parts.
    #[schema(value_type = Option<String>, max_length = 60)]
    pub part_number: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::validate::whole_number")]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 100000)]
    pub quantity: Option<u32>,
    /// Minor units (cents) each.
    #[serde(default, deserialize_with = "crate::domain::validate::whole_number")]
    #[schema(value_type = Option<u64>, minimum = 0, maximum = 10000000000000i64)]
    pub unit_price: Option<u64>,
    #[serde(default)]
    pub causal: bool,
    #[serde(default)]
    pub return_required: bool,
    // Labour.
    #[schema(value_type = Option<String>, max_length = 40)]
    pub labour_code: Option<String>,
    /// Hours in hundredths: 1.5 hours is 150.
    #[serde(default, deserialize_with = "crate::domain::validate::whole_number")]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 100000)]
    pub hundredths: Option<u32>,
    /// Minor units an hour.
    #[serde(default, deserialize_with = "crate::domain::validate::whole_number")]
    #[schema(value_type = Option<u64>, minimum = 0, maximum = 10000000000000i64)]
    pub rate: Option<u64>,
    // Other expenses.
    /// `freight`, `travel` or `sublet`.
    #[schema(value_type = Option<String>)]
    pub category: Option<String>,
    /// Minor units.
    #[serde(default, deserialize_with = "crate::domain::validate::whole_number")]
    #[schema(value_type = Option<u64>, minimum = 0, maximum = 10000000000000i64)]
    pub amount: Option<u64>,
}

/// A draft that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidClaim {
    pub serial: String,
    pub failure_date: NaiveDate,
    pub usage: u64,
    pub usage_unit: UsageUnit,
    pub currency: Currency,
    pub complaint: String,
    pub cause: String,
    pub correction: String,
    pub fault_code: String,
    pub lines: Vec<Line>,
}

fn minor(field: String, value: Option<u64>) -> Result<i64, Invalid> {
    let value = value.ok_or_else(|| Invalid::new(&field, "is required (minor units, e.g. cents)"))?;
    i64::try_from(value)
        .ok()
        .and_then(|v| money::amount(v).ok())
        .ok_or_else(|| Invalid::new(&field, format!("must be from 0 to {}", money::MAX_MINOR)))
}

fn count(field: String, value: Option<u32>) -> Result<u32, Invalid> {
    match value {
        Some(n @ 1..=100_000) => Ok(n),
        Some(_) => Err(Invalid::new(&field, "must be from 1 to 100000")),
        None => Err(Invalid::new(&field, "is required")),
    }
}

impl LineDraft {
    fn validate(&self, n: usize) -> Result<Line, Invalid> {
        let at = |name: &str| format!("lines[{n}].{name}");
        let description =
            validate::optional_line(&at("description"), self.description.as_deref(), 200)?.unwrap_or_default();
        let kind = match validate::line(&at("kind"), self.kind.as_deref(), 20)?.as_str() {
            "part" => LineKind::Part {
                part_number: validate::line(&at("part_number"), self.part_number.as_deref(), 60)?,
                description,
                quantity: count(at("quantity"), self.quantity)?,
                unit_price: minor(at("unit_price"), self.unit_price)?,
                causal: self.causal,
                return_required: self.return_required,
            },
            "labour" => LineKind::Labour {
                labour_code: validate::line(&at("labour_code"), self.labour_code.as_deref(), 40)?,
                description,
                hundredths: count(at("hundredths"), self.hundredths)?,
                rate: minor(at("rate"), self.rate)?,
            },
            "other" => LineKind::Other {
                category: match validate::line(&at("category"), self.category.as_deref(), 20)?.as_str() {
                    "freight" => OtherKind::Freight,
                    "travel" => OtherKind::Travel,
                    "sublet" => OtherKind::Sublet,
                    _ => return Err(Invalid::new(at("category"), "must be freight, travel or sublet")),
                },
                description,
                amount: minor(at("amount"), self.amount)?,
            },
            _ => return Err(Invalid::new(at("kind"), "must be part, labour or other")),
        };
        Line::new(format!("l{}", n + 1), kind).map_err(|_| Invalid::new(at("kind"), "claims more than a claim may"))
    }
}

impl ClaimDraft {
    pub fn validate(&self) -> Result<ValidClaim, Invalid> {
        let serial = validate::code("serial", self.serial.as_deref(), 60)?;
        let date = validate::line("failure_date", self.failure_date.as_deref(), 10)?;
        let failure_date = NaiveDate::parse_from_str(&date, "%Y-%m-%d")
            .map_err(|_| Invalid::new("failure_date", "must be a date as YYYY-MM-DD"))?;
        let usage = match self.usage {
            Some(u @ 0..=100_000_000) => u,
            Some(_) => return Err(Invalid::new("usage", "must be from 0 to 100000000")),
            None => return Err(Invalid::new("usage", "is required (hours or miles)")),
        };
        let usage_unit = self
            .usage_unit
            .ok_or_else(|| Invalid::new("usage_unit", "is required: hours or miles"))?;
        let currency = Currency::parse(self.currency.as_deref().unwrap_or_default())
            .ok_or_else(|| Invalid::new("currency", "must be a three-letter ISO 4217 code such as USD"))?;
        let drafts = self.lines.as_deref().unwrap_or_default();
        if drafts.is_empty() || drafts.len() > MAX_LINES {
            return Err(Invalid::new("lines", format!("must hold from 1 to {MAX_LINES} lines")));
        }
        let lines = drafts
            .iter()
            .enumerate()
            .map(|(n, l)| l.validate(n))
            .collect::<Result<Vec<_>, _>>()?;
        let mut total = 0i64;
        for line in &lines {
            total =
                money::add(total, line.claimed).map_err(|_| Invalid::new("lines", "claim more than a claim may"))?;
        }
        Ok(ValidClaim {
            serial,
            failure_date,
            usage,
            usage_unit,
            currency,
            complaint: validate::text("complaint", self.complaint.as_deref(), 4000)?,
            cause: validate::text("cause", self.cause.as_deref(), 4000)?,
            correction: validate::text("correction", self.correction.as_deref(), 4000)?,
            fault_code: validate::optional_line("fault_code", self.fault_code.as_deref(), 40)?.unwrap_or_default(),
            lines,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn draft(lines: serde_json::Value) -> ClaimDraft {
        serde_json::from_value(json!({
            "serial": "SN-1", "failure_date": "2026-10-20", "usage": 410, "usage_unit": "hours",
            "currency": "usd", "complaint": "Leaks", "cause": "Cracked impeller", "correction": "Replaced",
            "lines": lines,
        }))
        .unwrap()
    }

    fn refused(lines: serde_json::Value) -> String {
        draft(lines).validate().unwrap_err().field
    }

    #[test]
    fn a_draft_becomes_lines_with_their_claimed_amounts() {
        let valid = draft(json!([
            {"kind": "part", "part_number": "P-1", "quantity": 2, "unit_price": 5000, "causal": true, "return_required": true},
            {"kind": "labour", "labour_code": "L-1", "hundredths": 150, "rate": 8000},
            {"kind": "other", "category": "freight", "amount": 2500},
        ]))
        .validate()
        .unwrap();
        assert_eq!(valid.currency.as_str(), "USD");
        let claimed: Vec<i64> = valid.lines.iter().map(|l| l.claimed).collect();
        assert_eq!(claimed, [10_000, 12_000, 2_500]);
        assert_eq!(valid.lines[2].id, "l3");
    }

    #[test]
    fn each_refusal_names_its_line_and_field() {
        assert_eq!(refused(json!([])), "lines");
        assert_eq!(refused(json!([{"kind": "gift"}])), "lines[0].kind");
        assert_eq!(
            refused(json!([{"kind": "part", "quantity": 1, "unit_price": 1}])),
            "lines[0].part_number"
        );
        assert_eq!(
            refused(json!([{"kind": "part", "part_number": "P", "quantity": 0, "unit_price": 1}])),
            "lines[0].quantity"
        );
        assert_eq!(
            refused(json!([{"kind": "labour", "labour_code": "L", "hundredths": 100}])),
            "lines[0].rate"
        );
        assert_eq!(
            refused(json!([{"kind": "other", "category": "bribe", "amount": 1}])),
            "lines[0].category"
        );
        assert_eq!(
            refused(
                json!([{"kind": "other", "category": "travel", "amount": 1}, {"kind": "other", "category": "sublet", "amount": 10_000_000_000_001u64}])
            ),
            "lines[1].amount"
        );
        // One line claiming beyond the bound (quantity × price overflows) names the line.
        let many: Vec<_> = (0..2).map(|_| json!({"kind": "part", "part_number": "P", "quantity": 100000, "unit_price": 10_000_000_000_000u64})).collect();
        assert_eq!(refused(json!(many)), "lines[0].kind");
        let lots: Vec<_> = (0..201)
            .map(|_| json!({"kind": "other", "category": "travel", "amount": 1}))
            .collect();
        assert_eq!(refused(json!(lots)), "lines");
        let mut bad = draft(json!([{"kind": "other", "category": "travel", "amount": 1}]));
        bad.currency = Some("US$".into());
        assert_eq!(bad.validate().unwrap_err().field, "currency");
    }
}
