//! The clocks of one ticket's promises. Both start when the ticket reaches a desk. The
//! first response is met by the first public reply from the support side; the resolution by
//! Resolved (or by closing). The resolution clock stands still in Waiting For Customer,
//! Waiting For and Resolved, and runs again on Pending Support.
//!
//! `settle` brings the clocks in line with the ticket after any change (a reply, a status,
//! an escalation, a new priority); `fire` is the sweep's part: the warning at a share of a
//! target and the breach at the target, each once. Due times are absolute instants kept on
//! the ticket, so the sweep needs no calendar to know what is due.

use super::calendar::Calendar;
use super::{ClockKind, ServiceLevels, Target, Targets};
use crate::domain::lifecycle::{Desk, Status};
use crate::domain::ticket::Priority;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The two promises' clocks on one ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ServiceLevel {
    /// The priority and desk the targets were set for.
    pub priority: Priority,
    pub desk: Desk,
    pub started_at: DateTime<Utc>,
    pub first_response: SlaClock,
    pub resolution: SlaClock,
    /// When the resolution clock stood still; the last one has no end while it stands still.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pauses: Vec<Pause>,
    /// Seconds the resolution clock has stood still, in its own kind of time (business
    /// seconds for a business-hours target), as of the ticket's last change.
    #[serde(default)]
    pub paused_seconds: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Pause {
    pub from: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
}

/// One promise's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SlaClock {
    pub target: Target,
    /// When the target runs out; none while the clock stands still.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// When the warning goes out (the deployment's share of the target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warned_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub met_at: Option<DateTime<Utc>>,
    /// When the target ran out unmet (a late answer is met and breached).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breached_at: Option<DateTime<Utc>>,
    /// The clock stopped with nothing to measure (a case closed without a public answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<DateTime<Utc>>,
}

impl SlaClock {
    fn new(target: Target) -> SlaClock {
        SlaClock {
            target,
            due_at: None,
            warn_at: None,
            warned_at: None,
            met_at: None,
            breached_at: None,
            stopped_at: None,
        }
    }

    fn running(&self) -> bool {
        self.met_at.is_none() && self.stopped_at.is_none()
    }

    /// The next alarm of this clock, if it is running.
    fn next_alarm(&self) -> Option<(DateTime<Utc>, Alarm)> {
        if !self.running() {
            return None;
        }
        match (self.warned_at, self.warn_at, self.breached_at, self.due_at) {
            (None, Some(warn), None, _) => Some((warn, Alarm::Warning)),
            (_, _, None, Some(due)) => Some((due, Alarm::Breach)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    FirstResponse,
    Resolution,
}

impl Metric {
    pub fn label(self) -> &'static str {
        match self {
            Metric::FirstResponse => "first response",
            Metric::Resolution => "resolution",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Alarm {
    Warning,
    Breach,
}

/// What the sweep found due: a warning or a breach of one promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fired {
    pub metric: Metric,
    pub alarm: Alarm,
    pub due_at: DateTime<Utc>,
}

/// What a change did to the clocks that belongs in the ticket's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    Restarted,
    /// Met after the target ran out (the breach is recorded at the target).
    MetLate {
        metric: Metric,
        due_at: DateTime<Utc>,
    },
    Retargeted {
        from: Priority,
        to: Priority,
    },
}

impl Note {
    pub fn reason(&self) -> String {
        match self {
            Note::Restarted => "service-level clocks restarted for the vendor's help desk".into(),
            Note::MetLate { metric, due_at } => {
                format!("{} target missed (due {})", metric.label(), crate::store::ts(*due_at))
            }
            Note::Retargeted { from, to } => format!(
                "service-level targets of {} replaced by {}'s",
                crate::slugs::serde_name(from),
                crate::slugs::serde_name(to)
            ),
        }
    }
}

/// The facts of a ticket the clocks follow.
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    pub company: &'a str,
    pub priority: Priority,
    pub desk: Desk,
    pub status: Status,
    /// The latest public reply from the support side, if the latest reply is one.
    pub support_reply_at: Option<DateTime<Utc>>,
}

/// Statuses in which the resolution clock stands still.
pub fn pauses_resolution(status: Status) -> bool {
    matches!(
        status,
        Status::WaitingForCustomer | Status::WaitingFor | Status::Resolved
    )
}

impl ServiceLevel {
    /// Clocks started at `at` for a ticket of this company, priority and desk.
    pub fn start(
        levels: &ServiceLevels,
        company: &str,
        priority: Priority,
        desk: Desk,
        at: DateTime<Utc>,
    ) -> ServiceLevel {
        let targets = levels.targets(company, priority);
        let mut level = ServiceLevel {
            priority,
            desk,
            started_at: at,
            first_response: SlaClock::new(targets.first_response),
            resolution: SlaClock::new(targets.resolution),
            pauses: Vec::new(),
            paused_seconds: 0,
        };
        level.schedule(levels, at);
        level
    }

    /// Brings the clocks in line with the ticket as it is after a change at `now`.
    pub fn settle(&mut self, levels: &ServiceLevels, seen: Observed<'_>, now: DateTime<Utc>) -> Vec<Note> {
        let mut notes = Vec::new();
        if seen.desk != self.desk {
            // An internal case handed to the vendor: the vendor's promises start now.
            *self = ServiceLevel::start(levels, seen.company, seen.priority, seen.desk, now);
            notes.push(Note::Restarted);
        }
        if seen.priority != self.priority {
            notes.push(Note::Retargeted {
                from: self.priority,
                to: seen.priority,
            });
            self.retarget(levels, levels.targets(seen.company, seen.priority), seen.priority, now);
        }
        // The first response: the first public answer from the support side.
        if self.first_response.running() {
            match seen.support_reply_at {
                Some(at) if at >= self.started_at => {
                    if let Some(note) = meet(&mut self.first_response, Metric::FirstResponse, at) {
                        notes.push(note);
                    }
                }
                _ if seen.status == Status::Closed => self.first_response.stopped_at = Some(now),
                _ => {}
            }
        }
        // The resolution: met by Resolved or a close, running again if the case reopens.
        let open_pause = self.pauses.last().is_some_and(|p| p.to.is_none());
        let resolved = matches!(seen.status, Status::Resolved | Status::Closed);
        if resolved && self.resolution.running() {
            if let Some(note) = meet(&mut self.resolution, Metric::Resolution, now) {
                notes.push(note);
            }
        }
        if !resolved {
            self.resolution.met_at = None;
        }
        if pauses_resolution(seen.status) && !open_pause {
            self.pauses.push(Pause { from: now, to: None });
        }
        if !pauses_resolution(seen.status) && seen.status != Status::Closed && open_pause {
            if let Some(pause) = self.pauses.last_mut() {
                pause.to = Some(now);
            }
        }
        self.schedule(levels, now);
        notes
    }

    /// New targets, counted from the start with the time already stood still.
    fn retarget(&mut self, levels: &ServiceLevels, targets: Targets, priority: Priority, now: DateTime<Utc>) {
        self.priority = priority;
        self.first_response.target = targets.first_response;
        self.resolution.target = targets.resolution;
        self.schedule(levels, now);
        for clock in [&mut self.first_response, &mut self.resolution] {
            if !clock.running() {
                continue;
            }
            // A target moved past `now` is no longer broken, nor near.
            if clock.due_at.is_some_and(|due| due > now) {
                clock.breached_at = None;
            }
            if clock.warn_at.is_some_and(|warn| warn > now) {
                clock.warned_at = None;
            }
        }
    }

    /// Due and warning times of the running clocks, and the time stood still.
    fn schedule(&mut self, levels: &ServiceLevels, now: DateTime<Utc>) {
        let start = self.started_at.timestamp();
        let pauses: Vec<(i64, Option<i64>)> = self
            .pauses
            .iter()
            .map(|p| (p.from.timestamp(), p.to.map(|t| t.timestamp())))
            .collect();
        let share = levels.warning_percent;
        let calendar = &levels.calendar;
        if self.first_response.running() {
            self.first_response.due_at = deadline(calendar, self.first_response.target, start, &[], 100);
            self.first_response.warn_at = deadline(calendar, self.first_response.target, start, &[], share);
        }
        if self.resolution.running() {
            self.resolution.due_at = deadline(calendar, self.resolution.target, start, &pauses, 100);
            self.resolution.warn_at = deadline(calendar, self.resolution.target, start, &pauses, share);
        }
        let kind = self.resolution.target.clock;
        self.paused_seconds = pauses
            .iter()
            .map(|(from, to)| measure(calendar, kind, *from, to.unwrap_or(now.timestamp()).max(*from)))
            .sum();
    }

    /// The next alarm of either clock: when it is due and what it is.
    pub fn next_alarm(&self) -> Option<(DateTime<Utc>, Metric, Alarm)> {
        [
            (Metric::FirstResponse, &self.first_response),
            (Metric::Resolution, &self.resolution),
        ]
        .into_iter()
        .filter_map(|(metric, clock)| clock.next_alarm().map(|(at, alarm)| (at, metric, alarm)))
        .min_by_key(|(at, _, _)| *at)
    }

    /// The sweep: every warning and breach due by `now`, each once (a breach that is due
    /// swallows its warning).
    pub fn fire(&mut self, now: DateTime<Utc>) -> Vec<Fired> {
        let mut fired = Vec::new();
        for (metric, clock) in [
            (Metric::FirstResponse, &mut self.first_response),
            (Metric::Resolution, &mut self.resolution),
        ] {
            if !clock.running() {
                continue;
            }
            if let (None, Some(due)) = (clock.breached_at, clock.due_at) {
                if due <= now {
                    clock.breached_at = Some(due);
                    clock.warned_at = clock.warned_at.or(clock.warn_at);
                    fired.push(Fired {
                        metric,
                        alarm: Alarm::Breach,
                        due_at: due,
                    });
                    continue;
                }
            }
            if let (None, Some(warn), Some(due)) = (clock.warned_at, clock.warn_at, clock.due_at) {
                if warn <= now {
                    clock.warned_at = Some(warn);
                    fired.push(Fired {
                        metric,
                        alarm: Alarm::Warning,
                        due_at: due,
                    });
                }
            }
        }
        fired
    }
}

/// How a promise stands, as lists and the report show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Running,
    /// The resolution clock stands still (the case waits, or is resolved).
    Paused,
    Met,
    /// The target ran out unmet (whether or not it was met later).
    Missed,
    /// Nothing to measure (a case closed without a public answer).
    Stopped,
}

/// A ticket's service levels in a line of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ServiceSummary {
    /// The earliest target of a clock still running (past when it is overdue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_due_at: Option<DateTime<Utc>>,
    pub first_response: Outcome,
    pub resolution: Outcome,
}

impl ServiceLevel {
    pub fn summary(&self) -> ServiceSummary {
        let paused = self.pauses.last().is_some_and(|p| p.to.is_none());
        let outcome = |clock: &SlaClock, paused: bool| match clock {
            c if c.breached_at.is_some() => Outcome::Missed,
            c if c.met_at.is_some() => Outcome::Met,
            c if c.stopped_at.is_some() => Outcome::Stopped,
            _ if paused => Outcome::Paused,
            _ => Outcome::Running,
        };
        ServiceSummary {
            next_due_at: [&self.first_response, &self.resolution]
                .into_iter()
                .filter(|c| c.running())
                .filter_map(|c| c.due_at)
                .min(),
            first_response: outcome(&self.first_response, false),
            resolution: outcome(&self.resolution, paused),
        }
    }
}

/// Stops a running clock as met at `at`; a late one is breached at its target too.
fn meet(clock: &mut SlaClock, metric: Metric, at: DateTime<Utc>) -> Option<Note> {
    clock.met_at = Some(at);
    match clock.due_at {
        Some(due) if due < at && clock.breached_at.is_none() => {
            clock.breached_at = Some(due);
            Some(Note::MetLate { metric, due_at: due })
        }
        _ => None,
    }
}

fn measure(calendar: &Calendar, kind: ClockKind, from: i64, to: i64) -> i64 {
    match kind {
        ClockKind::Business => calendar.open_seconds(from, to),
        ClockKind::Calendar => (to - from).max(0),
    }
}

fn add(calendar: &Calendar, kind: ClockKind, from: i64, seconds: i64) -> Option<i64> {
    match kind {
        ClockKind::Business => calendar.add_open(from, seconds),
        ClockKind::Calendar => Some(from + seconds),
    }
}

/// When `percent` of the target has run, counted from `start` less the pauses (sorted,
/// each `[from, to)`; an open last one means the clock stands still: no deadline).
pub fn deadline(
    calendar: &Calendar,
    target: Target,
    start: i64,
    pauses: &[(i64, Option<i64>)],
    percent: u32,
) -> Option<DateTime<Utc>> {
    let mut left = i64::from(target.minutes) * 60 * i64::from(percent) / 100;
    let mut at = start;
    for &(from, to) in pauses {
        if from > at {
            let run = measure(calendar, target.clock, at, from);
            if run >= left {
                break;
            }
            left -= run;
        }
        match to {
            Some(to) => at = at.max(to),
            None => return None,
        }
    }
    add(calendar, target.clock, at, left).and_then(|t| DateTime::from_timestamp(t, 0))
}

#[cfg(test)]
mod tests {
    use super::super::calendar::tests::{calendars, central, instants, seed_calendar};
    use super::*;
    use proptest::prelude::*;

    fn levels() -> ServiceLevels {
        let mut levels = ServiceLevels::defaults();
        levels.calendar = seed_calendar();
        levels
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    fn seen(priority: Priority, status: Status, support_reply_at: Option<DateTime<Utc>>) -> Observed<'static> {
        Observed {
            company: "ACME",
            priority,
            desk: Desk::Vendor,
            status,
            support_reply_at,
        }
    }

    /// The walk: a High ticket filed Friday 17:30 Central.
    #[test]
    fn a_high_ticket_filed_on_friday_evening_is_due_on_monday_and_waits_out_a_weekend() {
        let levels = levels();
        let filed = at(central(2026, 12, 4, 17, 30));
        let mut sla = ServiceLevel::start(&levels, "ACME", Priority::High, Desk::Vendor, filed);
        assert_eq!(sla.first_response.due_at, Some(at(central(2026, 12, 7, 10, 30))));
        // 75 % of four business hours: three, so 9:30 on Monday.
        assert_eq!(sla.first_response.warn_at, Some(at(central(2026, 12, 7, 9, 30))));
        // Resolution: two business days (22 hours): Tuesday 17:30.
        assert_eq!(sla.resolution.due_at, Some(at(central(2026, 12, 8, 17, 30))));
        assert_eq!(
            sla.next_alarm(),
            Some((at(central(2026, 12, 7, 9, 30)), Metric::FirstResponse, Alarm::Warning))
        );

        // The sweep at 9:31 warns once, at 10:31 breaches once.
        let fired = sla.fire(at(central(2026, 12, 7, 9, 31)));
        assert_eq!(
            fired,
            vec![Fired {
                metric: Metric::FirstResponse,
                alarm: Alarm::Warning,
                due_at: at(central(2026, 12, 7, 10, 30))
            }]
        );
        assert!(sla.fire(at(central(2026, 12, 7, 9, 32))).is_empty());
        let fired = sla.fire(at(central(2026, 12, 7, 10, 31)));
        assert_eq!(fired[0].alarm, Alarm::Breach);
        assert_eq!(sla.first_response.breached_at, Some(at(central(2026, 12, 7, 10, 30))));

        // The agent answers late, at 11:00: met, and still breached.
        let answered = at(central(2026, 12, 7, 11, 0));
        assert!(sla
            .settle(
                &levels,
                seen(Priority::High, Status::Assigned, Some(answered)),
                answered
            )
            .is_empty());
        assert_eq!(sla.first_response.met_at, Some(answered));
        assert_eq!(sla.first_response.breached_at, Some(at(central(2026, 12, 7, 10, 30))));

        // The agent asks the customer at noon (5.5 of the 22 hours used); the answer comes
        // a week later, over a weekend: the resolution clock does not move meanwhile.
        let asked = at(central(2026, 12, 7, 12, 0));
        sla.settle(
            &levels,
            seen(Priority::High, Status::WaitingForCustomer, Some(answered)),
            asked,
        );
        assert_eq!(sla.resolution.due_at, None);
        assert_eq!(sla.next_alarm(), None);
        assert!(sla.fire(at(central(2026, 12, 12, 12, 0))).is_empty());
        let back = at(central(2026, 12, 14, 9, 0));
        sla.settle(
            &levels,
            seen(Priority::High, Status::PendingSupport, Some(answered)),
            back,
        );
        assert_eq!(sla.paused_seconds, 52 * 3600);
        // 16.5 hours left from Monday 9:00: Tuesday 14:30; the warning at 16.5 of 22 hours used.
        assert_eq!(sla.resolution.due_at, Some(at(central(2026, 12, 15, 14, 30))));
        assert_eq!(sla.resolution.warn_at, Some(at(central(2026, 12, 15, 9, 0))));
    }

    #[test]
    fn waiting_over_a_weekend_moves_the_resolution_by_the_business_time_waited_only() {
        let levels = levels();
        let filed = at(central(2026, 12, 7, 9, 0)); // Monday
        let mut sla = ServiceLevel::start(&levels, "ACME", Priority::Medium, Desk::Vendor, filed);
        // Five business days of 11 hours from Monday 9:00: the next Monday 9:00.
        assert_eq!(sla.resolution.due_at, Some(at(central(2026, 12, 14, 9, 0))));
        let asked = at(central(2026, 12, 11, 17, 0)); // Friday
        sla.settle(&levels, seen(Priority::Medium, Status::WaitingForCustomer, None), asked);
        let replied = at(central(2026, 12, 14, 8, 0)); // Monday: 1 + 1 business hours waited
        sla.settle(&levels, seen(Priority::Medium, Status::PendingSupport, None), replied);
        assert_eq!(sla.paused_seconds, 2 * 3600);
        assert_eq!(sla.resolution.due_at, Some(at(central(2026, 12, 14, 11, 0))));
    }

    #[test]
    fn an_urgent_ticket_filed_on_saturday_night_is_due_within_the_hour() {
        let levels = levels();
        let filed = at(central(2026, 12, 5, 3, 0));
        let sla = ServiceLevel::start(&levels, "ACME", Priority::Urgent, Desk::Vendor, filed);
        assert_eq!(sla.first_response.due_at, Some(at(central(2026, 12, 5, 4, 0))));
        assert_eq!(sla.first_response.warn_at, Some(at(central(2026, 12, 5, 3, 45))));
        assert_eq!(sla.resolution.due_at, Some(at(central(2026, 12, 5, 11, 0))));
    }

    #[test]
    fn a_new_priority_counts_from_the_start_with_the_time_stood_still() {
        let levels = levels();
        let filed = at(central(2026, 12, 7, 9, 0));
        let mut sla = ServiceLevel::start(&levels, "ACME", Priority::Low, Desk::Vendor, filed);
        let later = at(central(2026, 12, 7, 9, 30));
        let notes = sla.settle(&levels, seen(Priority::Urgent, Status::New, None), later);
        assert_eq!(
            notes,
            vec![Note::Retargeted {
                from: Priority::Low,
                to: Priority::Urgent
            }]
        );
        assert_eq!(sla.first_response.due_at, Some(at(central(2026, 12, 7, 10, 0))));
        assert_eq!(sla.started_at, filed);
    }

    #[test]
    fn resolving_meets_the_resolution_and_reopening_runs_it_again() {
        let levels = levels();
        let filed = at(central(2026, 12, 7, 9, 0));
        let mut sla = ServiceLevel::start(&levels, "ACME", Priority::High, Desk::Vendor, filed);
        let resolved = at(central(2026, 12, 7, 12, 0));
        sla.settle(
            &levels,
            seen(Priority::High, Status::Resolved, Some(resolved)),
            resolved,
        );
        assert_eq!(sla.resolution.met_at, Some(resolved));
        assert_eq!(sla.next_alarm(), None);
        let reopened = at(central(2026, 12, 8, 12, 0));
        sla.settle(
            &levels,
            seen(Priority::High, Status::PendingSupport, Some(resolved)),
            reopened,
        );
        assert_eq!(sla.resolution.met_at, None);
        // 22 hours from Monday 9:00, less the 11 business hours it stood resolved.
        assert_eq!(sla.resolution.due_at, Some(at(central(2026, 12, 10, 9, 0))));
        let closed = at(central(2026, 12, 8, 13, 0));
        sla.settle(&levels, seen(Priority::High, Status::Closed, Some(resolved)), closed);
        assert_eq!(sla.resolution.met_at, Some(closed));
        assert!(sla.resolution.breached_at.is_none());
    }

    #[test]
    fn escalation_restarts_the_clocks_and_a_case_closed_unanswered_stops_them() {
        let levels = levels();
        let filed = at(central(2026, 12, 7, 9, 0));
        let mut sla = ServiceLevel::start(&levels, "ACME", Priority::High, Desk::Internal, filed);
        let escalated = at(central(2026, 12, 7, 15, 0));
        let mut vendor = seen(Priority::High, Status::New, None);
        vendor.desk = Desk::Vendor;
        assert_eq!(sla.settle(&levels, vendor, escalated), vec![Note::Restarted]);
        assert_eq!(sla.started_at, escalated);
        let closed = at(central(2026, 12, 7, 16, 0));
        vendor.status = Status::Closed;
        sla.settle(&levels, vendor, closed);
        assert_eq!(sla.first_response.stopped_at, Some(closed));
        assert_eq!(sla.next_alarm(), None);
    }

    fn brute_deadline(calendar: &Calendar, target: Target, start: i64, pauses: &[(i64, Option<i64>)]) -> Option<i64> {
        let minutes = i64::from(target.minutes);
        let mut count = 0;
        let mut m = start;
        for _ in 0..200_000 {
            let paused = pauses.iter().any(|(from, to)| m >= *from && to.is_none_or(|to| m < to));
            if paused && pauses.iter().any(|(from, to)| to.is_none() && m >= *from) {
                return None;
            }
            let counts = !paused && (target.clock == ClockKind::Calendar || calendar.is_open_at(m));
            if counts {
                count += 1;
                if count == minutes {
                    return Some(m + 60);
                }
            }
            m += 60;
        }
        panic!("the reference ran out of minutes");
    }

    fn pause_lists() -> impl Strategy<Value = (Vec<(i64, i64)>, bool)> {
        (
            proptest::collection::vec((0i64..3 * 24 * 60, 0i64..4 * 24 * 60), 0..4),
            any::<bool>(),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn deadlines_with_pauses_agree_with_counting_minutes(
            calendar in calendars(),
            start in instants(),
            minutes in 1u32..30 * 60,
            business in any::<bool>(),
            (gaps, still) in pause_lists(),
        ) {
            let clock = if business { ClockKind::Business } else { ClockKind::Calendar };
            let target = Target { minutes, clock };
            // Pauses one after another: a gap of running time, then a stretch stood still.
            let mut pauses = Vec::new();
            let mut at = start;
            for (gap, length) in &gaps {
                let from = at + gap * 60;
                at = from + length * 60;
                pauses.push((from, Some(at)));
            }
            if still {
                if let Some(last) = pauses.last_mut() {
                    last.1 = None;
                }
            }
            let expected = brute_deadline(&calendar, target, start, &pauses);
            prop_assert_eq!(deadline(&calendar, target, start, &pauses, 100).map(|d| d.timestamp()), expected);
        }
    }
}
