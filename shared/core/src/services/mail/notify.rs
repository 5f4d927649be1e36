//! What each change tells whom. Mails and domain events are written into the outbox in the
//! same transaction as the change that causes them, so an outage of SES or EventBridge
//! delays them but never loses them.

use crate::domain::company::Company;
use crate::domain::lifecycle::{Desk, Effect, Status};
use crate::domain::ticket::{Priority, Ticket};
use crate::mail::templates::MailKind;
use crate::mail::{address, templates};
use crate::ports::{DomainEvent, IndexKey, Item, Mail, Write};
use crate::services::{new_id, Core};
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

/// An outbox entry: a mail to one recipient, or a domain event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub id: String,
    pub state: DeliveryState,
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub sent_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub mail: Option<Mail>,
    #[serde(default)]
    pub event: Option<DomainEvent>,
}

/// Collects the outbox writes of one change.
pub struct Outbox<'a> {
    core: &'a Core,
    now: DateTime<Utc>,
    pub writes: Vec<Write>,
}

impl<'a> Outbox<'a> {
    pub fn new(core: &'a Core) -> Outbox<'a> {
        Outbox {
            core,
            now: core.now(),
            writes: Vec::new(),
        }
    }

    /// Queues one mail of `kind` to one recipient, rendered from the kind's template with
    /// the ticket and `extra` (what that kind needs: the reply's text, a reminder's date …).
    pub fn mail(&mut self, ticket: &Ticket, kind: MailKind, to: &str, extra: serde_json::Value) {
        let settings = &self.core.settings;
        let id = new_id("m");
        let mut context = serde_json::json!({
            "ticket": ticket_context(ticket),
            "link": format!("{}/v1/tickets/{}", settings.public_base_url, ticket.id),
        });
        if let (Some(context), serde_json::Value::Object(extra)) = (context.as_object_mut(), extra) {
            context.extend(extra);
        }
        let rendered = templates::render(kind, &context).unwrap_or_else(|e| {
            // The templates are compiled in and each kind is rendered by the unit tests; should
            // one still fail, the mail goes out plain rather than not at all.
            tracing::error!(error = %e, "mail template failed");
            templates::Rendered {
                subject: ticket.subject.clone(),
                text: format!("Ticket {} was updated.", ticket.number),
                html: format!("<p>Ticket {} was updated.</p>", ticket.number),
            }
        });
        let domain = &settings.mail_domain;
        let mail = Mail {
            id: id.clone(),
            kind: kind.slug().to_string(),
            from: settings.mail_from.clone(),
            to: to.to_string(),
            subject: templates::one_line(&format!("[{}] {}", ticket.number, rendered.subject)),
            text: rendered.text,
            html: rendered.html,
            ticket_id: Some(ticket.id.clone()),
            reply_to: Some(address::reply_address(&settings.mail_secret, domain, &ticket.id, to)),
            message_id: address::message_id(&id, &ticket.id, domain),
            thread_id: Some(address::thread_id(&ticket.id, domain)),
        };
        let entry = self.entry(Some(mail), None, &id);
        let mut item = Item::new(
            store::ticket_pk(&ticket.id),
            store::mail_sk(self.now, &id),
            store::to_data(&entry),
        );
        item.due = Some(self.due_key(&id));
        self.writes.push(Write::create(item));
    }

    pub fn event(&mut self, detail_type: &str, detail: serde_json::Value) {
        let id = new_id("e");
        let event = DomainEvent {
            id: id.clone(),
            detail_type: detail_type.to_string(),
            at: self.now,
            detail,
        };
        let entry = self.entry(None, Some(event), &id);
        let mut item = Item::new(store::event_pk(&id), store::EVENT, store::to_data(&entry));
        item.due = Some(self.due_key(&id));
        self.writes.push(Write::create(item));
    }

    fn entry(&self, mail: Option<Mail>, event: Option<DomainEvent>, id: &str) -> OutboxEntry {
        OutboxEntry {
            id: id.to_string(),
            state: DeliveryState::Pending,
            attempts: 0,
            created_at: self.now,
            sent_at: None,
            last_error: None,
            mail,
            event,
        }
    }

    fn due_key(&self, id: &str) -> IndexKey {
        IndexKey::new(
            store::outbox_pk(store::shard_of(id)),
            format!("{}#{id}", store::ts(self.now)),
        )
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
        let guest_link = format!(
            "{}/v1/guest/tickets/{}?key={guest_key}",
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
        self.event("ticket.created", ticket_event(ticket));
    }

    /// Mails and events for the lifecycle's effects.
    pub fn effects(&mut self, ticket: &Ticket, effects: &[Effect], company: &Company) {
        for effect in effects {
            match effect {
                Effect::StatusChanged { from, to } => {
                    self.event(
                        "ticket.status_changed",
                        serde_json::json!({ "ticket": ticket_event(ticket), "from": from, "to": to }),
                    );
                    if let Some(text) = status_text(ticket, *to) {
                        let extra = json!({ "status_label": to.label(), "status_text": text });
                        self.mail(ticket, MailKind::StatusChanged, &ticket.contact.email, extra);
                    }
                }
                Effect::WaitingReminder { number, resolves_at } => self.mail(
                    ticket,
                    MailKind::WaitingReminder,
                    &ticket.contact.email,
                    json!({
                        "reminder_number": number,
                        "resolves_at": resolves_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    }),
                ),
                Effect::CloseReminder { closes_at } => self.mail(
                    ticket,
                    MailKind::CloseReminder,
                    &ticket.contact.email,
                    json!({ "closes_at": closes_at.format("%Y-%m-%d %H:%M UTC").to_string() }),
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

/// What the templates may show of a ticket.
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
        "company": ticket.company,
        "type": ticket.ticket_type,
        "priority": ticket.priority,
        "claims": claims.join(", "),
        "description": ticket.description,
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
