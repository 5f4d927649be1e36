//! People: a user as the directory keeps them, the password rules, and what signing in
//! takes and gives. Passwords themselves are the identity provider's: hashed by the local
//! engine (`claimdesk-local`'s accounts), held by Cognito on AWS.

use crate::domain::ids::{CompanyCode, Email, UserId};
use crate::domain::roles::{Identity, Role, Standing};
use crate::domain::validate::{self, Invalid};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a user stands: invited (no password yet), active, or deactivated (cannot sign in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserState {
    Invited,
    Active,
    Deactivated,
}

/// A user as the directory keeps them (both engines keep this record in the table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub name: String,
    pub company: CompanyCode,
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
    pub state: UserState,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the user first set a password (none while invited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated_at: Option<DateTime<Utc>>,
    /// Counts the times every session of the user was ended (a password set, a
    /// deactivation): a local session and its access tokens carry the count they began
    /// under and hold only while it is the same. The local server checks it on every request
    /// of a password-signed-in token; on AWS the ID token's lifetime bounds it.
    #[serde(default)]
    pub session_epoch: u32,
    /// Their job title, as they gave it (seed 004's profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// How pages and mails show them dates (the API itself speaks ISO 8601).
    #[serde(default)]
    pub date_format: DateFormat,
    /// Deactivated because their company was (and reactivated with it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deactivated_with_company: bool,
}

impl User {
    /// A new user of the directory (invited until they set a password, unless one is given).
    pub fn new(
        id: UserId,
        email: Email,
        name: String,
        company: CompanyCode,
        roles: Vec<Role>,
        now: DateTime<Utc>,
        active: bool,
    ) -> User {
        User {
            id,
            email,
            name,
            company,
            roles,
            state: if active { UserState::Active } else { UserState::Invited },
            created_at: now,
            updated_at: now,
            activated_at: active.then_some(now),
            session_epoch: 0,
            title: None,
            date_format: DateFormat::default(),
            deactivated_with_company: false,
        }
    }

    /// Whether a session (or an access token) begun under `epoch` still speaks for them.
    pub fn session_holds(&self, epoch: u32) -> bool {
        self.state == UserState::Active && epoch == self.session_epoch
    }

    /// Ends every session the user has.
    pub fn end_sessions(&mut self) {
        self.session_epoch = self.session_epoch.wrapping_add(1);
    }

    /// The claims a signed-in user's tokens carry.
    pub fn identity(&self) -> Identity {
        Identity {
            user_id: self.id.clone(),
            email: self.email.clone(),
            name: Some(self.name.clone()),
            company: self.company.clone(),
            roles: self.roles.clone(),
        }
    }
}

/// The named ways of showing a date a user may choose (seed 004).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DateFormat {
    /// 2026-12-31
    #[default]
    Iso,
    /// 12/31/2026
    Us,
    /// 31/12/2026
    Eu,
    /// 31 December 2026
    Long,
}

impl DateFormat {
    pub const ALL: [DateFormat; 4] = [DateFormat::Iso, DateFormat::Us, DateFormat::Eu, DateFormat::Long];

    pub fn slug(self) -> &'static str {
        match self {
            DateFormat::Iso => "iso",
            DateFormat::Us => "us",
            DateFormat::Eu => "eu",
            DateFormat::Long => "long",
        }
    }

    pub fn from_slug(slug: &str) -> Option<DateFormat> {
        DateFormat::ALL.into_iter().find(|f| f.slug() == slug)
    }

    /// A moment as this format shows it, with the time of day (UTC) when `with_time`.
    pub fn show(self, at: DateTime<Utc>, with_time: bool) -> String {
        let date = match self {
            DateFormat::Iso => at.format("%Y-%m-%d"),
            DateFormat::Us => at.format("%m/%d/%Y"),
            DateFormat::Eu => at.format("%d/%m/%Y"),
            DateFormat::Long => at.format("%-d %B %Y"),
        }
        .to_string();
        if with_time {
            format!("{date} {} UTC", at.format("%H:%M"))
        } else {
            date
        }
    }
}

/// `PATCH /v1/me`: what a user changes of their own profile (at least one of them).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    #[schema(value_type = Option<String>, min_length = 1, max_length = 120, pattern = "\\S")]
    pub name: Option<String>,
    /// Empty to clear it.
    #[schema(value_type = Option<String>, max_length = 120)]
    pub title: Option<String>,
    pub date_format: Option<DateFormat>,
}

impl ProfilePatch {
    /// The user after the patch.
    pub fn apply(&self, user: &User, now: DateTime<Utc>) -> Result<User, Invalid> {
        if self.name.is_none() && self.title.is_none() && self.date_format.is_none() {
            return Err(Invalid::new("name", "send name, title, date_format or several"));
        }
        let mut after = user.clone();
        if let Some(name) = &self.name {
            after.name = crate::domain::directory::person_name("name", Some(name))?;
        }
        if let Some(title) = &self.title {
            after.title = validate::optional_line("title", Some(title), 120)?;
        }
        if let Some(format) = self.date_format {
            after.date_format = format;
        }
        if after != *user {
            after.updated_at = now;
        }
        Ok(after)
    }
}

/// `POST /v1/me/password`: the current password and the new one; the caller's other
/// sessions end, and this answer carries a new one.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    #[schema(required, value_type = String, min_length = 1, max_length = 256)]
    pub current_password: Option<String>,
    #[schema(required, value_type = String, min_length = 12, max_length = 256)]
    pub new_password: Option<String>,
    #[serde(default)]
    pub session: SessionKind,
}

/// `POST /v1/me/email`: the new address, which must confirm it from a mailed link.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailChange {
    #[schema(required, schema_with = validate::schemas::email)]
    pub email: Option<String>,
}

/// `POST /v1/email-confirmations`: the link's token.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailConfirmation {
    #[schema(required, value_type = String, min_length = 1, max_length = 128)]
    pub token: Option<String>,
}

/// How long a refresh session lasts (the local engine's sessions, the portal's cookie,
/// Cognito's refresh-token validity in the template).
pub const SESSION_DAYS: i64 = 30;

/// The caller as the portal needs them: who the token says they are, what that lets them
/// do, and their directory record when they have one (people who sign in with a password;
/// a script's token from `claimdesk token` has none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Me {
    pub user_id: UserId,
    pub email: Email,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub company: CompanyCode,
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
    /// `agent` (the vendor's staff), `client_admin` or `client_user`.
    pub standing: String,
    /// Owner, Administrator or Human Resources (seed 000), or a staff admin.
    pub manages_accounts: bool,
    pub account: Option<User>,
}

impl Me {
    pub fn of(who: &Identity, account: Option<User>) -> Me {
        let standing = match who.standing() {
            Standing::Agent => "agent",
            Standing::ClientAdmin => "client_admin",
            Standing::ClientUser => "client_user",
        };
        Me {
            user_id: who.user_id.clone(),
            email: who.email.clone(),
            name: who.name.clone(),
            company: who.company.clone(),
            roles: who.roles.clone(),
            standing: standing.into(),
            manages_accounts: who.roles.iter().any(|r| r.manages_accounts() || *r == Role::StaffAdmin),
            // A record only for the very user the token names.
            account: account.filter(|a| a.email == who.email),
        }
    }
}

/// The vendor's own company code: staff belong to it.
pub const VENDOR: &str = "VENDOR";

/// Cognito's policy in `infra/template.yaml`, kept by the local engine too: at least 12
/// characters with a lower-case letter, an upper-case letter and a digit. At most 256,
/// so that hashing a password cannot be made to take long.
pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 256;

/// Whether `password` may become someone's password.
pub fn check_new_password(field: &str, password: &str) -> Result<(), Invalid> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(Invalid::new(
            field,
            format!("must be at least {PASSWORD_MIN_CHARS} characters"),
        ));
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(Invalid::new(
            field,
            format!("must be at most {PASSWORD_MAX_CHARS} characters"),
        ));
    }
    if password.chars().any(char::is_control) {
        return Err(Invalid::new(field, "must not contain control characters"));
    }
    let has = |test: fn(&char) -> bool| password.chars().any(|c| test(&c));
    if !(has(char::is_ascii_lowercase) && has(char::is_ascii_uppercase) && has(char::is_ascii_digit)) {
        return Err(Invalid::new(
            field,
            "must mix lower-case and upper-case letters and digits",
        ));
    }
    Ok(())
}

/// A staff admin to create from the command line (`claimdesk admin create`, or the AWS
/// engine's `create-admin`): the first person who can sign in.
#[derive(Debug, Clone)]
pub struct AdminDraft {
    pub email: String,
    pub name: String,
    pub password: String,
}

/// A valid admin draft: its email, name and password.
pub struct ValidAdmin {
    pub email: Email,
    pub name: String,
    pub password: String,
}

impl AdminDraft {
    pub fn validate(&self) -> Result<ValidAdmin, Invalid> {
        let email = validate::email("email", Some(&self.email))?;
        let name = validate::line("name", Some(&self.name), 120)?;
        check_new_password("password", &self.password)?;
        Ok(ValidAdmin {
            email: Email::new(email),
            name,
            password: self.password.clone(),
        })
    }
}

/// How the caller keeps the refresh token: in the body (API clients), or only in an
/// HttpOnly cookie that page scripts cannot read (the portal).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    #[default]
    Token,
    Cookie,
}

/// `POST /v1/sessions`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    #[schema(max_length = 254)]
    pub email: String,
    #[schema(max_length = 256)]
    pub password: String,
    #[serde(default)]
    pub session: SessionKind,
}

impl SignInRequest {
    /// The email as the directory keys it. Bad shapes are refused by field, before any
    /// account is looked at: that says nothing about which accounts exist.
    pub fn email(&self) -> Result<Email, Invalid> {
        // `validate::email` also refuses addresses over 254 characters.
        Ok(Email::new(validate::email("email", Some(&self.email))?))
    }

    pub fn check_password_shape(&self) -> Result<(), Invalid> {
        if self.password.is_empty() {
            return Err(Invalid::new("password", "is required"));
        }
        if self.password.chars().count() > PASSWORD_MAX_CHARS {
            return Err(Invalid::new(
                "password",
                format!("must be at most {PASSWORD_MAX_CHARS} characters"),
            ));
        }
        Ok(())
    }
}

/// `POST /v1/sessions/refresh` and `/v1/sessions/sign-out`: the refresh token, unless the
/// session cookie carries it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    #[serde(default)]
    #[schema(max_length = 4096)]
    pub refresh_token: Option<String>,
}

/// What signing in or refreshing gives: a short-lived bearer token, and the refresh token
/// (absent when it went into the cookie).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionTokens {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the access token holds.
    pub expires_in: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_password_is_long_and_mixed_and_not_too_long() {
        assert!(check_new_password("p", "Correct-Horse-7").is_ok());
        assert!(check_new_password("p", "Short1a").is_err());
        assert!(check_new_password("p", "alllowercase123").is_err());
        assert!(check_new_password("p", "ALLUPPERCASE123").is_err());
        assert!(check_new_password("p", "NoDigitsHereAtAll").is_err());
        assert!(check_new_password("p", &format!("Aa1{}", "x".repeat(300))).is_err());
        assert!(check_new_password("p", "Tab\there-Is-Bad1").is_err());
        assert_eq!(check_new_password("password", "x").unwrap_err().field, "password");
    }

    #[test]
    fn a_sign_in_names_the_field_of_a_bad_shape() {
        let request = |email: &str, password: &str| SignInRequest {
            email: email.into(),
            password: password.into(),
            session: SessionKind::Token,
        };
        assert_eq!(request("Ann@Acme.Test", "x").email().unwrap().as_str(), "ann@acme.test");
        assert_eq!(request("not an email", "x").email().unwrap_err().field, "email");
        assert_eq!(request(&"a".repeat(300), "x").email().unwrap_err().field, "email");
        assert_eq!(
            request("a@b.test", "").check_password_shape().unwrap_err().field,
            "password"
        );
        assert!(request("a@b.test", &"p".repeat(257)).check_password_shape().is_err());
    }

    #[test]
    fn me_says_standing_and_account_management_and_keeps_only_ones_own_record() {
        let who = |roles: Vec<Role>| Identity {
            user_id: "u_1".into(),
            email: "ann@acme.test".into(),
            name: None,
            company: "ACME".into(),
            roles,
        };
        let me = Me::of(&who(vec![Role::Adjuster]), None);
        assert_eq!((me.standing.as_str(), me.manages_accounts), ("client_user", false));
        let me = Me::of(&who(vec![Role::HumanResources]), None);
        assert_eq!((me.standing.as_str(), me.manages_accounts), ("client_admin", true));
        let me = Me::of(&who(vec![Role::StaffAdmin]), None);
        assert_eq!((me.standing.as_str(), me.manages_accounts), ("agent", true));
        let at = chrono::Utc::now();
        let record = |email: &str| User {
            id: "u_1".into(),
            email: email.into(),
            name: "Ann".into(),
            company: "ACME".into(),
            roles: vec![Role::Adjuster],
            state: UserState::Active,
            created_at: at,
            updated_at: at,
            activated_at: Some(at),
            session_epoch: 0,
            title: None,
            date_format: DateFormat::default(),
            deactivated_with_company: false,
        };
        assert!(Me::of(&who(vec![Role::Adjuster]), Some(record("ann@acme.test")))
            .account
            .is_some());
        assert!(Me::of(&who(vec![Role::Adjuster]), Some(record("bob@acme.test")))
            .account
            .is_none());
    }

    #[test]
    fn an_admin_draft_checks_all_three_fields() {
        let draft = AdminDraft {
            email: "Root@Vendor.Test".into(),
            name: "Rita Root".into(),
            password: "Correct-Horse-7".into(),
        };
        assert_eq!(draft.validate().unwrap().email.as_str(), "root@vendor.test");
        let weak = AdminDraft {
            password: "password".into(),
            ..draft.clone()
        };
        assert_eq!(weak.validate().err().unwrap().field, "password");
        let unnamed = AdminDraft {
            name: " ".into(),
            ..draft
        };
        assert_eq!(unnamed.validate().err().unwrap().field, "name");
    }
}
