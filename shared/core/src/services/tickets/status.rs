//! Status changes asked for through the API: assign, wait, resolve, close, escalate.

use crate::domain::lifecycle::{Desk, Event, Level, LifecycleError, Side};
use crate::domain::ticket::{Priority, Ticket};
use crate::domain::validate::{self, Invalid};
use crate::services::mail::notify::Outbox;
use crate::services::problems::ProblemKind;
use crate::services::{Core, Loaded, Plan, ServiceError, Viewer};
use crate::slugs::slug_enum;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// What to do; `assign` and `wait_for` take the fields below.
    #[schema(required, schema_with = StatusAction::schema)]
    pub action: Option<String>,
    /// For `assign`: whom (an email); the caller when absent and no `level` is given.
    pub assignee: Option<String>,
    /// For `assign` on the vendor's desk, instead of a person: the level whose queue takes
    /// the case (`l1`, `l2`); nobody has it by name until someone of that level takes it.
    pub level: Option<Level>,
    /// For `wait_for`: the entity the ticket waits for (the sub-status).
    pub sub_status: Option<String>,
    /// For `set_priority` (the support side): the new priority. The service-level targets
    /// follow it, counted from the ticket's start.
    pub priority: Option<Priority>,
}

slug_enum! {
    /// What a status change asks for (`StatusChange::action`).
    StatusAction {
        Assign = "assign",
        WaitForCustomer = "wait_for_customer",
        WaitFor = "wait_for",
        Resolve = "resolve",
        Close = "close",
        Escalate = "escalate",
        SetPriority = "set_priority",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StatusChanged {
    pub ticket: Ticket,
    pub version: u64,
}

impl Core {
    pub async fn plan_status_change(
        &self,
        loaded: &Loaded<Ticket>,
        viewer: &Viewer,
        change: &StatusChange,
    ) -> Result<Plan<StatusChanged>, ServiceError> {
        let action = validate::line("action", change.action.as_deref(), 40)?;
        // Parsed once into the enum; an unknown action stays a 422 that names `action`.
        let action = StatusAction::from_slug(&action).ok_or_else(|| {
            let names: Vec<&str> = StatusAction::ALL.iter().map(|a| a.slug()).collect();
            Invalid::new("action", format!("must be one of {}", names.join(", ")))
        })?;
        if action == StatusAction::SetPriority {
            return self.plan_priority_change(loaded, viewer, change.priority);
        }
        if let (StatusAction::Assign, Some(level)) = (action, change.level) {
            if change.assignee.is_some() {
                return Err(Invalid::new("level", "give an assignee or a level, not both").into());
            }
            return self.plan_level_assignment(loaded, viewer, level);
        }
        let event = match action {
            StatusAction::Assign => Event::Assign {
                assignee: match change.assignee.as_deref() {
                    Some(a) => validate::email("assignee", Some(a))?,
                    None => viewer.email.clone(),
                },
            },
            StatusAction::WaitForCustomer => Event::WaitForCustomer,
            StatusAction::WaitFor => Event::WaitForThirdParty {
                whom: validate::line("sub_status", change.sub_status.as_deref(), 120)?,
            },
            StatusAction::Resolve => Event::Resolve,
            StatusAction::Close => Event::CustomerClose,
            StatusAction::Escalate => Event::Escalate,
            StatusAction::SetPriority => unreachable!("handled above"),
        };
        if matches!(event, Event::Escalate) && !viewer.member {
            return Err(ServiceError::forbidden(
                ProblemKind::NotAllowed,
                "only the company's admins escalate",
            ));
        }
        let ticket = &loaded.record;
        let now = self.now();
        let (lifecycle, effects) = ticket
            .lifecycle
            .apply(&event, viewer.side, &viewer.email, now, &self.settings.timers)
            .map_err(lifecycle_problem)?;
        let (next, writes) = self.lifecycle_writes(loaded, lifecycle, &effects, now).await?;
        Ok(changed(writes, next, loaded))
    }
}

impl Core {
    /// The case handed to a level of the vendor's desk: off anyone's own list, onto that
    /// level's queue (its status stays; the history notes the hand-over).
    fn plan_level_assignment(
        &self,
        loaded: &Loaded<Ticket>,
        viewer: &Viewer,
        level: Level,
    ) -> Result<Plan<StatusChanged>, ServiceError> {
        support_side(viewer, "only the support side assigns a ticket")?;
        let ticket = &loaded.record;
        still_open(ticket)?;
        if ticket.lifecycle.desk != Desk::Vendor {
            return Err(Invalid::new("level", "only the vendor's help desk has levels").into());
        }
        let now = self.now();
        let mut next = ticket.clone();
        next.lifecycle.assignee = None;
        next.lifecycle.level = level;
        next.updated_at = now;
        next.lifecycle
            .note(now, &viewer.email, &format!("handed to {} support", level.label()));
        let mut outbox = Outbox::new(self);
        outbox.ticket_event(
            &next,
            "ticket.level_assigned",
            serde_json::json!({ "ticket": next.id, "level": level, "by": viewer.email }),
        );
        Ok(self.plan_noted_change(loaded, next, outbox))
    }

    /// A new priority, set by the support side: the lists, the service-level targets (from
    /// the ticket's start, with the time already stood still) and on-call for urgent ones.
    fn plan_priority_change(
        &self,
        loaded: &Loaded<Ticket>,
        viewer: &Viewer,
        priority: Option<Priority>,
    ) -> Result<Plan<StatusChanged>, ServiceError> {
        support_side(viewer, "only the support side changes a ticket's priority")?;
        let priority = priority.ok_or_else(|| Invalid::new("priority", "required: low, medium, high or urgent"))?;
        let ticket = &loaded.record;
        still_open(ticket)?;
        let now = self.now();
        let mut next = ticket.clone();
        next.priority = priority;
        next.updated_at = now;
        let label = |p: Priority| crate::slugs::serde_name(&p);
        next.lifecycle.note(
            now,
            &viewer.email,
            &format!(
                "priority changed from {} to {}",
                label(ticket.priority),
                label(priority)
            ),
        );
        let mut outbox = Outbox::new(self);
        outbox.priority_changed(&next, ticket.priority);
        Ok(self.plan_noted_change(loaded, next, outbox))
    }

    /// A change that leaves the status as it is: the ticket (its clocks settled) and what
    /// the outbox holds, in one write.
    fn plan_noted_change(&self, loaded: &Loaded<Ticket>, mut next: Ticket, outbox: Outbox<'_>) -> Plan<StatusChanged> {
        let mut writes = vec![self.ticket_write(&mut next, loaded.version)];
        writes.extend(outbox.into_writes());
        changed(writes, next, loaded)
    }
}

fn support_side(viewer: &Viewer, refusal: &str) -> Result<(), ServiceError> {
    if viewer.side == Side::Support {
        Ok(())
    } else {
        Err(ServiceError::forbidden(ProblemKind::NotYourSide, refusal))
    }
}

fn still_open(ticket: &Ticket) -> Result<(), ServiceError> {
    if ticket.lifecycle.status.is_open() {
        Ok(())
    } else {
        Err(ServiceError::conflict(
            ProblemKind::TicketClosed,
            "the ticket is closed",
        ))
    }
}

/// The answer of a status change: the ticket as written, at its next version.
fn changed(writes: Vec<crate::ports::Write>, ticket: Ticket, loaded: &Loaded<Ticket>) -> Plan<StatusChanged> {
    Plan::new(
        writes,
        StatusChanged {
            ticket,
            version: loaded.version + 1,
        },
    )
}

fn lifecycle_problem(e: LifecycleError) -> ServiceError {
    match e {
        LifecycleError::SupportOnly(_) | LifecycleError::CustomerOnly(_) => {
            ServiceError::forbidden(ProblemKind::NotYourSide, e.to_string())
        }
        LifecycleError::EmptySubStatus => Invalid::new("sub_status", e.to_string()).into(),
        LifecycleError::NotAllowed { .. } | LifecycleError::Closed | LifecycleError::AlreadyEscalated => {
            ServiceError::conflict(ProblemKind::TransitionNotAllowed, e.to_string())
        }
    }
}

impl Core {
    /// The writes of a lifecycle change: the ticket (version-checked) and the mails and
    /// events its effects call for. Shared by API status changes and the sweep.
    pub(crate) async fn lifecycle_writes(
        &self,
        loaded: &Loaded<Ticket>,
        lifecycle: crate::domain::lifecycle::Lifecycle,
        effects: &[crate::domain::lifecycle::Effect],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(Ticket, Vec<crate::ports::Write>), ServiceError> {
        let company = self
            .company(&loaded.record.company)
            .await?
            .ok_or(ServiceError::NotFound("company"))?;
        Ok(self.lifecycle_writes_for(loaded, lifecycle, effects, now, &company))
    }

    /// The same, with the ticket's company at hand (the sweep reads a page's companies at once).
    pub(crate) fn lifecycle_writes_for(
        &self,
        loaded: &Loaded<Ticket>,
        lifecycle: crate::domain::lifecycle::Lifecycle,
        effects: &[crate::domain::lifecycle::Effect],
        now: chrono::DateTime<chrono::Utc>,
        company: &crate::domain::company::Company,
    ) -> (Ticket, Vec<crate::ports::Write>) {
        let mut next = loaded.record.clone();
        next.lifecycle = lifecycle;
        next.updated_at = now;
        let mut outbox = Outbox::new(self);
        outbox.effects(&next, effects, company);
        self.fire_service_level_alarms(&mut next, now, &mut outbox, company);
        let mut writes = vec![self.ticket_write(&mut next, loaded.version)];
        writes.extend(outbox.into_writes());
        (next, writes)
    }
}
