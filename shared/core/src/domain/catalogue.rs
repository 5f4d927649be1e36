//! The per-deployment catalogue of ticket types, loaded from a JSON file. Each type may
//! require its own fields (Missing ERA needs provider, payer, check number, amount, date).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The seeds' defaults; a deployment replaces them with its own file.
pub const DEFAULT_CATALOGUE: &str = include_str!("../../ticket_types.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Money,
    Date,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldSpec {
    pub name: String,
    pub label: String,
    pub kind: FieldKind,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TicketType {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub required_fields: Vec<FieldSpec>,
    /// Change requests need the site owner's approval before work starts (seed 000).
    #[serde(default)]
    pub needs_owner_approval: bool,
    /// Account management is not a help-desk matter: such tickets are refused.
    #[serde(default)]
    pub account_management: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Catalogue {
    pub types: Vec<TicketType>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("is required for this ticket type")]
    Missing(String),
    #[error("must be an amount such as 125.40")]
    NotMoney(String),
    #[error("must be a date as YYYY-MM-DD")]
    NotDate(String),
    #[error("must be at most 500 characters")]
    TooLong(String),
}

impl FieldError {
    pub fn field(&self) -> &str {
        match self {
            FieldError::Missing(f) | FieldError::NotMoney(f) | FieldError::NotDate(f) | FieldError::TooLong(f) => f,
        }
    }
}

impl Catalogue {
    pub fn from_json(text: &str) -> Result<Catalogue, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn defaults() -> Catalogue {
        // The embedded file is checked by a unit test, so this cannot fail at run time.
        Catalogue::from_json(DEFAULT_CATALOGUE).unwrap_or(Catalogue { types: Vec::new() })
    }

    pub fn find(&self, id: &str) -> Option<&TicketType> {
        self.types.iter().find(|t| t.id == id)
    }
}

impl TicketType {
    /// Checks the type's own fields and returns them normalised (trimmed; amounts with two
    /// decimals). Fields the type does not name are kept as given, trimmed.
    pub fn check_fields(&self, given: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, FieldError> {
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in given {
            if value.chars().count() > 500 {
                return Err(FieldError::TooLong(format!("fields.{name}")));
            }
            out.insert(name.clone(), value.trim().to_string());
        }
        for spec in &self.required_fields {
            let path = format!("fields.{}", spec.name);
            let value = out.get(&spec.name).map(String::as_str).unwrap_or("");
            if value.is_empty() {
                return Err(FieldError::Missing(path));
            }
            let normalised = match spec.kind {
                FieldKind::Text => value.to_string(),
                FieldKind::Money => normalise_money(value).ok_or(FieldError::NotMoney(path))?,
                FieldKind::Date => {
                    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| FieldError::NotDate(path))?;
                    value.to_string()
                }
            };
            out.insert(spec.name.clone(), normalised);
        }
        Ok(out)
    }
}

fn normalise_money(text: &str) -> Option<String> {
    let cleaned: String = text.trim().trim_start_matches('$').replace(',', "");
    let (whole, cents) = match cleaned.split_once('.') {
        Some((w, c)) => (w, c),
        None => (cleaned.as_str(), ""),
    };
    let digits_ok = !whole.is_empty()
        && whole.len() <= 12
        && whole.chars().all(|c| c.is_ascii_digit())
        && cents.len() <= 2
        && cents.chars().all(|c| c.is_ascii_digit());
    let whole = match whole.trim_start_matches('0') {
        "" => "0",
        significant => significant,
    };
    digits_ok.then(|| format!("{whole}.{cents:0<2}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_embedded_catalogue_holds_the_seed_types() {
        let cat = Catalogue::from_json(DEFAULT_CATALOGUE).expect("valid catalogue");
        for id in [
            "support",
            "change_request",
            "information_training",
            "missing_era",
            "billing",
            "level_2",
        ] {
            assert!(cat.find(id).is_some(), "{id} missing");
        }
        assert!(cat.find("change_request").unwrap().needs_owner_approval);
        assert!(cat.find("account_management").unwrap().account_management);
    }

    #[test]
    fn missing_era_requires_its_five_fields() {
        let cat = Catalogue::defaults();
        let era = cat.find("missing_era").unwrap();
        let err = era.check_fields(&fields(&[("provider", "Dr A")])).unwrap_err();
        assert_eq!(err.field(), "fields.payer");
        let ok = era
            .check_fields(&fields(&[
                ("provider", " Dr A "),
                ("payer", "Aetna"),
                ("check_number", "55"),
                ("amount", "$1,200.5"),
                ("date", "2026-10-01"),
            ]))
            .unwrap();
        assert_eq!(ok["amount"], "1200.50");
        assert_eq!(ok["provider"], "Dr A");
        let bad_date = era.check_fields(&fields(&[
            ("provider", "a"),
            ("payer", "b"),
            ("check_number", "c"),
            ("amount", "1"),
            ("date", "10/01/2026"),
        ]));
        assert_eq!(bad_date.unwrap_err(), FieldError::NotDate("fields.date".into()));
    }

    #[test]
    fn money_is_normalised_or_refused() {
        assert_eq!(normalise_money("0.5").as_deref(), Some("0.50"));
        assert_eq!(normalise_money("007").as_deref(), Some("7.00"));
        assert_eq!(normalise_money("1.234"), None);
        assert_eq!(normalise_money("abc"), None);
    }
}
