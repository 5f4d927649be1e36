//! A company (tenant): its code prefixes ticket numbers, and its first level of support
//! receives the internal tickets of its users (seed 000).

use super::validate::{self, Invalid};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Company {
    pub code: String,
    pub name: String,
    /// The person or queue that receives internal tickets by email.
    pub first_level_support_email: String,
    pub created_at: DateTime<Utc>,
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
        })
    }
}
