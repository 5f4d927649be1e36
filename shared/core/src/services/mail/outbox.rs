//! Delivers the outbox: each due mail or event is claimed with a conditional write (so two
//! workers never send the same one), handed to the mailer or publisher, then marked sent.
//! A failure is retried with backoff; after `MAX_ATTEMPTS` the entry is marked failed and
//! stays on the ticket's email history.

use crate::ports::{Index, IndexKey, Item, Mailer, Publisher, Query, SortKey, StoreError, Write};
use crate::services::mail::notify::{DeliveryState, OutboxEntry};
use crate::services::{Core, ServiceError};
use crate::store;
use chrono::Duration;
use serde::Serialize;

pub const MAX_ATTEMPTS: u32 = 12;
/// How long a claimed entry is ours before another worker may take it over.
const LEASE_MINUTES: i64 = 5;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub suppressed: usize,
}

impl Core {
    pub async fn deliver_outbox(
        &self,
        mailer: &dyn Mailer,
        publisher: &dyn Publisher,
    ) -> Result<DeliveryReport, ServiceError> {
        let mut report = DeliveryReport::default();
        let upto = format!("{}~", store::ts(self.now()));
        for shard in 0..store::DUE_SHARDS {
            let mut query = Query::new(Index::Due, store::outbox_pk(shard));
            query.sort = SortKey::AtMost(upto.clone());
            query.limit = 100;
            // Each delivered entry leaves the index, so re-reading the first page drains it.
            loop {
                let page = self.table.query(&query).await?;
                if page.items.is_empty() {
                    break;
                }
                let mut progressed = false;
                for item in page.items {
                    match self.deliver_one(item, mailer, publisher).await? {
                        Some(Outcome::Sent) => report.sent += 1,
                        Some(Outcome::Retry) => report.retried += 1,
                        Some(Outcome::Failed) => report.failed += 1,
                        Some(Outcome::Suppressed) => report.suppressed += 1,
                        None => continue,
                    }
                    progressed = true;
                }
                if !progressed || page.next.is_none() {
                    break;
                }
            }
        }
        Ok(report)
    }

    async fn deliver_one(
        &self,
        item: Item,
        mailer: &dyn Mailer,
        publisher: &dyn Publisher,
    ) -> Result<Option<Outcome>, ServiceError> {
        let now = self.now();
        let mut entry: OutboxEntry = store::from_item(&item)?;
        // Claim: push the due time past the lease, conditioned on the version we read.
        let mut claimed = item.clone();
        claimed.due = item.due.as_ref().map(|d| {
            IndexKey::new(
                d.pk.clone(),
                format!("{}#{}", store::ts(now + Duration::minutes(LEASE_MINUTES)), entry.id),
            )
        });
        match self
            .table
            .write(vec![Write::replace(claimed.clone(), item.version)])
            .await
        {
            Ok(()) => claimed.version = item.version + 1,
            Err(StoreError::ConditionFailed(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        let suppressed = match &entry.mail {
            Some(mail) => self.suppression(&mail.to).await?,
            None => None,
        };
        if let Some(why) = suppressed {
            entry.state = DeliveryState::Suppressed;
            entry.last_error = Some(format!(
                "not sent: {} is suppressed since {} ({:?}: {})",
                why.address,
                why.at.format("%Y-%m-%d %H:%M UTC"),
                why.kind,
                why.detail
            ));
            claimed.due = None;
            claimed.data = store::to_data(&entry);
            let read_version = claimed.version;
            self.table.write(vec![Write::replace(claimed, read_version)]).await?;
            return Ok(Some(Outcome::Suppressed));
        }
        let result = match (&entry.mail, &entry.event) {
            (Some(mail), _) => mailer.send(mail).await,
            (None, Some(event)) => publisher.publish(event).await,
            (None, None) => Ok(()),
        };
        entry.attempts += 1;
        let outcome = match result {
            Ok(()) => {
                entry.state = DeliveryState::Sent;
                entry.sent_at = Some(now);
                entry.last_error = None;
                claimed.due = None;
                Outcome::Sent
            }
            Err(e) if entry.attempts >= MAX_ATTEMPTS => {
                entry.state = DeliveryState::Failed;
                entry.last_error = Some(e.0);
                claimed.due = None;
                Outcome::Failed
            }
            Err(e) => {
                tracing::warn!(entry = %entry.id, attempt = entry.attempts, error = %e.0, "delivery failed; will retry");
                entry.last_error = Some(e.0);
                // 1, 2, 4 … minutes, at most an hour.
                let backoff = Duration::minutes(1 << (entry.attempts - 1).min(6));
                claimed.due = claimed
                    .due
                    .map(|d| IndexKey::new(d.pk, format!("{}#{}", store::ts(now + backoff), entry.id)));
                Outcome::Retry
            }
        };
        claimed.data = store::to_data(&entry);
        let read_version = claimed.version;
        // The lease protects this write; should it fail, the entry is retried after the lease
        // (a mail may then go twice, which is better than never).
        self.table.write(vec![Write::replace(claimed, read_version)]).await?;
        Ok(Some(outcome))
    }
}

enum Outcome {
    Sent,
    Retry,
    Failed,
    Suppressed,
}
