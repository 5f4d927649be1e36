//! Announcements (seed 002's toolbar): a message staff post for everyone, one company or
//! staff, shown between a start and an end, which a reader may dismiss if it allows it.

use super::roles::Identity;
use super::validate::{self, Invalid};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 5_000;
/// The longest an announcement runs.
pub const LONGEST_DAYS: i64 = 366;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Every signed-in user, staff too.
    Everyone,
    /// The users of one company (`company`).
    Company,
    /// The vendor's staff.
    Staff,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Announcement {
    pub id: String,
    pub title: String,
    /// Plain text.
    pub body: String,
    pub audience: Audience,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Whether a reader may put it away (an outage notice may insist).
    pub dismissible: bool,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementDraft {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub title: Option<String>,
    #[schema(min_length = 1, max_length = 5000, pattern = "\\S")]
    pub body: Option<String>,
    /// `everyone` when absent.
    pub audience: Option<Audience>,
    /// The company's code, for `audience: company`.
    #[schema(max_length = 12)]
    pub company: Option<String>,
    /// Now when absent.
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// True when absent.
    pub dismissible: Option<bool>,
}

/// A change: only the fields sent change (`ends_at: now` ends it early).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementPatch {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub title: Option<String>,
    #[schema(min_length = 1, max_length = 5000, pattern = "\\S")]
    pub body: Option<String>,
    pub audience: Option<Audience>,
    #[schema(max_length = 12)]
    pub company: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub dismissible: Option<bool>,
}

fn checked(mut a: Announcement) -> Result<Announcement, Invalid> {
    a.title = validate::line("title", Some(&a.title), TITLE_MAX)?;
    a.body = validate::text("body", Some(&a.body), BODY_MAX)?;
    a.company = match a.audience {
        Audience::Company => Some(validate::code("company", a.company.as_deref(), 12)?),
        _ if a.company.as_deref().is_some_and(|c| !c.trim().is_empty()) => {
            return Err(Invalid::new("company", "names a company only for audience company"))
        }
        _ => None,
    };
    if a.ends_at <= a.starts_at {
        return Err(Invalid::new("ends_at", "must be after starts_at"));
    }
    if a.ends_at - a.starts_at > Duration::days(LONGEST_DAYS) {
        return Err(Invalid::new(
            "ends_at",
            format!("must be within {LONGEST_DAYS} days of starts_at"),
        ));
    }
    Ok(a)
}

impl AnnouncementDraft {
    pub fn into_announcement(self, id: String, who: &Identity, now: DateTime<Utc>) -> Result<Announcement, Invalid> {
        let ends_at = self.ends_at.ok_or_else(|| Invalid::new("ends_at", "is required"))?;
        checked(Announcement {
            id,
            title: self.title.ok_or_else(|| Invalid::new("title", "is required"))?,
            body: self.body.ok_or_else(|| Invalid::new("body", "is required"))?,
            audience: self.audience.unwrap_or(Audience::Everyone),
            company: self.company,
            starts_at: self.starts_at.unwrap_or(now),
            ends_at,
            dismissible: self.dismissible.unwrap_or(true),
            created_by: who.email.to_string(),
            created_at: now,
            updated_at: now,
        })
    }
}

impl AnnouncementPatch {
    pub fn apply(self, before: &Announcement, now: DateTime<Utc>) -> Result<Announcement, Invalid> {
        let mut a = before.clone();
        if let Some(title) = self.title {
            a.title = title;
        }
        if let Some(body) = self.body {
            a.body = body;
        }
        if let Some(audience) = self.audience {
            a.audience = audience;
            if audience != Audience::Company {
                a.company = None;
            }
        }
        if self.company.is_some() {
            a.company = self.company;
        }
        if let Some(starts_at) = self.starts_at {
            a.starts_at = starts_at;
        }
        if let Some(ends_at) = self.ends_at {
            a.ends_at = ends_at;
        }
        if let Some(dismissible) = self.dismissible {
            a.dismissible = dismissible;
        }
        a.updated_at = now;
        checked(a)
    }
}

impl Announcement {
    /// Whom it is for: everyone; staff; or the users of its company (not staff, who manage
    /// it rather than read it).
    pub fn reaches(&self, who: &Identity) -> bool {
        match self.audience {
            Audience::Everyone => true,
            Audience::Staff => who.is_agent(),
            Audience::Company => !who.is_agent() && self.company.as_deref() == Some(&*who.company),
        }
    }

    pub fn is_current(&self, now: DateTime<Utc>) -> bool {
        self.starts_at <= now && now < self.ends_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::roles::Role;

    fn who(company: &str, role: Role) -> Identity {
        Identity {
            user_id: "u".to_string().into(),
            email: "a@b.test".to_string().into(),
            name: None,
            company: company.to_string().into(),
            roles: vec![role],
        }
    }

    #[test]
    fn audiences_reach_whom_they_say() {
        let now = Utc::now();
        let draft = |audience, company: Option<&str>| AnnouncementDraft {
            title: Some("Maintenance".into()),
            body: Some("Down at 22:00".into()),
            audience: Some(audience),
            company: company.map(str::to_string),
            ends_at: Some(now + Duration::hours(1)),
            ..Default::default()
        };
        let agent = who("VENDOR", Role::AgentL1);
        let acme = who("ACME", Role::Adjuster);
        let other = who("OTHER", Role::Owner);
        let everyone = draft(Audience::Everyone, None)
            .into_announcement("n".into(), &agent, now)
            .unwrap();
        let staff = draft(Audience::Staff, None)
            .into_announcement("n".into(), &agent, now)
            .unwrap();
        let company = draft(Audience::Company, Some("acme"))
            .into_announcement("n".into(), &agent, now)
            .unwrap();
        assert_eq!(company.company.as_deref(), Some("ACME"));
        assert!(everyone.reaches(&agent) && everyone.reaches(&acme) && everyone.reaches(&other));
        assert!(staff.reaches(&agent) && !staff.reaches(&acme));
        assert!(company.reaches(&acme) && !company.reaches(&other) && !company.reaches(&agent));
        assert!(everyone.is_current(now) && !everyone.is_current(now + Duration::hours(2)));
        assert_eq!(
            draft(Audience::Company, None)
                .into_announcement("n".into(), &agent, now)
                .unwrap_err()
                .field,
            "company"
        );
        let mut backwards = draft(Audience::Everyone, None);
        backwards.ends_at = Some(now - Duration::hours(1));
        assert_eq!(
            backwards.into_announcement("n".into(), &agent, now).unwrap_err().field,
            "ends_at"
        );
    }
}
