//! The lifecycle sweep (the scheduled job): reads only tickets whose next timer is due,
//! from the sparse due index, and applies each with a conditional write. A ticket that
//! changed since it was read (a customer replied a moment earlier) is re-read and
//! re-evaluated, so the sweep is safe to run twice or concurrently.

use crate::domain::lifecycle::{Event, Side};
use crate::domain::ticket::Ticket;
use crate::ports::{Index, Item, Query, SortKey};
use crate::services::commit::{Commit, Replans};
use crate::services::{Core, Loaded, ServiceError};
use crate::store;
use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Due entries read from the index.
    pub examined: usize,
    /// Tickets whose timers fired (reminders sent or status changed).
    pub changed: usize,
    /// Tickets left for the next sweep because they kept changing under us.
    pub deferred: usize,
}

impl Core {
    pub async fn sweep(&self) -> Result<SweepReport, ServiceError> {
        let now = self.now();
        // '~' sorts after every character of our ids, so this takes every key due by `now`.
        let upto = format!("{}~", store::ts(now));
        let mut report = SweepReport::default();
        for shard in 0..store::DUE_SHARDS {
            let mut query = Query::new(Index::Due, store::due_pk(shard));
            query.sort = SortKey::AtMost(upto.clone());
            query.limit = 100;
            loop {
                let page = self.table.query(&query).await?;
                for item in &page.items {
                    report.examined += 1;
                    match self.fire_timers(item).await? {
                        Fired::Changed => report.changed += 1,
                        Fired::Nothing => {}
                        Fired::Deferred => report.deferred += 1,
                    }
                }
                match page.next {
                    Some(next) => query.after = Some(next),
                    None => break,
                }
            }
        }
        if report.changed > 0 || report.deferred > 0 {
            tracing::info!(
                examined = report.examined,
                changed = report.changed,
                deferred = report.deferred,
                "lifecycle sweep"
            );
        }
        Ok(report)
    }

    async fn fire_timers(&self, item: &Item) -> Result<Fired, ServiceError> {
        let mut loaded = Loaded {
            record: store::from_item::<Ticket>(item)?,
            version: item.version,
        };
        let mut replans = Replans::start();
        loop {
            let ticket = &loaded.record;
            let now = self.now();
            let (lifecycle, effects) = ticket
                .lifecycle
                .apply(&Event::Tick, Side::System, "system", now, &self.settings.timers)
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
            if effects.is_empty() && lifecycle == ticket.lifecycle {
                return Ok(Fired::Nothing);
            }
            let id = ticket.id.clone();
            let (_, writes) = self.lifecycle_writes(&loaded, lifecycle, &effects, now).await?;
            match self.commit(writes).await? {
                Commit::Done => return Ok(Fired::Changed),
                // Someone changed the ticket meanwhile: read it again, or leave it for the
                // next run once the re-plans are spent.
                Commit::Lost if replans.again().await => match self.load_ticket(&id).await {
                    Ok(fresh) => loaded = fresh,
                    Err(ServiceError::NotFound(_)) => return Ok(Fired::Nothing),
                    Err(e) => return Err(e),
                },
                Commit::Lost => return Ok(Fired::Deferred),
            }
        }
    }
}

enum Fired {
    Changed,
    Nothing,
    Deferred,
}
