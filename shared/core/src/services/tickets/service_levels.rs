//! Service levels on tickets: the clocks follow every change (`settle_service_level`, from
//! `Core::ticket_write`), and warnings and breaches fire when due (`fire_service_level_alarms`,
//! from the sweep and from any status change that comes first), each once: the alarm is
//! marked on the ticket in the same version-checked write that queues its mail and event.

use crate::domain::company::Company;
use crate::domain::lifecycle::Side;
use crate::domain::service_levels::clock::{Alarm, Fired, Observed};
use crate::domain::ticket::Ticket;
use crate::services::mail::notify::Outbox;
use crate::services::Core;
use chrono::{DateTime, Utc};

impl Core {
    /// Every change of a ticket passes here: the clocks follow its desk, priority, status and
    /// replies, and what they note (a late answer, a restart) joins the ticket's history.
    pub(crate) fn settle_service_level(&self, ticket: &mut Ticket) {
        let Some(sla) = ticket.sla.as_mut() else {
            return;
        };
        let seen = Observed {
            company: ticket.company.as_str(),
            priority: ticket.priority,
            desk: ticket.lifecycle.desk,
            status: ticket.lifecycle.status,
            support_reply_at: ticket
                .last_reply
                .as_ref()
                .filter(|r| r.side == Side::Support)
                .map(|r| r.at),
        };
        let now = ticket.updated_at;
        for note in sla.settle(&self.settings.service_levels, seen, now) {
            ticket.lifecycle.note(now, "system", &note.reason());
        }
    }

    /// The warnings and breaches due by `now`: into the ticket's history and the outbox.
    pub(crate) fn fire_service_level_alarms(
        &self,
        ticket: &mut Ticket,
        now: DateTime<Utc>,
        outbox: &mut Outbox<'_>,
        company: &Company,
    ) {
        let Some(sla) = ticket.sla.as_mut() else {
            return;
        };
        let fired = sla.fire(now);
        for alarm in &fired {
            let reason = self.alarm_reason(alarm);
            ticket.lifecycle.note(now, "system", &reason);
            outbox.service_level_alarm(ticket, alarm, company);
        }
    }

    fn alarm_reason(&self, fired: &Fired) -> String {
        let due = crate::store::ts(fired.due_at);
        match fired.alarm {
            Alarm::Warning => format!(
                "{} due soon: {} % of the target has run (due {due})",
                fired.metric.label(),
                self.settings.service_levels.warning_percent
            ),
            Alarm::Breach => format!("{} target missed (due {due})", fired.metric.label()),
        }
    }
}

/// Whether a service-level alarm of the ticket is due by `now`.
pub fn alarm_due(ticket: &Ticket, now: DateTime<Utc>) -> bool {
    ticket
        .sla
        .as_ref()
        .and_then(|sla| sla.next_alarm())
        .is_some_and(|(at, _, _)| at <= now)
}
