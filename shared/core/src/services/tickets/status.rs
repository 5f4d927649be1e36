//! Status changes asked for through the API: assign, wait, resolve, close, escalate.

use crate::domain::lifecycle::{Event, LifecycleError};
use crate::domain::ticket::Ticket;
use crate::domain::validate::{self, Invalid};
use crate::services::mail::notify::Outbox;
use crate::services::{Core, Loaded, Plan, ServiceError, Viewer};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// assign | wait_for_customer | wait_for | resolve | close | escalate
    pub action: Option<String>,
    /// For `assign`: whom (an email); the caller when absent.
    pub assignee: Option<String>,
    /// For `wait_for`: the entity the ticket waits for (the sub-status).
    pub sub_status: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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
        let event = match action.as_str() {
            "assign" => Event::Assign {
                assignee: match change.assignee.as_deref() {
                    Some(a) => validate::email("assignee", Some(a))?,
                    None => viewer.email.clone(),
                },
            },
            "wait_for_customer" => Event::WaitForCustomer,
            "wait_for" => Event::WaitForThirdParty {
                whom: validate::line("sub_status", change.sub_status.as_deref(), 120)?,
            },
            "resolve" => Event::Resolve,
            "close" => Event::CustomerClose,
            "escalate" => Event::Escalate,
            _ => {
                return Err(Invalid::new(
                    "action",
                    "must be one of assign, wait_for_customer, wait_for, resolve, close, escalate",
                )
                .into())
            }
        };
        if matches!(event, Event::Escalate) && !viewer.member {
            return Err(ServiceError::forbidden(
                "not-allowed",
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
        Ok(Plan {
            writes,
            value: StatusChanged {
                ticket: next,
                version: loaded.version + 1,
            },
        })
    }
}

fn lifecycle_problem(e: LifecycleError) -> ServiceError {
    match e {
        LifecycleError::SupportOnly(_) | LifecycleError::CustomerOnly(_) => {
            ServiceError::forbidden("not-your-side", e.to_string())
        }
        LifecycleError::EmptySubStatus => Invalid::new("sub_status", e.to_string()).into(),
        LifecycleError::NotAllowed { .. } | LifecycleError::Closed | LifecycleError::AlreadyEscalated => {
            ServiceError::conflict("transition-not-allowed", e.to_string())
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
        let mut next = loaded.record.clone();
        next.lifecycle = lifecycle;
        next.updated_at = now;
        let mut outbox = Outbox::new(self);
        outbox.effects(&next, effects, &company);
        let mut writes = vec![self.ticket_write(&next, loaded.version)];
        writes.extend(outbox.writes);
        Ok((next, writes))
    }
}
