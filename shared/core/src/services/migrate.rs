//! Brings a table written by an earlier release to the current item layout. One-off and
//! resumable: each call rewrites one page of the table and returns where the next begins,
//! so an interrupted run goes on from its last printed cursor (`claimdesk migrate` locally,
//! `migrate-table` on AWS). Running it again over migrated items changes nothing.
//!
//! What changes (the lean layout of issue 12):
//! - a ticket gains its list `summary` (what gsi1–3 now project instead of the record),
//!   and (layout 6) its record leaves out what the summary holds and its index sort keys
//!   drop the ticket's id; (layout 7) the summary goes again, the record holding it all,
//!   so the list indexes keep a ticket's keys alone;
//! - each outbox entry of the first layout (one item per mail or event, the mail rendered
//!   in full, on the `due` index under `OUTBOX#n`) becomes a notice: the same item key, on
//!   the `outbox` index while it is pending, a pending mail keeping its rendered text to be
//!   sent as it is, a delivered one keeping only its record;
//! - (any layout) a pending notice on no index, held for a stream run that never came,
//!   goes on the `outbox` index, due when its hold ends (a recovery, not a layout change).
//!
//! Every rewrite is conditioned on the version read; an item that changed meanwhile is
//! counted as `raced` and left for the next run (a current release writes it in the current
//! layout anyway).

use crate::domain::ids::TicketId;
use crate::domain::ticket::Ticket;
use crate::ports::{Cursor, DomainEvent, Item, Mail, StoreError, Write};
use crate::services::mail::notify::{DeliveryState, EventOrder, MailOrder, Notice, Prerendered};
use crate::services::{Core, ServiceError};
use crate::store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The item layout this release writes (1: the first; 2: issue 12's lean layout).
/// 3: companies on staff's list (gsi3) and users on their company's (gsi2), issue 13.
/// 4: unregistered serials on their dealer's list of units pending registration (gsi2).
/// 5: open cases on the work lists (gsi3) by their next service-level target, and list
/// summaries with the service-level standing (issue 17).
/// 6: a ticket's record without what its summary holds, its index sort keys without its id
/// (issue 12's last pass: a ticket's item under a kilobyte).
/// 7: a ticket's item without its summary, its whole record in `data` (its list entries
/// hold keys alone; lists read their page of tickets in a batch).
pub const LAYOUT: u32 = 7;

/// The table's own record of the layout it was last brought to, so that a start does not
/// walk a table that is already current.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LayoutRecord {
    version: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MigrationPage {
    pub examined: usize,
    pub rewritten: usize,
    /// Items that changed between the read and the rewrite (run again to take them).
    pub raced: usize,
    /// Where the next page begins (`Cursor::encode`); `None` when the table is done.
    pub next: Option<String>,
}

impl Core {
    /// Rewrites one page of the table (`limit` items) into the current layout.
    pub async fn migrate_page(&self, after: Option<&str>, limit: usize) -> Result<MigrationPage, ServiceError> {
        let after = match after {
            Some(text) => {
                Some(Cursor::decode(text).ok_or_else(|| ServiceError::Internal(format!("{text} is not a cursor")))?)
            }
            None => None,
        };
        let page = self.table.scan(after.as_ref(), limit.max(1)).await?;
        let mut report = MigrationPage {
            examined: page.items.len(),
            next: page.next.map(|c| c.encode()),
            ..MigrationPage::default()
        };
        for item in &page.items {
            let Some(upgraded) = upgrade(item, &self.settings.timers)? else {
                continue;
            };
            match self.table.write(vec![Write::replace(upgraded, item.version)]).await {
                Ok(()) => report.rewritten += 1,
                Err(StoreError::ConditionFailed(_)) => report.raced += 1,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(report)
    }

    /// Brings the table to `LAYOUT` unless its layout record says it is there already;
    /// answers the migration's totals when it ran. The record is written only after a run
    /// that raced with nothing, so an interrupted or raced run is taken again next time.
    pub async fn ensure_current_layout(&self) -> Result<Option<MigrationPage>, ServiceError> {
        let recorded = self.get_record::<LayoutRecord>(store::LAYOUT_PK, store::META).await?;
        if recorded.is_some_and(|r| r.record.version >= LAYOUT) {
            return Ok(None);
        }
        let total = self.migrate_table(None, 500, None, |_| {}).await?;
        if total.raced == 0 {
            let record = crate::services::item_of(
                store::LAYOUT_PK.to_string(),
                store::META,
                &LayoutRecord { version: LAYOUT },
            );
            self.table
                .write(vec![Write::Put {
                    item: record,
                    condition: crate::ports::Condition::None,
                }])
                .await?;
        }
        Ok(Some(total))
    }

    /// Migrates the table from `from` (a cursor printed by an earlier run, or the start),
    /// page after page, to its end or for at most `pages` pages, telling `progress` of
    /// each; returns the totals and, when it stopped early, where to resume.
    pub async fn migrate_table(
        &self,
        from: Option<String>,
        page_size: usize,
        pages: Option<usize>,
        mut progress: impl FnMut(&MigrationPage),
    ) -> Result<MigrationPage, ServiceError> {
        let mut total = MigrationPage {
            next: from,
            ..MigrationPage::default()
        };
        let mut done = 0;
        loop {
            let page = self.migrate_page(total.next.as_deref(), page_size).await?;
            progress(&page);
            done += 1;
            total.examined += page.examined;
            total.rewritten += page.rewritten;
            total.raced += page.raced;
            total.next = page.next;
            if total.next.is_none() || pages.is_some_and(|most| done >= most) {
                return Ok(total);
            }
        }
    }
}

/// The item in the current layout, when it differs from the stored one.
pub fn upgrade(item: &Item, timers: &crate::domain::lifecycle::Timers) -> Result<Option<Item>, StoreError> {
    let is_ticket = item.sk == store::META && item.pk.starts_with("TICKET#");
    if is_ticket {
        let ticket: Ticket = store::from_item(item)?;
        let current = store::ticket_item(&ticket, item.version, timers);
        let same = current.summary == item.summary
            && current.gsi1 == item.gsi1
            && current.gsi2 == item.gsi2
            && current.gsi3 == item.gsi3
            && current.due == item.due;
        return Ok((!same).then_some(current));
    }
    // Companies and users listed by name (layout 3): the record keeps its version.
    if item.sk == store::META && item.pk.starts_with("COMPANY#") {
        let company: crate::domain::company::Company = store::from_item(item)?;
        let current = store::company_item(&company, item.version);
        return Ok((current.gsi3 != item.gsi3 || current.summary != item.summary).then_some(current));
    }
    // A dealer's units pending registration (layout 4).
    if item.sk == store::META && item.pk.starts_with("SERIAL#") {
        let serial: crate::domain::warranty::Serial = store::from_item(item)?;
        let current = store::serial_item(&serial, item.version);
        return Ok((current.gsi2 != item.gsi2 || current.summary != item.summary).then_some(current));
    }
    if item.sk == store::META && item.pk.starts_with("USER#") {
        let user: crate::domain::people::User = store::from_item(item)?;
        let current = store::user_item(&user, item.version);
        return Ok((current.gsi2 != item.gsi2 || current.summary != item.summary).then_some(current));
    }
    let is_outbox_entry = crate::services::mail::notify::Notice::is_notice_key(&item.sk);
    if is_outbox_entry && (item.data.get("mail").is_some() || item.data.get("event").is_some()) {
        let entry: FirstOutboxEntry = store::from_item(item)?;
        let notice = entry.into_notice();
        let mut current = item.clone();
        current.due = None;
        current.outbox = notice
            .is_pending()
            .then(|| store::outbox_key(&notice.id, outbox_time(item).unwrap_or(notice.created_at)));
        current.data = store::to_data(&notice);
        return Ok(Some(current));
    }
    if is_outbox_entry && item.outbox.is_none() {
        // A notice held for its stream's run (AWS) is on no index until that run leaves it
        // there. Should the stream have lost its record (a failure longer than the
        // stream's 24 hours), this puts it on the index, due when its hold ends: the
        // index's runs take it then, and a stream run that still comes passes it by.
        let notice: Notice = store::from_item(item)?;
        if let (true, Some(until)) = (notice.is_pending(), notice.leased_until) {
            let mut current = item.clone();
            current.outbox = Some(store::outbox_key(&notice.id, until));
            return Ok(Some(current));
        }
    }
    Ok(None)
}

/// When a first-layout entry was next due (its `due` sort key: `<time>#<id>`).
fn outbox_time(item: &Item) -> Option<DateTime<Utc>> {
    let key = item.due.as_ref()?;
    let (at, _) = key.sk.split_once('#')?;
    DateTime::parse_from_rfc3339(at).ok().map(|t| t.with_timezone(&Utc))
}

/// An outbox entry as the first layout stored it: one mail, rendered, or one event.
#[derive(Debug, Deserialize)]
struct FirstOutboxEntry {
    id: String,
    state: DeliveryState,
    attempts: u32,
    created_at: DateTime<Utc>,
    #[serde(default)]
    sent_at: Option<DateTime<Utc>>,
    #[serde(default)]
    last_error: Option<String>,
    #[serde(default)]
    mail: Option<Mail>,
    #[serde(default)]
    event: Option<DomainEvent>,
}

impl FirstOutboxEntry {
    fn into_notice(self) -> Notice {
        let pending = self.state == DeliveryState::Pending;
        let ticket_id: Option<TicketId> = self.mail.as_ref().and_then(|m| m.ticket_id.clone());
        let mails = self
            .mail
            .map(|mail| MailOrder {
                id: mail.id,
                kind: mail.kind,
                to: mail.to,
                subject: mail.subject,
                extra: 0,
                state: self.state,
                sent_at: self.sent_at,
                last_error: self.last_error.clone(),
                prerendered: pending.then_some(Prerendered {
                    text: mail.text,
                    html: mail.html,
                }),
            })
            .into_iter()
            .collect();
        let events = self
            .event
            .map(|event| EventOrder {
                event,
                state: self.state,
                last_error: self.last_error,
            })
            .into_iter()
            .collect();
        Notice {
            id: self.id,
            created_at: self.created_at,
            ticket_id,
            context: None,
            extras: Vec::new(),
            mails,
            events,
            attempts: self.attempts,
            leased_until: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::Timers;
    use crate::ports::IndexKey;
    use crate::services::Delivery;
    use serde_json::json;

    fn first_layout_mail(state: &str) -> Item {
        let mut item = Item::new(
            "TICKET#t_abc",
            "MAIL#2026-11-02T09:00:00.000000Z#m_1",
            json!({
                "id": "m_1", "state": state, "attempts": 1,
                "created_at": "2026-11-02T09:00:00Z",
                "mail": {
                    "id": "m_1", "kind": "reply", "from": "d@x.test", "to": "ada@acme.test",
                    "subject": "[ACME-000001] New reply: s", "text": "hello", "html": "<p>hello</p>",
                    "ticket_id": "t_abc", "reply_to": null, "message_id": "<m_1.t_abc@x.test>",
                    "thread_id": null
                }
            }),
        );
        item.version = 2;
        if state == "pending" {
            item.due = Some(IndexKey::new("OUTBOX#1", "2026-11-02T09:05:00.000000Z#m_1"));
        }
        item
    }

    #[test]
    fn a_pending_first_layout_mail_becomes_a_notice_on_the_outbox_index_keeping_its_text() {
        let upgraded = upgrade(&first_layout_mail("pending"), &Timers::default())
            .unwrap()
            .unwrap();
        assert_eq!(upgraded.due, None);
        let key = upgraded.outbox.clone().expect("still to send");
        assert!(key.sk.starts_with("2026-11-02T09:05:00"), "{key:?}: keeps its turn");
        let notice: Notice = store::from_item(&upgraded).unwrap();
        assert_eq!(notice.ticket_id.as_deref(), Some("t_abc"));
        assert_eq!(notice.mails[0].to, "ada@acme.test");
        assert_eq!(notice.mails[0].prerendered.as_ref().unwrap().text, "hello");
        assert!(
            upgrade(&upgraded, &Timers::default()).unwrap().is_none(),
            "a second run changes nothing"
        );
    }

    #[test]
    fn a_sent_first_layout_mail_keeps_its_record_and_drops_its_bytes() {
        let upgraded = upgrade(&first_layout_mail("sent"), &Timers::default())
            .unwrap()
            .unwrap();
        assert_eq!(upgraded.outbox, None);
        let notice: Notice = store::from_item(&upgraded).unwrap();
        assert_eq!(notice.mails[0].state, DeliveryState::Sent);
        assert_eq!(notice.mails[0].prerendered, None);
        assert!(upgraded.data.to_string().len() < first_layout_mail("sent").data.to_string().len());
    }

    #[test]
    fn an_unregistered_serial_joins_its_dealers_list_and_a_registered_one_stays_off_it() {
        let serial: crate::domain::warranty::Serial = serde_json::from_value(json!({
            "serial": "SN-1", "sku": "PUMP-1", "dealer_company": "ACME",
            "created_by": "agent@vendor.test", "created_at": "2026-11-02T09:00:00Z",
        }))
        .unwrap();
        // Layout 3 wrote a serial as its record alone.
        let before = Item::new("SERIAL#SN-1", "META", store::to_data(&serial));
        let upgraded = upgrade(&before, &Timers::default()).unwrap().expect("listed now");
        let key = upgraded.gsi2.clone().expect("on the dealer's list");
        assert_eq!((key.pk.as_str(), key.sk.as_str()), ("UNITS#ACME", "SN-1"));
        assert_eq!(upgraded.version, before.version, "the record keeps its version");
        assert!(
            upgrade(&upgraded, &Timers::default()).unwrap().is_none(),
            "a second run changes nothing"
        );
        let mut registered = serial.clone();
        registered.registration = Some(
            serde_json::from_value(json!({
                "end_customer": {"name": "Bo"}, "delivery_date": "2026-10-01",
                "warranty_start": "2026-10-01", "warranty_end": "2027-10-01",
                "registered_by": "owner@acme.test", "registered_at": "2026-11-02T09:00:00Z",
            }))
            .unwrap(),
        );
        let kept = Item::new("SERIAL#SN-1", "META", store::to_data(&registered));
        assert!(upgrade(&kept, &Timers::default()).unwrap().is_none());
    }

    #[test]
    fn a_pending_notice_on_no_index_is_put_on_it_due_when_its_hold_ends() {
        let notice: Notice = serde_json::from_value(json!({
            "id": "n_1", "created_at": "2026-11-02T09:00:00Z", "ticket_id": "t_abcdefghijkmnpqrstuvwxyz23",
            "events": [{"event": {"id": "ev_1", "detail_type": "ticket.created",
                                  "at": "2026-11-02T09:00:00Z", "detail": {}},
                        "state": "pending"}],
            "leased_until": "2026-11-02T09:03:00Z",
        }))
        .unwrap();
        let held = notice.item(Delivery::Stream);
        assert_eq!(held.outbox, None, "held for its stream's run");
        let upgraded = upgrade(&held, &Timers::default()).unwrap().expect("put on the index");
        let key = upgraded.outbox.clone().unwrap();
        assert!(key.sk.starts_with("2026-11-02T09:03:00"), "{key:?}");
        assert!(upgrade(&upgraded, &Timers::default()).unwrap().is_none());
        let mut delivered = notice.clone();
        delivered.events[0].state = DeliveryState::Sent;
        assert!(upgrade(&delivered.item(Delivery::Stream), &Timers::default())
            .unwrap()
            .is_none());
    }

    #[test]
    fn items_in_the_current_layout_and_other_kinds_are_left_alone() {
        let company: crate::domain::company::Company = serde_json::from_value(json!({
            "code": "ACME", "name": "Acme Billing", "first_level_support_email": "help@acme.test",
            "created_at": "2026-11-02T09:00:00Z", "active": true,
        }))
        .unwrap();
        let listed = store::company_item(&company, 3);
        assert!(upgrade(&listed, &Timers::default()).unwrap().is_none());
        let guest_key = Item::new("GUESTKEY#abc", "META", json!({"ticket_id": "t_1"}));
        assert!(upgrade(&guest_key, &Timers::default()).unwrap().is_none());
    }
}
