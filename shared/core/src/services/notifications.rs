//! Notifications (seeds 001, 002: the bell, the red badge of unseen replies): each person's
//! unseen replies and status changes on the cases they are mailed about (as contact,
//! collaborator, or the assignee or desk a customer writes to).
//!
//! They are written by the outbox when it first claims a notice (`outbox.rs`), one per mail
//! of a kind that notifies, in the same conditional write as the claim, with the recipient's
//! unseen count moved on: a change's own transaction stays as it was, and a notice claimed
//! twice notifies once. The count is one item per person (`NOTIFY#email / COUNT`), so the
//! bell costs one read however many cases they have. A notification seen expires 30 days
//! later; an unseen one stays until seen.

use crate::mail::templates::MailKind;
use crate::ports::{Index, Item, Query, SortKey, Write};
use crate::services::mail::notify::Notice;
use crate::services::people::directory::page_of;
use crate::services::{Core, Loaded, Plan, ServiceError};
use crate::store;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long a seen notification is kept.
pub const SEEN_KEPT_DAYS: i64 = 30;
/// At most this many are marked seen by one "mark all" (the rest by the next).
pub const MARK_ALL_MAX: usize = 90;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: String,
    pub ticket_id: String,
    /// `reply` or `status_changed`.
    pub kind: String,
    /// What the mail's subject said: the case's number and what happened.
    pub title: String,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnseenCount {
    pub unseen: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NotificationPage {
    pub unseen: u64,
    pub items: Vec<Notification>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The kinds of mail that also ring the bell.
fn notifies(kind: &str) -> bool {
    kind == MailKind::Reply.slug() || kind == MailKind::StatusChanged.slug()
}

/// A notification's id is `<microseconds>_<mail id>`: its key (`N#<microseconds, 20
/// digits>#<mail id>`, newest last) without a read.
fn notification_id(at: DateTime<Utc>, mail_id: &str) -> String {
    format!("{}_{mail_id}", at.timestamp_micros())
}

fn notification_sk(id: &str) -> Option<String> {
    let (micros, mail) = id.split_once('_')?;
    let micros: i64 = micros.parse().ok().filter(|m| *m >= 0)?;
    crate::domain::ids::plausible_id("m", mail).then(|| format!("N#{micros:020}#{mail}"))
}

fn notification_item(email: &str, n: &Notification, version: u64) -> Item {
    let sk = notification_sk(&n.id).unwrap_or_else(|| format!("N#{}", n.id));
    let mut item = Item::new(store::notify_pk(email), sk, store::to_data(n));
    item.version = version;
    if let Some(seen) = n.seen_at {
        item.expires_at = Some((seen + Duration::days(SEEN_KEPT_DAYS)).timestamp());
    }
    item
}

fn count_item(email: &str, count: &UnseenCount, version: u64) -> Item {
    let mut item = Item::new(store::notify_pk(email), store::NOTIFY_COUNT, store::to_data(count));
    item.version = version;
    item
}

impl Core {
    async fn unseen_count(&self, email: &str) -> Result<Option<Loaded<UnseenCount>>, ServiceError> {
        self.get_record::<UnseenCount>(&store::notify_pk(email), store::NOTIFY_COUNT)
            .await
    }

    /// The count's write after `by` more (or fewer) unseen.
    fn count_write(email: &str, current: Option<&Loaded<UnseenCount>>, by: i64) -> Write {
        let unseen = (current.map_or(0, |c| c.record.unseen) as i64 + by).max(0) as u64;
        match current {
            Some(c) => Write::replace(count_item(email, &UnseenCount { unseen }, c.version), c.version),
            None => Write::create(count_item(email, &UnseenCount { unseen }, 1)),
        }
    }

    /// What a notice adds to its first claim: a notification per mail that notifies, and
    /// each recipient's count moved on.
    pub(crate) async fn notification_writes(&self, notice: &Notice) -> Result<Vec<Write>, ServiceError> {
        let Some(ticket_id) = &notice.ticket_id else {
            return Ok(Vec::new());
        };
        let mut per_recipient: Vec<(String, Vec<Notification>)> = Vec::new();
        for order in notice.mails.iter().filter(|m| notifies(&m.kind)) {
            let email = order.to.to_ascii_lowercase();
            let notification = Notification {
                id: notification_id(notice.created_at, &order.id),
                ticket_id: ticket_id.to_string(),
                kind: order.kind.clone(),
                title: order.subject.clone(),
                at: notice.created_at,
                seen_at: None,
            };
            match per_recipient.iter_mut().find(|(e, _)| *e == email) {
                Some((_, list)) => list.push(notification),
                None => per_recipient.push((email, vec![notification])),
            }
        }
        let mut writes = Vec::new();
        for (email, list) in per_recipient {
            let current = self.unseen_count(&email).await?;
            writes.push(Self::count_write(&email, current.as_ref(), list.len() as i64));
            for n in &list {
                writes.push(Write::create(notification_item(&email, n, 1)));
            }
        }
        Ok(writes)
    }

    /// The bell: one read.
    pub async fn notification_count(&self, who: &crate::domain::roles::Identity) -> Result<UnseenCount, ServiceError> {
        Ok(self
            .unseen_count(&who.email)
            .await?
            .map(|c| c.record)
            .unwrap_or_default())
    }

    /// The caller's notifications, newest first, with the unseen count.
    pub async fn list_notifications(
        &self,
        who: &crate::domain::roles::Identity,
        cursor: Option<&str>,
        limit: Option<usize>,
    ) -> Result<NotificationPage, ServiceError> {
        let (limit, after) = page_of(cursor, limit)?;
        let mut query = Query::new(Index::Table, store::notify_pk(&who.email));
        query.sort = SortKey::BeginsWith("N#".into());
        query.newest_first = true;
        query.limit = limit;
        query.after = after;
        let page = self.table.query(&query).await?;
        Ok(NotificationPage {
            unseen: self.notification_count(who).await?.unseen,
            items: page
                .items
                .iter()
                .map(store::from_item::<Notification>)
                .collect::<Result<_, _>>()?,
            next_cursor: page.next.map(|c| c.encode()),
        })
    }

    /// Marks one notification seen (seeing it twice changes nothing).
    pub async fn plan_see_notification(
        &self,
        who: &crate::domain::roles::Identity,
        id: &str,
    ) -> Result<Plan<UnseenCount>, ServiceError> {
        let sk = notification_sk(id).ok_or(ServiceError::NotFound("notification"))?;
        let item = self
            .table
            .get(&store::notify_pk(&who.email), &sk)
            .await?
            .ok_or(ServiceError::NotFound("notification"))?;
        let mut n: Notification = store::from_item(&item)?;
        let current = self.unseen_count(&who.email).await?;
        if n.seen_at.is_some() {
            return Ok(Plan::new(Vec::new(), current.map(|c| c.record).unwrap_or_default()));
        }
        n.seen_at = Some(self.now());
        let count = Self::count_write(&who.email, current.as_ref(), -1);
        let unseen = current.map_or(0, |c| c.record.unseen.saturating_sub(1));
        Ok(Plan::new(
            vec![
                Write::replace(notification_item(&who.email, &n, item.version), item.version),
                count,
            ],
            UnseenCount { unseen },
        ))
    }

    /// Marks the newest unseen notifications seen, up to `MARK_ALL_MAX` at once; the answer
    /// says how many are left.
    pub async fn plan_see_all_notifications(
        &self,
        who: &crate::domain::roles::Identity,
    ) -> Result<Plan<UnseenCount>, ServiceError> {
        let mut query = Query::new(Index::Table, store::notify_pk(&who.email));
        query.sort = SortKey::BeginsWith("N#".into());
        query.newest_first = true;
        query.limit = 1000;
        let page = self.table.query(&query).await?;
        let now = self.now();
        let mut writes = Vec::new();
        for item in page.items {
            let mut n: Notification = store::from_item(&item)?;
            if n.seen_at.is_none() && writes.len() < MARK_ALL_MAX {
                n.seen_at = Some(now);
                writes.push(Write::replace(
                    notification_item(&who.email, &n, item.version),
                    item.version,
                ));
            }
        }
        let current = self.unseen_count(&who.email).await?;
        let marked = writes.len() as u64;
        let left = current.as_ref().map_or(0, |c| c.record.unseen.saturating_sub(marked));
        let left = if marked < MARK_ALL_MAX as u64 { 0 } else { left };
        if current.is_some() {
            let by = left as i64 - current.as_ref().map_or(0, |c| c.record.unseen as i64);
            writes.push(Self::count_write(&who.email, current.as_ref(), by));
        }
        Ok(Plan::new(writes, UnseenCount { unseen: left }))
    }
}
