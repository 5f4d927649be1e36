//! The lifecycle sweep (the scheduled job): reads only tickets whose next timer is due,
//! from the sparse due index, and applies each with a conditional write. A ticket that
//! changed since it was read (a customer replied a moment earlier) is re-read and
//! re-evaluated, so the sweep is safe to run twice or concurrently. The same pass fires the
//! tickets' service-level warnings and breaches (`tickets::service_levels`).

use crate::domain::company::Company;
use crate::domain::lifecycle::{Event, Side};
use crate::domain::ticket::Ticket;
use crate::ports::{Cursor, Index, Item, Query, SortKey};
use crate::services::commit::{Commit, Replans};
use crate::services::tickets::service_levels::alarm_due;
use crate::services::{Core, Loaded, ServiceError};
use crate::store;
use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use std::collections::HashMap;

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
    /// Sweeps every shard of the due index.
    pub async fn sweep(&self) -> Result<SweepReport, ServiceError> {
        let all: Vec<u32> = (0..store::DUE_SHARDS).collect();
        self.sweep_shards(&all).await
    }

    /// Fires the timers due by now of the tickets on these shards of the due index. The
    /// shards are swept side by side, sharing the run's bound on tickets in flight
    /// (`Settings::background_concurrency`): a round trip's wait on one shard is another's
    /// work.
    pub async fn sweep_shards(&self, shards: &[u32]) -> Result<SweepReport, ServiceError> {
        // '~' sorts after every character of our ids, so this takes every key due by `now`.
        let upto = format!("{}~", store::ts(self.now()));
        let shards: Vec<u32> = shards.iter().copied().filter(|s| *s < store::DUE_SHARDS).collect();
        let in_flight = self
            .settings
            .background_concurrency
            .max(1)
            .div_ceil(shards.len().max(1));
        let sweeps = shards.iter().map(|&shard| self.sweep_shard(shard, &upto, in_flight));
        let mut report = SweepReport::default();
        for swept in futures_util::future::try_join_all(sweeps).await? {
            report.examined += swept.examined;
            report.changed += swept.changed;
            report.deferred += swept.deferred;
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

    /// One shard, a page at a time: the next page is read while this one's tickets fire
    /// (it holds other tickets: the keys after this page's last).
    async fn sweep_shard(&self, shard: u32, upto: &str, in_flight: usize) -> Result<SweepReport, ServiceError> {
        let mut query = Query::new(Index::Due, store::due_pk(shard));
        query.sort = SortKey::AtMost(upto.to_string());
        query.limit = 100;
        let mut report = SweepReport::default();
        let mut page = Some(self.due_page(&query).await?);
        while let Some(DuePage {
            entries,
            tickets,
            companies,
            next,
        }) = page.take()
        {
            report.examined += entries;
            let following = async {
                match next {
                    Some(after) => {
                        query.after = Some(after);
                        self.due_page(&query).await.map(Some)
                    }
                    None => Ok(None),
                }
            };
            // Collected first: a stream over a borrowing closure would not be `Send` for
            // every lifetime, which spawned callers need.
            let fires: Vec<_> = tickets.iter().map(|item| self.fire_timers(item, &companies)).collect();
            let firing = stream::iter(fires).buffer_unordered(in_flight).collect::<Vec<_>>();
            let (fired, following) = futures_util::future::join(firing, following).await;
            for one in fired {
                match one? {
                    Fired::Changed => report.changed += 1,
                    Fired::Nothing => {}
                    Fired::Deferred => report.deferred += 1,
                }
            }
            page = following?;
        }
        Ok(report)
    }

    /// A page of the due index (keys alone), its tickets and their companies, each read in
    /// one batch.
    async fn due_page(&self, query: &Query) -> Result<DuePage, ServiceError> {
        let page = self.table.query(query).await?;
        let keys: Vec<(String, String)> = page.items.iter().map(|i| (i.pk.clone(), i.sk.clone())).collect();
        let tickets = self.table.get_many(&keys).await?;
        let companies = self.companies_of(&tickets).await?;
        Ok(DuePage {
            entries: keys.len(),
            tickets,
            companies,
            next: page.next,
        })
    }

    /// The companies of a page of ticket items, read in one batch.
    async fn companies_of(&self, tickets: &[Item]) -> Result<HashMap<String, Company>, ServiceError> {
        let mut keys: Vec<(String, String)> = tickets
            .iter()
            .filter_map(store::summary_company)
            .map(|code| (store::company_pk(code), store::META.to_string()))
            .collect();
        keys.sort();
        keys.dedup();
        let mut companies = HashMap::new();
        for item in self.table.get_many(&keys).await? {
            let company: Company = store::from_item(&item)?;
            companies.insert(company.code.to_string(), company);
        }
        Ok(companies)
    }

    async fn fire_timers(&self, item: &Item, companies: &HashMap<String, Company>) -> Result<Fired, ServiceError> {
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
            if effects.is_empty() && lifecycle == ticket.lifecycle && !alarm_due(ticket, now) {
                return Ok(Fired::Nothing);
            }
            let id = ticket.id.clone();
            let writes = match companies.get(ticket.company.as_str()) {
                Some(company) => self.lifecycle_writes_for(&loaded, lifecycle, &effects, now, company).1,
                None => self.lifecycle_writes(&loaded, lifecycle, &effects, now).await?.1,
            };
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

struct DuePage {
    /// Entries the index gave.
    entries: usize,
    tickets: Vec<Item>,
    companies: HashMap<String, Company>,
    next: Option<Cursor>,
}

enum Fired {
    Changed,
    Nothing,
    Deferred,
}
