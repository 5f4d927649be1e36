//! What a function reads from its environment. The SAM template sets these variables; the
//! template test holds the two lists equal.

use claimdesk_core::services::Settings;

/// Names of the resources a function talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    pub table: String,
    pub bucket: String,
    pub bus: String,
    /// SES configuration set (delivery, bounce and complaint events); optional.
    pub configuration_set: Option<String>,
    /// The Cognito user pool and its portal client, where people sign in.
    pub user_pool: Option<UserPool>,
}

/// A Cognito user pool and the app client the sign-in routes use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPool {
    pub id: String,
    pub client_id: String,
}

/// The authserv-id of SES's inbound mail: its receipt rule writes the DKIM, SPF and DMARC
/// verdicts into an `Authentication-Results` header under this name, above any the sender
/// wrote.
pub const SES_AUTHSERV_ID: &str = "amazonses.com";

pub const TABLE_NAME: &str = "TABLE_NAME";
pub const BUCKET_NAME: &str = "BUCKET_NAME";
pub const EVENT_BUS_NAME: &str = "EVENT_BUS_NAME";
pub const SES_CONFIGURATION_SET: &str = "SES_CONFIGURATION_SET";
pub const MAIL_FROM: &str = "MAIL_FROM";
pub const MAIL_DOMAIN: &str = "MAIL_DOMAIN";
/// Keys the per-ticket reply addresses; at least 32 characters (the template's NoEcho
/// parameter). Changing it orphans the reply addresses of mail already sent; those replies
/// still find their ticket by In-Reply-To or the subject tag.
pub const MAIL_SECRET: &str = "MAIL_SECRET";
pub const VENDOR_DESK_EMAIL: &str = "VENDOR_DESK_EMAIL";
/// Days after a failure within which its warranty claim must be submitted.
pub const CLAIM_FILING_DAYS: &str = "CLAIM_FILING_DAYS";
pub const ON_CALL_EMAIL: &str = "ON_CALL_EMAIL";
/// The business calendar and service-level targets as JSON text (the shape of
/// `shared/core/service_levels.json`); the seeds' when empty or absent.
pub const SERVICE_LEVELS: &str = "SERVICE_LEVELS";
pub const PUBLIC_BASE_URL: &str = "PUBLIC_BASE_URL";
pub const WAITING_DAYS: &str = "WAITING_DAYS";
pub const RESOLVED_DAYS: &str = "RESOLVED_DAYS";
pub const CLOSE_REMINDER_HOURS: &str = "CLOSE_REMINDER_HOURS";
/// Mails a second one deliver-outbox invocation sends at most (a decimal number).
pub const MAIL_SEND_RATE: &str = "MAIL_SEND_RATE";
/// Due tickets (sweep) and notices (outbox) worked on at once by one invocation.
pub const BACKGROUND_CONCURRENCY: &str = "BACKGROUND_CONCURRENCY";
/// Log levels (tracing's env filter), `info` by default.
pub const RUST_LOG: &str = "RUST_LOG";
/// The Cognito user pool and its portal client (sign-in, refresh, sign-out; the admin tool).
pub const USER_POOL_ID: &str = "USER_POOL_ID";
pub const USER_POOL_CLIENT_ID: &str = "USER_POOL_CLIENT_ID";

/// Every variable a function reads.
pub const VARIABLES: &[&str] = &[
    TABLE_NAME,
    BUCKET_NAME,
    EVENT_BUS_NAME,
    SES_CONFIGURATION_SET,
    MAIL_FROM,
    MAIL_DOMAIN,
    MAIL_SECRET,
    VENDOR_DESK_EMAIL,
    CLAIM_FILING_DAYS,
    ON_CALL_EMAIL,
    SERVICE_LEVELS,
    PUBLIC_BASE_URL,
    WAITING_DAYS,
    RESOLVED_DAYS,
    CLOSE_REMINDER_HOURS,
    MAIL_SEND_RATE,
    BACKGROUND_CONCURRENCY,
    RUST_LOG,
    USER_POOL_ID,
    USER_POOL_CLIENT_ID,
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {0} must be a whole number")]
    NotANumber(&'static str),
    #[error("environment variable {0} must be a number of mails a second above zero")]
    NotARate(&'static str),
    #[error("environment variable {0} must hold at least 32 characters")]
    TooShort(&'static str),
    #[error("environment variable {0}: {1}")]
    Invalid(&'static str, String),
}

/// Reads names and settings through `lookup` (the environment in a function; a map in tests).
pub fn read(lookup: impl Fn(&str) -> Option<String>) -> Result<(Names, Settings), ConfigError> {
    let optional = |name: &str| lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let required = |name: &'static str| optional(name).ok_or(ConfigError::Missing(name));
    let number = |name: &'static str, default: u32| match optional(name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| ConfigError::NotANumber(name)),
    };
    let names = Names {
        table: required(TABLE_NAME)?,
        bucket: required(BUCKET_NAME)?,
        bus: required(EVENT_BUS_NAME)?,
        configuration_set: optional(SES_CONFIGURATION_SET),
        user_pool: optional(USER_POOL_ID)
            .zip(optional(USER_POOL_CLIENT_ID))
            .map(|(id, client_id)| UserPool { id, client_id }),
    };
    let secret = required(MAIL_SECRET)?;
    if secret.len() < 32 {
        return Err(ConfigError::TooShort(MAIL_SECRET));
    }
    let mut settings = Settings {
        mail_secret: secret.into_bytes(),
        mail_authserv_id: Some(SES_AUTHSERV_ID.into()),
        ..Settings::default()
    };
    if let Some(v) = optional(MAIL_FROM) {
        settings.mail_from = v;
    }
    if let Some(v) = optional(MAIL_DOMAIN) {
        settings.mail_domain = v;
    }
    if let Some(v) = optional(VENDOR_DESK_EMAIL) {
        settings.vendor_desk_email = v;
    }
    if let Some(v) = optional(ON_CALL_EMAIL) {
        settings.on_call_email = v;
    }
    if let Some(v) = optional(PUBLIC_BASE_URL) {
        settings.public_base_url = v.trim_end_matches('/').to_string();
    }
    if let Some(text) = optional(SERVICE_LEVELS) {
        let levels = claimdesk_core::domain::service_levels::ServiceLevels::from_json(&text)
            .map_err(|e| ConfigError::Invalid(SERVICE_LEVELS, e))?;
        settings.service_levels =
            std::sync::Arc::new(claimdesk_core::domain::service_levels::SharedLevels::new(levels));
    }
    settings.timers.waiting_days = number(WAITING_DAYS, settings.timers.waiting_days)?;
    settings.claim_filing_days = number(CLAIM_FILING_DAYS, settings.claim_filing_days)?.max(1);
    settings.timers.resolved_days = number(RESOLVED_DAYS, settings.timers.resolved_days)?;
    settings.timers.close_reminder_hours = number(CLOSE_REMINDER_HOURS, settings.timers.close_reminder_hours)?;
    settings.background_concurrency =
        number(BACKGROUND_CONCURRENCY, settings.background_concurrency as u32)?.max(1) as usize;
    if let Some(v) = optional(MAIL_SEND_RATE) {
        settings.mail_send_rate = v
            .parse::<f64>()
            .ok()
            .filter(|rate| rate.is_finite() && *rate > 0.0)
            .ok_or(ConfigError::NotARate(MAIL_SEND_RATE))?;
    }
    Ok((names, settings))
}

pub fn from_env() -> Result<(Names, Settings), ConfigError> {
    read(|name| std::env::var(name).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn names_are_required_and_settings_have_defaults() {
        let env = HashMap::from([
            (TABLE_NAME, "t"),
            (BUCKET_NAME, "b"),
            (EVENT_BUS_NAME, "bus"),
            (WAITING_DAYS, "5"),
            (MAIL_SECRET, "0123456789abcdef0123456789abcdef"),
            (PUBLIC_BASE_URL, "https://help.example.com/"),
            (MAIL_SEND_RATE, "200.5"),
        ]);
        let (names, settings) = read(|n| env.get(n).map(|v| v.to_string())).unwrap();
        assert_eq!((names.table.as_str(), names.configuration_set), ("t", None));
        assert_eq!(settings.timers.waiting_days, 5);
        assert_eq!(settings.timers.resolved_days, 3);
        assert_eq!(settings.public_base_url, "https://help.example.com");
        assert_eq!(settings.mail_send_rate, 200.5);
        assert_eq!(settings.background_concurrency, 32);
        assert_eq!(settings.mail_secret, b"0123456789abcdef0123456789abcdef");
        let missing = read(|n| (n != BUCKET_NAME).then(|| "x".to_string())).unwrap_err();
        assert_eq!(missing, ConfigError::Missing(BUCKET_NAME));
        let short = read(|_| Some("short".to_string())).unwrap_err();
        assert_eq!(short, ConfigError::TooShort(MAIL_SECRET));
        let bad = read(|n| {
            Some(
                match n {
                    RESOLVED_DAYS => "three",
                    MAIL_SECRET => "0123456789abcdef0123456789abcdef",
                    SERVICE_LEVELS => "",
                    _ => "1",
                }
                .to_string(),
            )
        })
        .unwrap_err();
        assert_eq!(bad, ConfigError::NotANumber(RESOLVED_DAYS));
    }

    #[test]
    fn service_levels_come_as_json_text_and_a_bad_one_is_named() {
        let mut env = HashMap::from([
            (TABLE_NAME, "t".to_string()),
            (BUCKET_NAME, "b".to_string()),
            (EVENT_BUS_NAME, "bus".to_string()),
            (MAIL_SECRET, "0123456789abcdef0123456789abcdef".to_string()),
        ]);
        let defaults = read(|n| env.get(n).cloned()).unwrap().1;
        assert_eq!(defaults.service_levels.calendar.zone_name(), "America/Chicago");
        let own = include_str!("../../core/service_levels.json").replace("America/Chicago", "Europe/Madrid");
        env.insert(SERVICE_LEVELS, own);
        let (_, settings) = read(|n| env.get(n).cloned()).unwrap();
        assert_eq!(settings.service_levels.calendar.zone_name(), "Europe/Madrid");
        env.insert(SERVICE_LEVELS, "{\"time_zone\": \"Nowhere\"}".to_string());
        match read(|n| env.get(n).cloned()) {
            Err(ConfigError::Invalid(name, _)) => assert_eq!(name, SERVICE_LEVELS),
            other => panic!("{other:?}"),
        }
    }
}
