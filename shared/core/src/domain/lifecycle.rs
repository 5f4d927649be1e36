//! The case lifecycle of seed 002, as a pure function of (state, event, now) → (state,
//! effects). Nothing here reads a clock or a table: callers pass `now` and persist the result.
//!
//! | status               | leaves by                                                   |
//! |----------------------|-------------------------------------------------------------|
//! | New                  | assignment → Assigned                                       |
//! | Assigned             | wait for customer / wait for a third party / resolve        |
//! | Waiting For Customer | customer update → Pending Support; N days → Resolved        |
//! | Waiting For (sub)    | the agent moves it on                                       |
//! | Pending Support      | the agent acts                                              |
//! | Resolved             | customer update → Pending Support; M days → Closed          |
//! | Closed               | an update creates a new case that references it             |
//!
//! The customer may close at any time; an internal ticket escalated to the vendor desk
//! starts again at New.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Assigned,
    WaitingForCustomer,
    WaitingFor,
    PendingSupport,
    Resolved,
    Closed,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::New => "New",
            Status::Assigned => "Assigned",
            Status::WaitingForCustomer => "Waiting For Customer",
            Status::WaitingFor => "Waiting For",
            Status::PendingSupport => "Pending Support",
            Status::Resolved => "Resolved",
            Status::Closed => "Closed",
        }
    }

    pub fn is_open(self) -> bool {
        self != Status::Closed
    }
}

/// Which desk works the ticket: the company's own first level, or the vendor's help desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Desk {
    Internal,
    Vendor,
}

/// Which side of the conversation caused an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Customer,
    Support,
    System,
}

/// The per-deployment timer settings; the defaults are seed 002's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timers {
    /// Calendar days in Waiting For Customer before the case is resolved by itself.
    pub waiting_days: u32,
    /// Calendar days in Resolved before the case closes by itself.
    pub resolved_days: u32,
    /// How long before the auto-close the reminder goes out.
    pub close_reminder_hours: u32,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            waiting_days: 4,
            resolved_days: 3,
            close_reminder_hours: 24,
        }
    }
}

/// When the status that carries timers began, and how many reminders went out since.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Phase {
    pub since: DateTime<Utc>,
    pub reminders_sent: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    /// The user id, email or "system" that caused the change.
    pub by: String,
    pub from: Option<Status>,
    pub to: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_status: Option<String>,
    pub reason: String,
    /// Set on an entry that records something other than a change of status (a
    /// service-level warning or breach, a new priority): `from` and `to` are the status it
    /// happened in.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub note: bool,
}

/// The part of a ticket the lifecycle owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Lifecycle {
    pub status: Status,
    pub desk: Desk,
    #[serde(default)]
    pub sub_status: Option<String>,
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default)]
    pub phase: Option<Phase>,
    /// Which level of the vendor's desk works it while nobody has it by name.
    #[serde(default, skip_serializing_if = "Level::is_first")]
    pub level: Level,
    // Never empty on a filed case, and always answered; a default all the same, because a
    // ticket's stored record leaves out empty members (`store::ticket_record`).
    #[serde(default)]
    #[schema(required = true)]
    pub history: Vec<HistoryEntry>,
}

/// The vendor desk's levels of support: level 1 takes new cases; level 2 what level 1
/// hands on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    #[default]
    L1,
    L2,
}

impl Level {
    pub fn is_first(&self) -> bool {
        *self == Level::L1
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::L1 => "level 1",
            Level::L2 => "level 2",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Assign {
        assignee: String,
    },
    WaitForCustomer,
    WaitForThirdParty {
        whom: String,
    },
    Resolve,
    /// A public update from the customer's side (requester, colleague, collaborator, guest).
    CustomerUpdate,
    CustomerClose,
    /// A company admin, working an internal ticket, hands it to the vendor's help desk.
    Escalate,
    /// The sweep: fire whatever timers are due at `now`.
    Tick,
}

/// Something the caller must do because of a transition: send a mail, open a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    StatusChanged {
        from: Status,
        to: Status,
    },
    WaitingReminder {
        number: u32,
        resolves_at: DateTime<Utc>,
    },
    CloseReminder {
        closes_at: DateTime<Utc>,
    },
    Escalated,
    /// An update on a Closed case: the caller opens a new case that references this one.
    OpenFollowUp,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("a {status} ticket cannot be changed this way ({action})")]
    NotAllowed { status: &'static str, action: &'static str },
    #[error("only the support side may {0}")]
    SupportOnly(&'static str),
    #[error("only the customer side may {0}")]
    CustomerOnly(&'static str),
    #[error("the ticket is closed")]
    Closed,
    #[error("the ticket is already with the vendor's help desk")]
    AlreadyEscalated,
    #[error("the sub-status must name whom the ticket waits for")]
    EmptySubStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerKind {
    WaitingReminder,
    AutoResolve,
    CloseReminder,
    AutoClose,
}

impl Lifecycle {
    pub fn new(desk: Desk, now: DateTime<Utc>, by: &str) -> Lifecycle {
        Lifecycle {
            status: Status::New,
            desk,
            sub_status: None,
            assignee: None,
            phase: None,
            level: Level::L1,
            history: vec![HistoryEntry {
                at: now,
                by: by.to_string(),
                from: None,
                to: Status::New,
                sub_status: None,
                reason: "created".into(),
                note: false,
            }],
        }
    }

    /// Records something that happened to the case without changing its status (a
    /// service-level warning or breach, a new priority): a history entry from and to the current status.
    pub fn note(&mut self, at: DateTime<Utc>, by: &str, reason: &str) {
        self.history.push(HistoryEntry {
            at,
            by: by.to_string(),
            from: Some(self.status),
            to: self.status,
            sub_status: self.sub_status.clone(),
            reason: reason.to_string(),
            note: true,
        });
    }

    /// The next timer and when it fires, if the status carries one.
    pub fn next_timer(&self, timers: &Timers) -> Option<(DateTime<Utc>, TimerKind)> {
        let phase = self.phase?;
        match self.status {
            Status::WaitingForCustomer => {
                let next_reminder = phase.reminders_sent + 1;
                if next_reminder < timers.waiting_days {
                    Some((
                        phase.since + Duration::days(next_reminder.into()),
                        TimerKind::WaitingReminder,
                    ))
                } else {
                    Some((
                        phase.since + Duration::days(timers.waiting_days.into()),
                        TimerKind::AutoResolve,
                    ))
                }
            }
            Status::Resolved => {
                let closes_at = phase.since + Duration::days(timers.resolved_days.into());
                let lead = Duration::hours(timers.close_reminder_hours.into());
                let reminder_at = closes_at - lead;
                if phase.reminders_sent == 0 && timers.close_reminder_hours > 0 && reminder_at > phase.since {
                    Some((reminder_at, TimerKind::CloseReminder))
                } else {
                    Some((closes_at, TimerKind::AutoClose))
                }
            }
            _ => None,
        }
    }

    /// Applies one event. On error the state is untouched (the caller keeps `self`).
    pub fn apply(
        &self,
        event: &Event,
        side: Side,
        by: &str,
        now: DateTime<Utc>,
        timers: &Timers,
    ) -> Result<(Lifecycle, Vec<Effect>), LifecycleError> {
        use Status::*;
        let mut next = self.clone();
        let mut effects = Vec::new();
        let support_only = |action| {
            if side == Side::Support {
                Ok(())
            } else {
                Err(LifecycleError::SupportOnly(action))
            }
        };
        match event {
            Event::Assign { assignee } => {
                support_only("assign a ticket")?;
                self.require(&[New, Assigned, PendingSupport, WaitingFor], "assign")?;
                next.assignee = Some(assignee.clone());
                next.change(Assigned, None, by, now, format!("assigned to {assignee}"), &mut effects);
            }
            Event::WaitForCustomer => {
                support_only("ask the customer")?;
                self.require(&[Assigned, PendingSupport, WaitingFor], "wait for customer")?;
                next.change(
                    WaitingForCustomer,
                    None,
                    by,
                    now,
                    "waiting for the customer".into(),
                    &mut effects,
                );
            }
            Event::WaitForThirdParty { whom } => {
                support_only("wait on a third party")?;
                let whom = whom.trim();
                if whom.is_empty() {
                    return Err(LifecycleError::EmptySubStatus);
                }
                self.require(&[Assigned, PendingSupport, WaitingFor], "wait for a third party")?;
                next.change(
                    WaitingFor,
                    Some(whom.to_string()),
                    by,
                    now,
                    format!("waiting for {whom}"),
                    &mut effects,
                );
            }
            Event::Resolve => {
                support_only("resolve a ticket")?;
                self.require(&[Assigned, PendingSupport, WaitingFor], "resolve")?;
                next.change(Resolved, None, by, now, "resolved".into(), &mut effects);
            }
            Event::CustomerUpdate => {
                if side != Side::Customer {
                    return Err(LifecycleError::CustomerOnly("share an update"));
                }
                match self.status {
                    WaitingForCustomer | Resolved => {
                        next.change(PendingSupport, None, by, now, "customer update".into(), &mut effects)
                    }
                    Closed => effects.push(Effect::OpenFollowUp),
                    _ => {}
                }
            }
            Event::CustomerClose => {
                if side != Side::Customer {
                    return Err(LifecycleError::CustomerOnly("close their case"));
                }
                if self.status == Closed {
                    return Err(LifecycleError::Closed);
                }
                next.change(Closed, None, by, now, "closed by the customer".into(), &mut effects);
            }
            Event::Escalate => {
                // The company's first level of support (its admins) hands the case on.
                support_only("escalate to the vendor")?;
                if self.status == Closed {
                    return Err(LifecycleError::Closed);
                }
                if self.desk == Desk::Vendor {
                    return Err(LifecycleError::AlreadyEscalated);
                }
                next.desk = Desk::Vendor;
                next.assignee = None;
                next.change(
                    New,
                    None,
                    by,
                    now,
                    "escalated to the vendor's help desk".into(),
                    &mut effects,
                );
                effects.push(Effect::Escalated);
            }
            Event::Tick => next.fire_due_timers(now, timers, &mut effects),
        }
        Ok((next, effects))
    }

    fn require(&self, allowed: &[Status], action: &'static str) -> Result<(), LifecycleError> {
        if self.status == Status::Closed {
            return Err(LifecycleError::Closed);
        }
        if allowed.contains(&self.status) {
            Ok(())
        } else {
            Err(LifecycleError::NotAllowed {
                status: self.status.label(),
                action,
            })
        }
    }

    fn change(
        &mut self,
        to: Status,
        sub_status: Option<String>,
        by: &str,
        at: DateTime<Utc>,
        reason: String,
        effects: &mut Vec<Effect>,
    ) {
        let from = self.status;
        self.status = to;
        self.sub_status = sub_status.clone();
        // A phase (and its reminders) starts afresh whenever a timed status is entered.
        self.phase = matches!(to, Status::WaitingForCustomer | Status::Resolved).then_some(Phase {
            since: at,
            reminders_sent: 0,
        });
        self.history.push(HistoryEntry {
            at,
            by: by.to_string(),
            from: Some(from),
            to,
            sub_status,
            reason,
            note: false,
        });
        effects.push(Effect::StatusChanged { from, to });
    }

    /// Fires every timer due at `now`, in order. A reminder whose successor is also already
    /// due (the sweep ran late) is counted but not sent: nobody needs three reminders at once.
    fn fire_due_timers(&mut self, now: DateTime<Utc>, timers: &Timers, effects: &mut Vec<Effect>) {
        while let Some((at, kind)) = self.next_timer(timers) {
            if at > now {
                break;
            }
            match kind {
                TimerKind::WaitingReminder | TimerKind::CloseReminder => {
                    if let Some(phase) = self.phase.as_mut() {
                        phase.reminders_sent += 1;
                    }
                    let successor_due = self.next_timer(timers).is_some_and(|(t, _)| t <= now);
                    if !successor_due {
                        let upcoming = self.next_timer(timers).map(|(t, _)| t).unwrap_or(at);
                        effects.push(match kind {
                            TimerKind::WaitingReminder => {
                                let number = self.phase.map(|p| p.reminders_sent).unwrap_or(1);
                                let since = self.phase.map(|p| p.since).unwrap_or(at);
                                Effect::WaitingReminder {
                                    number,
                                    resolves_at: since + Duration::days(timers.waiting_days.into()),
                                }
                            }
                            _ => Effect::CloseReminder { closes_at: upcoming },
                        });
                    }
                }
                TimerKind::AutoResolve => {
                    let reason = format!("no reply from the customer in {} days", timers.waiting_days);
                    self.change(Status::Resolved, None, "system", at, reason, effects);
                }
                TimerKind::AutoClose => {
                    let reason = format!("resolved for {} days", timers.resolved_days);
                    self.change(Status::Closed, None, "system", at, reason, effects);
                }
            }
        }
    }
}

/// Every (from, to) pair the table allows; the property tests hold the machine to it.
pub fn allowed_transition(from: Status, to: Status) -> bool {
    use Status::*;
    matches!(
        (from, to),
        (New, Assigned)
            | (Assigned, Assigned)
            | (Assigned, WaitingForCustomer)
            | (Assigned, WaitingFor)
            | (Assigned, Resolved)
            | (WaitingForCustomer, PendingSupport)
            | (WaitingForCustomer, Resolved)
            | (WaitingFor, Assigned)
            | (WaitingFor, WaitingForCustomer)
            | (WaitingFor, WaitingFor)
            | (WaitingFor, Resolved)
            | (PendingSupport, Assigned)
            | (PendingSupport, WaitingForCustomer)
            | (PendingSupport, WaitingFor)
            | (PendingSupport, Resolved)
            | (Resolved, PendingSupport)
            | (Resolved, Closed)
    ) || (to == Closed && from != Closed)
        || (to == New && from != Closed) // escalation from the internal desk
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn day(n: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap() + Duration::days(n - 1)
    }

    fn step(l: &Lifecycle, e: Event, side: Side, now: DateTime<Utc>) -> (Lifecycle, Vec<Effect>) {
        l.apply(&e, side, "tester", now, &Timers::default()).expect("allowed")
    }

    #[test]
    fn waiting_for_customer_reminds_daily_and_resolves_on_day_five_then_closes_on_day_eight() {
        let t = Lifecycle::new(Desk::Vendor, day(1), "client");
        let (t, _) = step(
            &t,
            Event::Assign {
                assignee: "agent@v".into(),
            },
            Side::Support,
            day(1),
        );
        let (mut t, _) = step(&t, Event::WaitForCustomer, Side::Support, day(1));
        let mut reminders = 0;
        for d in 2..=4 {
            let (next, fx) = step(&t, Event::Tick, Side::System, day(d));
            assert_eq!(next.status, Status::WaitingForCustomer, "day {d}");
            assert!(matches!(fx[..], [Effect::WaitingReminder { .. }]), "day {d}: {fx:?}");
            reminders += 1;
            t = next;
        }
        assert_eq!(reminders, 3);
        let (t, fx) = step(&t, Event::Tick, Side::System, day(5));
        assert_eq!(t.status, Status::Resolved);
        assert!(fx.contains(&Effect::StatusChanged {
            from: Status::WaitingForCustomer,
            to: Status::Resolved
        }));
        let (t, fx) = step(&t, Event::Tick, Side::System, day(6));
        assert!(fx.is_empty());
        let (t, fx) = step(&t, Event::Tick, Side::System, day(7));
        assert_eq!(fx, vec![Effect::CloseReminder { closes_at: day(8) }]);
        let (t, fx) = step(&t, Event::Tick, Side::System, day(8));
        assert_eq!(t.status, Status::Closed);
        assert_eq!(
            fx,
            vec![Effect::StatusChanged {
                from: Status::Resolved,
                to: Status::Closed
            }]
        );
        assert_eq!(t.history.last().map(|h| h.by.as_str()), Some("system"));
    }

    #[test]
    fn a_late_sweep_sends_one_reminder_not_a_burst() {
        let t = Lifecycle::new(Desk::Vendor, day(1), "c");
        let (t, _) = step(&t, Event::Assign { assignee: "a".into() }, Side::Support, day(1));
        let (t, _) = step(&t, Event::WaitForCustomer, Side::Support, day(1));
        let (t, fx) = step(&t, Event::Tick, Side::System, day(4));
        assert_eq!(fx.len(), 1, "{fx:?}");
        assert_eq!(t.phase.map(|p| p.reminders_sent), Some(3));
    }

    #[test]
    fn a_customer_update_on_resolved_returns_to_pending_support() {
        let t = Lifecycle::new(Desk::Vendor, day(1), "c");
        let (t, _) = step(&t, Event::Assign { assignee: "a".into() }, Side::Support, day(1));
        let (t, _) = step(&t, Event::Resolve, Side::Support, day(1));
        let (t, _) = step(&t, Event::CustomerUpdate, Side::Customer, day(2));
        assert_eq!(t.status, Status::PendingSupport);
        assert_eq!(t.phase, None);
    }

    #[test]
    fn an_update_on_closed_asks_for_a_follow_up_case() {
        let t = Lifecycle::new(Desk::Vendor, day(1), "c");
        let (t, _) = step(&t, Event::CustomerClose, Side::Customer, day(1));
        let (t2, fx) = step(&t, Event::CustomerUpdate, Side::Customer, day(2));
        assert_eq!(fx, vec![Effect::OpenFollowUp]);
        assert_eq!(t2, t);
    }

    #[test]
    fn customers_cannot_do_the_agents_work_and_agents_cannot_close_for_the_customer() {
        let t = Lifecycle::new(Desk::Vendor, day(1), "c");
        let assign = Event::Assign { assignee: "me".into() };
        assert!(matches!(
            t.apply(&assign, Side::Customer, "c", day(1), &Timers::default()),
            Err(LifecycleError::SupportOnly(_))
        ));
        assert!(matches!(
            t.apply(&Event::CustomerClose, Side::Support, "a", day(1), &Timers::default()),
            Err(LifecycleError::CustomerOnly(_))
        ));
        assert!(matches!(
            t.apply(&Event::Resolve, Side::Support, "a", day(1), &Timers::default()),
            Err(LifecycleError::NotAllowed { .. })
        ));
    }

    #[test]
    fn waiting_for_names_whom_and_escalation_restarts_at_new() {
        let t = Lifecycle::new(Desk::Internal, day(1), "c");
        let (t, _) = step(
            &t,
            Event::Assign {
                assignee: "admin".into(),
            },
            Side::Support,
            day(1),
        );
        let (t, _) = step(
            &t,
            Event::WaitForThirdParty { whom: "Payer".into() },
            Side::Support,
            day(1),
        );
        assert_eq!(t.sub_status.as_deref(), Some("Payer"));
        let (t, fx) = step(&t, Event::Escalate, Side::Support, day(2));
        assert_eq!(
            (t.status, t.desk, t.assignee.clone()),
            (Status::New, Desk::Vendor, None)
        );
        assert!(fx.contains(&Effect::Escalated));
        assert_eq!(
            t.apply(&Event::Escalate, Side::Support, "c", day(2), &Timers::default()),
            Err(LifecycleError::AlreadyEscalated)
        );
    }

    fn any_event() -> impl Strategy<Value = (Event, Side)> {
        prop_oneof![
            Just((Event::Assign { assignee: "a".into() }, Side::Support)),
            Just((Event::WaitForCustomer, Side::Support)),
            Just((Event::WaitForThirdParty { whom: "payer".into() }, Side::Support)),
            Just((Event::Resolve, Side::Support)),
            Just((Event::CustomerUpdate, Side::Customer)),
            Just((Event::CustomerClose, Side::Customer)),
            Just((Event::Escalate, Side::Support)),
            Just((Event::Tick, Side::System)),
            Just((Event::Resolve, Side::Customer)),
            Just((Event::CustomerClose, Side::Support)),
        ]
    }

    proptest! {
        #[test]
        fn only_the_tables_transitions_occur_and_history_tells_the_truth(
            desk_internal in any::<bool>(),
            steps in prop::collection::vec((any_event(), 0i64..200_000), 1..60),
        ) {
            let timers = Timers::default();
            let desk = if desk_internal { Desk::Internal } else { Desk::Vendor };
            let mut now = day(1);
            let mut t = Lifecycle::new(desk, now, "c");
            let mut auto_resolves = 0;
            let mut auto_closes = 0;
            let mut waiting_phases = 0;
            let mut resolved_phases = 0;
            for ((event, side), advance_secs) in steps {
                now += Duration::seconds(advance_secs);
                let before = t.clone();
                match t.apply(&event, side, "x", now, &timers) {
                    Ok((after, effects)) => {
                        // History is append-only: the old entries are a prefix of the new.
                        prop_assert!(after.history.len() >= before.history.len());
                        prop_assert_eq!(&after.history[..before.history.len()], &before.history[..]);
                        for entry in &after.history[before.history.len()..] {
                            let from = entry.from.expect("every later entry has a from");
                            prop_assert!(allowed_transition(from, entry.to), "{:?} -> {:?}", from, entry.to);
                            if entry.to == Status::WaitingForCustomer { waiting_phases += 1; }
                            if entry.to == Status::Resolved { resolved_phases += 1; }
                            if entry.by == "system" && entry.to == Status::Resolved { auto_resolves += 1; }
                            if entry.by == "system" && entry.to == Status::Closed { auto_closes += 1; }
                        }
                        if before.status == Status::Closed {
                            prop_assert_eq!(after.status, Status::Closed);
                            prop_assert_eq!(after.history.len(), before.history.len());
                        }
                        if effects.contains(&Effect::OpenFollowUp) {
                            prop_assert_eq!(before.status, Status::Closed);
                        }
                        // A tick at the same instant again changes nothing: timers fire once.
                        let (again, more) = after.apply(&Event::Tick, Side::System, "x", now, &timers).expect("tick");
                        prop_assert_eq!(&again, &after);
                        prop_assert!(more.is_empty());
                        t = after;
                    }
                    Err(_) => prop_assert_eq!(&t, &before),
                }
                prop_assert_eq!(t.history.last().map(|h| h.to), Some(t.status));
                prop_assert_eq!(t.history.first().map(|h| (h.from, h.to)), Some((None, Status::New)));
            }
            prop_assert!(auto_resolves <= waiting_phases);
            prop_assert!(auto_closes <= resolved_phases);
        }
    }
}
