//! A company (tenant): its code prefixes ticket numbers, and its first level of support
//! receives the internal tickets of its users (seed 000).

use super::validate::{self, Invalid};
use crate::domain::directory::FieldChange;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Company {
    pub code: String,
    pub name: String,
    /// The person or queue that receives internal tickets by email.
    pub first_level_support_email: String,
    pub created_at: DateTime<Utc>,
    /// A deactivated company files no tickets and lets nobody in (its people are
    /// deactivated with it); staff may reactivate it.
    #[serde(default = "active_by_default")]
    pub active: bool,
}

fn active_by_default() -> bool {
    true
}

/// `PATCH /v1/companies/{code}` (the staff admin): rename, set the first level of
/// support, deactivate or reactivate.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyPatch {
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: Option<String>,
    #[schema(schema_with = validate::schemas::optional_email)]
    pub first_level_support_email: Option<String>,
    pub active: Option<bool>,
}

impl CompanyPatch {
    /// The company after the patch, and what changed (field, from, to).
    pub fn apply(&self, company: &Company) -> Result<(Company, Vec<FieldChange>), Invalid> {
        if self.name.is_none() && self.first_level_support_email.is_none() && self.active.is_none() {
            return Err(Invalid::new(
                "name",
                "send name, first_level_support_email, active or several",
            ));
        }
        let mut after = company.clone();
        let mut changes = Vec::new();
        if let Some(name) = &self.name {
            after.name = validate::line("name", Some(name), 200)?;
        }
        if let Some(email) = self
            .first_level_support_email
            .as_deref()
            .filter(|e| !e.trim().is_empty())
        {
            after.first_level_support_email = validate::email("first_level_support_email", Some(email))?;
        }
        if let Some(active) = self.active {
            after.active = active;
        }
        if after.name != company.name {
            changes.push(FieldChange {
                what: "name",
                from: company.name.clone(),
                to: after.name.clone(),
            });
        }
        if after.first_level_support_email != company.first_level_support_email {
            changes.push(FieldChange {
                what: "first_level_support_email",
                from: company.first_level_support_email.clone(),
                to: after.first_level_support_email.clone(),
            });
        }
        if after.active != company.active {
            let word = |active: bool| if active { "active" } else { "deactivated" }.to_string();
            changes.push(FieldChange {
                what: "state",
                from: word(company.active),
                to: word(after.active),
            });
        }
        Ok((after, changes))
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyDraft {
    /// Letters, digits and dashes, at most 12; kept upper-case.
    #[schema(required, schema_with = validate::schemas::company_code)]
    pub code: Option<String>,
    #[schema(required, value_type = String, min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: Option<String>,
    /// Where mail for the company's internal desk goes.
    #[schema(required, schema_with = validate::schemas::email)]
    pub first_level_support_email: Option<String>,
}

impl CompanyDraft {
    pub fn validate(&self, now: DateTime<Utc>) -> Result<Company, Invalid> {
        let code = validate::code("code", self.code.as_deref(), 12)?;
        if code.contains('-') {
            return Err(Invalid::new("code", "must hold only letters and digits"));
        }
        Ok(Company {
            code,
            name: validate::line("name", self.name.as_deref(), 200)?,
            first_level_support_email: validate::email(
                "first_level_support_email",
                self.first_level_support_email.as_deref(),
            )?,
            created_at: now,
            active: true,
        })
    }
}
