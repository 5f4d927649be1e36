//! Service levels: what the help desk promises per priority (a first response and a
//! resolution, each within so much business or calendar time), the business calendar those
//! promises count in, and the clocks that keep them on each ticket.
//!
//! A deployment's promises live in a file of the shape of `service_levels.json` (compiled
//! in as the default): the calendar (time zone, weekly hours, holidays), the share of a
//! target at which a warning goes out, the policy per priority and, optionally, other
//! targets for named companies.

pub mod calendar;
pub mod clock;

use crate::domain::ticket::Priority;
use calendar::{parse_clock, Calendar, Hours};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// Which time a target counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// Only the calendar's open hours.
    Business,
    /// Every minute, nights, weekends and holidays included.
    Calendar,
}

/// One promise: so many minutes of business or calendar time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Target {
    pub minutes: u32,
    pub clock: ClockKind,
}

/// A priority's two promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub first_response: Target,
    pub resolution: Target,
}

/// The targets of each priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub urgent: Targets,
    pub high: Targets,
    pub medium: Targets,
    pub low: Targets,
}

impl Policy {
    pub fn of(&self, priority: Priority) -> Targets {
        match priority {
            Priority::Urgent => self.urgent,
            Priority::High => self.high,
            Priority::Medium => self.medium,
            Priority::Low => self.low,
        }
    }
}

/// A deployment's service levels.
#[derive(Debug, Clone)]
pub struct ServiceLevels {
    pub calendar: Calendar,
    /// The share of a target (percent) at which the warning goes out.
    pub warning_percent: u32,
    pub policy: Policy,
    /// Other targets for named companies (by code), per priority; the rest as `policy`.
    pub companies: BTreeMap<String, BTreeMap<Priority, Targets>>,
}

impl ServiceLevels {
    /// The seeds' promises (`shared/core/service_levels.json`).
    pub fn defaults() -> ServiceLevels {
        ServiceLevels::from_json(include_str!("../../../service_levels.json"))
            .expect("the default service levels parse")
    }

    /// The targets for a company's ticket of this priority.
    pub fn targets(&self, company: &str, priority: Priority) -> Targets {
        self.companies
            .get(company)
            .and_then(|own| own.get(&priority))
            .copied()
            .unwrap_or_else(|| self.policy.of(priority))
    }

    pub fn from_json(text: &str) -> Result<ServiceLevels, String> {
        let file: File = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut week = [None; 7];
        for (name, hours) in &file.hours {
            let day = WEEKDAYS
                .iter()
                .position(|d| d == name)
                .ok_or_else(|| format!("hours: {name:?} is not a weekday (monday … sunday)"))?;
            let open = parse_clock(&hours.open).ok_or_else(|| format!("hours.{name}.open: not HH:MM"))?;
            let close = parse_clock(&hours.close).ok_or_else(|| format!("hours.{name}.close: not HH:MM"))?;
            week[day] = Some(Hours { open, close });
        }
        let calendar = Calendar::new(&file.time_zone, week, file.holidays)?;
        if !(1..=99).contains(&file.warning_percent) {
            return Err("warning_percent: must be between 1 and 99".into());
        }
        let day = calendar.business_day();
        let targets = |what: &str, t: &TargetsFile| -> Result<Targets, String> {
            Ok(Targets {
                first_response: t.first_response.target(day, &format!("{what}.first_response"))?,
                resolution: t.resolution.target(day, &format!("{what}.resolution"))?,
            })
        };
        let policy = Policy {
            urgent: targets("policy.urgent", &file.policy.urgent)?,
            high: targets("policy.high", &file.policy.high)?,
            medium: targets("policy.medium", &file.policy.medium)?,
            low: targets("policy.low", &file.policy.low)?,
        };
        let mut companies = BTreeMap::new();
        for (code, own) in &file.companies {
            let mut per = BTreeMap::new();
            for (priority, t) in own {
                per.insert(*priority, targets(&format!("companies.{code}"), t)?);
            }
            companies.insert(code.to_uppercase(), per);
        }
        Ok(ServiceLevels {
            calendar,
            warning_percent: file.warning_percent,
            policy,
            companies,
        })
    }
}

/// A deployment's service levels as the settings hold them: its own, or the seeds' read on
/// first use, so a function that never needs them does not parse them at start (a tenth
/// of a millisecond, the time-zone database's rules included).
#[derive(Debug, Default)]
pub struct SharedLevels(OnceLock<ServiceLevels>);

impl SharedLevels {
    pub fn new(levels: ServiceLevels) -> SharedLevels {
        SharedLevels(OnceLock::from(levels))
    }
}

impl std::ops::Deref for SharedLevels {
    type Target = ServiceLevels;

    fn deref(&self) -> &ServiceLevels {
        self.0.get_or_init(ServiceLevels::defaults)
    }
}

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The file's shape.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    time_zone: String,
    hours: BTreeMap<String, HoursFile>,
    #[serde(default)]
    holidays: BTreeSet<NaiveDate>,
    warning_percent: u32,
    policy: PolicyFile,
    #[serde(default)]
    companies: BTreeMap<String, BTreeMap<Priority, TargetsFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HoursFile {
    open: String,
    close: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    urgent: TargetsFile,
    high: TargetsFile,
    medium: TargetsFile,
    low: TargetsFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetsFile {
    first_response: TargetFile,
    resolution: TargetFile,
}

/// `{"hours": 4, "clock": "business"}`: one of minutes, hours or days; a business day is
/// the calendar's longest open day (11 hours for 7:00–18:00).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetFile {
    #[serde(default)]
    minutes: Option<u32>,
    #[serde(default)]
    hours: Option<u32>,
    #[serde(default)]
    days: Option<u32>,
    clock: ClockKind,
}

impl TargetFile {
    fn target(&self, business_day: i64, what: &str) -> Result<Target, String> {
        let day_minutes = match self.clock {
            ClockKind::Business => (business_day / 60) as u32,
            ClockKind::Calendar => 24 * 60,
        };
        let minutes = match (self.minutes, self.hours, self.days) {
            (Some(m), None, None) => m,
            (None, Some(h), None) => h.saturating_mul(60),
            (None, None, Some(d)) => d.saturating_mul(day_minutes),
            _ => return Err(format!("{what}: give one of minutes, hours or days")),
        };
        if minutes == 0 || minutes > 366 * 24 * 60 {
            return Err(format!("{what}: must be more than nothing and at most a year"));
        }
        Ok(Target {
            minutes,
            clock: self.clock,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_seeds_promises() {
        let levels = ServiceLevels::defaults();
        assert_eq!(levels.calendar.zone_name(), "America/Chicago");
        assert_eq!(levels.calendar.business_day(), 11 * 3600);
        assert_eq!(levels.warning_percent, 75);
        let urgent = levels.targets("ACME", Priority::Urgent);
        assert_eq!(
            urgent.first_response,
            Target {
                minutes: 60,
                clock: ClockKind::Calendar
            }
        );
        assert_eq!(
            urgent.resolution,
            Target {
                minutes: 8 * 60,
                clock: ClockKind::Calendar
            }
        );
        let high = levels.targets("ACME", Priority::High);
        assert_eq!(
            high.first_response,
            Target {
                minutes: 4 * 60,
                clock: ClockKind::Business
            }
        );
        assert_eq!(
            high.resolution,
            Target {
                minutes: 2 * 11 * 60,
                clock: ClockKind::Business
            }
        );
        assert_eq!(
            levels.targets("ACME", Priority::Low).first_response.minutes,
            2 * 11 * 60
        );
    }

    #[test]
    fn a_company_may_have_its_own_targets() {
        let text = include_str!("../../../service_levels.json").replace(
            "\"companies\": {}",
            r#""companies": {"acme": {"high": {"first_response": {"minutes": 30, "clock": "calendar"}, "resolution": {"days": 1, "clock": "business"}}}}"#,
        );
        let levels = ServiceLevels::from_json(&text).unwrap();
        assert_eq!(levels.targets("ACME", Priority::High).first_response.minutes, 30);
        assert_eq!(levels.targets("ACME", Priority::Medium), levels.policy.medium);
        assert_eq!(levels.targets("BETA", Priority::High), levels.policy.high);
    }

    #[test]
    fn a_bad_file_names_what_is_wrong() {
        let defaults = include_str!("../../../service_levels.json");
        let cases = [
            (defaults.replace("America/Chicago", "Nowhere/Land"), "time zone"),
            (defaults.replace("\"monday\"", "\"moonday\""), "moonday"),
            (defaults.replace("\"07:00\"", "\"7am\""), "open: not HH:MM"),
            (
                defaults.replace("\"warning_percent\": 75", "\"warning_percent\": 100"),
                "warning_percent",
            ),
            (
                defaults.replacen("\"hours\": 1,", "\"hours\": 1, \"days\": 1,", 1),
                "one of minutes",
            ),
        ];
        for (text, expected) in cases {
            let error = ServiceLevels::from_json(&text).unwrap_err();
            assert!(error.contains(expected), "{error} should name {expected}");
        }
    }
}
