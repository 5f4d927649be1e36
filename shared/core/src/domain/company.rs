//! A company (tenant): its code prefixes ticket numbers, and its first level of support
//! receives the internal tickets of its users (seed 000).

use super::validate::{self, Invalid};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    pub code: String,
    pub name: String,
    /// The person or queue that receives internal tickets by email.
    pub first_level_support_email: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyDraft {
    pub code: Option<String>,
    pub name: Option<String>,
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
