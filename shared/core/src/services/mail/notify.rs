//! What each change tells whom. Mails and domain events are written into the outbox in the
//! same transaction as the change that causes them, so an outage of SES or EventBridge
//! delays them but never loses them.

use crate::domain::company::Company;
use crate::domain::ids::TicketId;
use crate::domain::lifecycle::{Desk, Effect, Status};
use crate::domain::service_levels::clock::{Alarm, Fired};
use crate::domain::ticket::{Priority, Ticket};
use crate::mail::templates;
use crate::mail::templates::MailKind;
use crate::ports::{DomainEvent, Item, Write};
use crate::services::{new_id, Core, Delivery};
use crate::store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Sent,
    Failed,
    /// Not sent: the address bounced or complained before (see `services::mail::feedback`).
    Suppressed,
}

/// One mail of a notice, to one recipient. Its text is rendered when it is sent, from the
/// notice's inputs; its record stays on the ticket's email history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailOrder {
    pub id: String,
    /// The `MailKind` slug.
    pub kind: String,
    pub to: String,
    pub subject: String,
    /// Which of the notice's `extras` this kind's template takes beyond the ticket.
    #[serde(default)]
    pub extra: usize,
    pub state: DeliveryState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// A mail rendered by an earlier release and still waiting to go (`services::migrate`):
    /// sent as it is, then dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prerendered: Option<Prerendered>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prerendered {
    pub text: String,
    pub html: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventOrder {
    pub event: DomainEvent,
    pub state: DeliveryState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// Everything one change tells: its mails (one per recipient) and domain events, written in
/// the change's own transaction as one small item (under the ticket, `MAIL#…`; an event
/// with no ticket under `EVENT#…`), on the outbox index until all are delivered (on AWS
/// only once the stream's run leaves it there: `outbox.rs`). It keeps
/// the mails' inputs, not their rendered bytes, and drops the inputs once nothing is left
/// to send: what remains is the record of who was sent what, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub id: String,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<TicketId>,
    /// The templates' view of the ticket at the change (`ticket`, without its description,
    /// which never changes and is read when the mails are rendered) and the ticket's link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<serde_json::Value>,
    /// What each kind needs beyond the ticket (a reply's text, a reminder's date …), once
    /// each: three recipients of one reply share one copy of its text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extras: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mails: Vec<MailOrder>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventOrder>,
    /// Delivery runs so far; each retry takes only what is still pending.
    #[serde(default)]
    pub attempts: u32,
    /// Until when the run that claimed the notice holds it (`outbox.rs`), or, on a notice
    /// never tried, how long it is held for the run its stream record wakes. Kept in the
    /// record, not in the outbox key: a claim that moves no key writes nothing to the
    /// keys-only outbox index (issue 12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leased_until: Option<DateTime<Utc>>,
}

impl Notice {
    /// The notice's item as `delivery` writes it: on the outbox index from the start,
    /// unless it is held for the run its stream record wakes. Held for the table's stream
    /// (`Delivery::Stream`), it is on no index (that run puts it there only if it must leave
    /// it for the index's runs: `outbox.rs`); held for a stream within the process
    /// (`Delivery::ProcessStream`), it is on the index due when the hold ends, which a
    /// process that dies first does not take with it.
    pub fn item(&self, delivery: Delivery) -> Item {
        let (pk, sk) = match &self.ticket_id {
            Some(ticket) => (store::ticket_pk(ticket), store::mail_sk(self.created_at, &self.id)),
            None => (store::event_pk(&self.id), store::EVENT.to_string()),
        };
        let mut item = Item::new(pk, sk, store::to_data(self));
        item.outbox = match (self.leased_until, delivery) {
            (None, _) => Some(store::outbox_key(&self.id, self.created_at)),
            (Some(until), Delivery::ProcessStream) => Some(store::outbox_key(&self.id, until)),
            (Some(_), _) => None,
        };
        item
    }

    /// Is this item a notice (under its ticket, or of no ticket)?
    pub fn is_notice_key(sk: &str) -> bool {
        sk.starts_with(store::MAIL_PREFIX) || sk == store::EVENT
    }

    pub fn is_pending(&self) -> bool {
        self.mails.iter().any(|m| m.state == DeliveryState::Pending)
            || self.events.iter().any(|e| e.state == DeliveryState::Pending)
    }
}

/// Collects what one change tells: one notice per ticket it concerns (in practice one).
pub struct Outbox<'a> {
    core: &'a Core,
    now: DateTime<Utc>,
    notices: Vec<Notice>,
}

impl<'a> Outbox<'a> {
    pub fn new(core: &'a Core) -> Outbox<'a> {
        Outbox {
            core,
            now: core.now(),
            notices: Vec::new(),
        }
    }

    /// The notice of this ticket (or of no ticket), begun on first use.
    fn notice(&mut self, ticket: Option<&Ticket>) -> &mut Notice {
        let id = ticket.map(|t| &t.id);
        let position = match self.notices.iter().position(|n| n.ticket_id.as_ref() == id) {
            Some(position) => position,
            None => {
                let context = ticket.map(|ticket| {
                    json!({
                        "ticket": ticket_context(ticket),
                        "link": format!("{}/v1/tickets/{}", self.core.settings.public_base_url, ticket.id),
                    })
                });
                self.notices.push(Notice {
                    id: new_id("m"),
                    created_at: self.now,
                    ticket_id: id.cloned(),
                    context,
                    extras: Vec::new(),
                    mails: Vec::new(),
                    events: Vec::new(),
                    attempts: 0,
                    leased_until: None,
                });
                self.notices.len() - 1
            }
        };
        &mut self.notices[position]
    }

    /// Queues one mail of `kind` to one recipient, to be rendered from the kind's template
    /// with the ticket and `extra` (what that kind needs: the reply's text, a reminder's date …).
    pub fn mail(&mut self, ticket: &Ticket, kind: MailKind, to: &str, extra: serde_json::Value) {
        let notice = self.notice(Some(ticket));
        let subject = templates::subject(kind, notice.context.as_ref().unwrap_or(&serde_json::Value::Null))
            .unwrap_or_else(|e| {
                // The templates are compiled in and each kind is rendered by the unit tests.
                tracing::error!(error = %e, "mail subject failed");
                ticket.subject.clone()
            });
        let extra = match notice.extras.iter().position(|e| *e == extra) {
            Some(position) => position,
            None => {
                notice.extras.push(extra);
                notice.extras.len() - 1
            }
        };
        notice.mails.push(MailOrder {
            id: new_id("m"),
            kind: kind.slug().to_string(),
            to: to.to_string(),
            subject: templates::one_line(&format!("[{}] {}", ticket.number, subject)),
            extra,
            state: DeliveryState::Pending,
            sent_at: None,
            last_error: None,
            prerendered: None,
        });
    }

    /// Queues a mail about an account rather than a ticket (an invitation, a reset link, an
    /// access request): a notice of its own, rendered from `context`. Its inputs, a link's
    /// secret among them, are dropped once it is sent, like every notice's.
    pub fn account_mail(&mut self, kind: MailKind, to: &str, context: serde_json::Value) {
        let subject = templates::subject(kind, &context).unwrap_or_else(|e| {
            tracing::error!(error = %e, "mail subject failed");
            "Your Claimdesk account".to_string()
        });
        self.notices.push(Notice {
            id: new_id("m"),
            created_at: self.now,
            ticket_id: None,
            context: Some(context),
            extras: Vec::new(),
            mails: vec![MailOrder {
                id: new_id("m"),
                kind: kind.slug().to_string(),
                to: to.to_string(),
                subject,
                extra: 0,
                state: DeliveryState::Pending,
                sent_at: None,
                last_error: None,
                prerendered: None,
            }],
            events: Vec::new(),
            attempts: 0,
            leased_until: None,
        });
    }

    /// Queues a domain event about this ticket.
    pub fn ticket_event(&mut self, ticket: &Ticket, detail_type: &str, detail: serde_json::Value) {
        self.queue_event(Some(ticket), detail_type, detail);
    }

    /// Queues a domain event that concerns no ticket.
    pub fn event(&mut self, detail_type: &str, detail: serde_json::Value) {
        self.queue_event(None, detail_type, detail);
    }

    fn queue_event(&mut self, ticket: Option<&Ticket>, detail_type: &str, detail: serde_json::Value) {
        let at = self.now;
        self.notice(ticket).events.push(EventOrder {
            event: DomainEvent {
                id: new_id("e"),
                detail_type: detail_type.to_string(),
                at,
                detail,
            },
            state: DeliveryState::Pending,
            last_error: None,
        });
    }

    /// The writes that put the notices in the outbox, for the change's transaction.
    pub fn into_writes(self) -> Vec<Write> {
        // Where a stream hands each new notice to a delivery run, the notice is written
        // held for that run (`outbox::STREAM_HOLD_SECONDS`): its delivery needs no claim.
        let delivery = self.core.settings.delivery;
        let held = (delivery != Delivery::FromIndex)
            .then(|| self.now + chrono::Duration::seconds(super::outbox::STREAM_HOLD_SECONDS));
        self.notices
            .into_iter()
            .filter(Notice::is_pending)
            .map(|mut notice| {
                notice.leased_until = held;
                Write::create(notice.item(delivery))
            })
            .collect()
    }

    /// The first-level address that hears of a ticket: the vendor desk, or the company's own.
    pub fn desk_address(&self, ticket: &Ticket, company: &Company) -> String {
        match ticket.lifecycle.desk {
            Desk::Vendor => self.core.settings.vendor_desk_email.clone(),
            Desk::Internal => company.first_level_support_email.clone(),
        }
    }

    /// Mails for a ticket just filed (seeds 000, 003): the receipt with the guest link to the
    /// contact, the ticket to its desk, and urgent ones to on-call at once.
    pub fn ticket_filed(&mut self, ticket: &Ticket, company: &Company, guest_key: &str) {
        // The portal's guest page; the key rides in the fragment, which no server logs.
        let guest_link = format!(
            "{}/portal/guest/{}#key={guest_key}",
            self.core.settings.public_base_url, ticket.id
        );
        self.mail(
            ticket,
            MailKind::TicketReceived,
            &ticket.contact.email,
            json!({ "guest_link": guest_link }),
        );
        let (kind, to) = match ticket.lifecycle.desk {
            Desk::Internal => (MailKind::InternalTicket, company.first_level_support_email.clone()),
            Desk::Vendor => (MailKind::VendorTicket, self.core.settings.vendor_desk_email.clone()),
        };
        self.mail(ticket, kind, &to, json!({}));
        if ticket.priority == Priority::Urgent && ticket.lifecycle.desk == Desk::Vendor {
            let on_call = self.core.settings.on_call_email.clone();
            self.mail(ticket, MailKind::UrgentTicket, &on_call, json!({}));
        }
        self.ticket_event(ticket, "ticket.created", ticket_event(ticket));
    }

    /// A service-level warning or breach: a mail to whoever works the ticket (its assignee,
    /// or its desk while nobody has it), to on-call as well when an urgent ticket breaches,
    /// and an event.
    pub fn service_level_alarm(&mut self, ticket: &Ticket, fired: &Fired, company: &Company) {
        let (kind, detail_type) = match fired.alarm {
            Alarm::Warning => (MailKind::SlaWarning, "ticket.sla_warning"),
            Alarm::Breach => (MailKind::SlaBreached, "ticket.sla_breached"),
        };
        let extra = json!({
            "metric_label": fired.metric.label(),
            "due_at": crate::store::ts(fired.due_at),
            "percent": self.core.settings.service_levels.warning_percent,
        });
        let to = match &ticket.lifecycle.assignee {
            Some(assignee) => assignee.clone(),
            None => self.desk_address(ticket, company),
        };
        self.mail(ticket, kind, &to, extra.clone());
        let on_call = self.core.settings.on_call_email.clone();
        if fired.alarm == Alarm::Breach && ticket.priority == Priority::Urgent && on_call != to {
            self.mail(ticket, kind, &on_call, extra);
        }
        self.ticket_event(
            ticket,
            detail_type,
            json!({ "ticket": ticket_event(ticket), "metric": fired.metric, "due_at": fired.due_at }),
        );
    }

    /// A new priority: an event, and on-call hears at once of a vendor ticket made urgent.
    pub fn priority_changed(&mut self, ticket: &Ticket, from: Priority) {
        if ticket.priority == Priority::Urgent && ticket.lifecycle.desk == Desk::Vendor {
            let on_call = self.core.settings.on_call_email.clone();
            self.mail(ticket, MailKind::UrgentTicket, &on_call, json!({}));
        }
        self.ticket_event(
            ticket,
            "ticket.priority_changed",
            json!({ "ticket": ticket_event(ticket), "from": from, "to": ticket.priority }),
        );
    }

    /// Mails and events for the lifecycle's effects.
    pub fn effects(&mut self, ticket: &Ticket, effects: &[Effect], company: &Company) {
        for effect in effects {
            match effect {
                Effect::StatusChanged { from, to } => {
                    self.ticket_event(
                        ticket,
                        "ticket.status_changed",
                        serde_json::json!({ "ticket": ticket_event(ticket), "from": from, "to": to }),
                    );
                    if let Some(text) = status_text(ticket, *to) {
                        let extra = json!({ "status_label": to.label(), "status_text": text });
                        // A follower who made the change (the history's last word) knows of it.
                        let actor = ticket.lifecycle.history.last().map_or("", |h| h.by.as_str());
                        let mut recipients = vec![ticket.contact.email.to_string()];
                        recipients.extend(
                            (ticket.followers.iter())
                                .filter(|f| !f.email.eq_ignore_ascii_case(actor))
                                .map(|f| f.email.clone()),
                        );
                        for to in distinct_except(recipients, "") {
                            self.mail(ticket, MailKind::StatusChanged, &to, extra.clone());
                        }
                    }
                }
                Effect::WaitingReminder { number, resolves_at } => self.mail(
                    ticket,
                    MailKind::WaitingReminder,
                    &ticket.contact.email,
                    json!({
                        "reminder_number": number,
                        "resolves_at": crate::store::ts(*resolves_at),
                    }),
                ),
                Effect::CloseReminder { closes_at } => self.mail(
                    ticket,
                    MailKind::CloseReminder,
                    &ticket.contact.email,
                    json!({ "closes_at": crate::store::ts(*closes_at) }),
                ),
                Effect::Escalated => {
                    let to = self.core.settings.vendor_desk_email.clone();
                    self.mail(
                        ticket,
                        MailKind::Escalated,
                        &to,
                        json!({ "company_name": company.name }),
                    );
                }
                Effect::OpenFollowUp => {}
            }
        }
    }
}

/// Each address once (compared without case), in their order, less `except` (the author
/// of what is being told).
pub fn distinct_except(addresses: Vec<String>, except: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(addresses.len());
    for address in addresses {
        if !address.eq_ignore_ascii_case(except) && !out.iter().any(|o| o.eq_ignore_ascii_case(&address)) {
            out.push(address);
        }
    }
    out
}

fn status_text(ticket: &Ticket, to: Status) -> Option<String> {
    let text = match to {
        Status::Assigned => "Your ticket was assigned and is being worked on.".to_string(),
        Status::WaitingForCustomer => {
            "We need your reply to go on. Please answer this email or update the ticket.".to_string()
        }
        Status::WaitingFor => format!(
            "Your ticket is waiting for {}.",
            ticket.lifecycle.sub_status.as_deref().unwrap_or("a third party")
        ),
        Status::Resolved => "Your ticket was resolved. Reply if you still need help.".to_string(),
        Status::Closed => "Your ticket is closed. An update on it will open a new case.".to_string(),
        // New (after escalation) and Pending Support are support's business.
        Status::New | Status::PendingSupport => return None,
    };
    Some(text)
}

/// What the templates may show of a ticket, but its description (which never changes, so
/// the deliverer reads it from the ticket rather than every notice keeping a copy).
fn ticket_context(ticket: &Ticket) -> serde_json::Value {
    let claims: Vec<String> = ticket
        .links
        .claims
        .iter()
        .map(|c| {
            let kind = serde_json::to_value(c.kind)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            format!("{kind} {}", c.number)
        })
        .collect();
    json!({
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.lifecycle.status.label(),
        "contact_name": ticket.contact.name,
        "contact_email": ticket.contact.email,
        // Someone else filed it for the contact (support opening a case for a customer, a
        // claim's question): the receipt then says who, and what they wrote.
        "opened_by": (ticket.requester.email != ticket.contact.email).then(|| ticket.requester.email.to_string()),
        "company": ticket.company,
        "type": ticket.ticket_type,
        "priority": ticket.priority,
        "claims": claims.join(", "),
    })
}

pub fn ticket_event(ticket: &Ticket) -> serde_json::Value {
    serde_json::json!({
        "id": ticket.id,
        "number": ticket.number,
        "company": ticket.company,
        "status": ticket.lifecycle.status,
        "desk": ticket.lifecycle.desk,
        "priority": ticket.priority,
    })
}
