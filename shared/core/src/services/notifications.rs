//! Notifications (seeds 001, 002: the bell, the red badge of unseen replies): each person's
//! unseen replies and status changes on the cases they are mailed about (as contact,
//! collaborator, or the assignee or desk a customer writes to).
//!
//! They are written by the outbox before it first claims a notice (`outbox.rs`), one per
//! mail of a kind that notifies, each a conditional create of a key the notice decides
//! (`N#<microseconds>#<mail id>`): a run that dies before its claim, or two runs claiming
//! one notice, create each notification once, and a change's own transaction stays as it
//! was. Each is one plain write (issue 12: a notification used to cost four write units,
//! written in the claim's transaction with a per-person count item moved on).
//!
//! The unseen count is read, not kept: the unseen among a person's newest
//! `UNSEEN_COUNTED` notifications (a seen one carries an expiry, so counting needs no
//! unpacking). The bell shows "99+" past that, as help desks' bells do. A notification
//! seen expires 30 days later; an unseen one stays until seen.

use crate::mail::templates::MailKind;
use crate::ports::{Index, Item, Query, SortKey, StoreError, Write};
use crate::services::mail::notify::Notice;
use crate::services::people::directory::page_of;
use crate::services::{Core, Plan, ServiceError};
use crate::store;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long a seen notification is kept.
pub const SEEN_KEPT_DAYS: i64 = 30;
/// At most this many are marked seen by one "mark all" (the rest by the next).
pub const MARK_ALL_MAX: usize = 90;
/// The unseen count counts among this many of a person's newest notifications.
pub const UNSEEN_COUNTED: usize = 100;
/// "Mark all" looks among this many of the newest.
const MARK_ALL_LOOKS_AT: usize = 1000;

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
    /// The unseen among the caller's newest 100 notifications (100: "99+").
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

/// Is this notification item unseen? A seen one carries its expiry.
fn is_unseen(item: &Item) -> bool {
    item.expires_at.is_none()
}

impl Core {
    /// A person's newest notifications, newest first.
    async fn newest_notifications(&self, email: &str, limit: usize) -> Result<Vec<Item>, ServiceError> {
        let mut query = Query::new(Index::Table, store::notify_pk(email));
        query.sort = SortKey::BeginsWith("N#".into());
        query.newest_first = true;
        query.limit = limit;
        Ok(self.table.query(&query).await?.items)
    }

    /// The unseen among a person's newest `UNSEEN_COUNTED` notifications: one query.
    async fn unseen_count(&self, email: &str) -> Result<u64, ServiceError> {
        let newest = self.newest_notifications(email, UNSEEN_COUNTED).await?;
        Ok(newest.iter().filter(|i| is_unseen(i)).count() as u64)
    }

    /// The notifications a notice rings, one per mail that notifies: created before its
    /// first claim, each at most once whoever writes it (a notification already there, seen
    /// or not, is left as it is).
    pub(crate) async fn ring_bells(&self, notice: &Notice) -> Result<(), ServiceError> {
        let Some(ticket_id) = &notice.ticket_id else {
            return Ok(());
        };
        let creates = notice.mails.iter().filter(|m| notifies(&m.kind)).map(|order| {
            let notification = Notification {
                id: notification_id(notice.created_at, &order.id),
                ticket_id: ticket_id.to_string(),
                kind: order.kind.clone(),
                title: order.subject.clone(),
                at: notice.created_at,
                seen_at: None,
            };
            let item = notification_item(&order.to, &notification, 1);
            async move {
                match self.table.write(vec![Write::create(item)]).await {
                    Ok(()) | Err(StoreError::ConditionFailed(_)) => Ok(()),
                    Err(e) => Err(ServiceError::from(e)),
                }
            }
        });
        futures_util::future::try_join_all(creates).await?;
        Ok(())
    }

    /// The bell: one query.
    pub async fn notification_count(&self, who: &crate::domain::roles::Identity) -> Result<UnseenCount, ServiceError> {
        Ok(UnseenCount {
            unseen: self.unseen_count(&who.email).await?,
        })
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
            unseen: self.unseen_count(&who.email).await?,
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
        let newest = self.newest_notifications(&who.email, UNSEEN_COUNTED).await?;
        let unseen_besides = newest.iter().filter(|i| is_unseen(i) && i.sk != sk).count() as u64;
        if n.seen_at.is_some() {
            return Ok(Plan::new(Vec::new(), UnseenCount { unseen: unseen_besides }));
        }
        n.seen_at = Some(self.now());
        Ok(Plan::new(
            vec![Write::replace(
                notification_item(&who.email, &n, item.version),
                item.version,
            )],
            UnseenCount { unseen: unseen_besides },
        ))
    }

    /// Marks the newest unseen notifications seen, up to `MARK_ALL_MAX` at once; the answer
    /// says how many are left.
    pub async fn plan_see_all_notifications(
        &self,
        who: &crate::domain::roles::Identity,
    ) -> Result<Plan<UnseenCount>, ServiceError> {
        let newest = self.newest_notifications(&who.email, MARK_ALL_LOOKS_AT).await?;
        let now = self.now();
        let mut writes = Vec::new();
        let mut left = 0;
        for item in newest.iter().filter(|i| is_unseen(i)) {
            if writes.len() == MARK_ALL_MAX {
                left += 1;
                continue;
            }
            let mut n: Notification = store::from_item(item)?;
            n.seen_at = Some(now);
            writes.push(Write::replace(
                notification_item(&who.email, &n, item.version),
                item.version,
            ));
        }
        let left = left.min(UNSEEN_COUNTED as u64);
        Ok(Plan::new(writes, UnseenCount { unseen: left }))
    }
}
