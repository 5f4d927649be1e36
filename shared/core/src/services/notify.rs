//! What each change tells whom. Mails and domain events are written into the outbox in the
//! same transaction as the change that causes them, so an outage of SES or EventBridge
//! delays them but never loses them.

use super::{new_id, Core};
use crate::domain::company::Company;
use crate::domain::lifecycle::{Desk, Effect, Status};
use crate::domain::ticket::{Priority, Ticket};
use crate::ports::{DomainEvent, IndexKey, Item, Mail, Write};
use crate::store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Sent,
    Failed,
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

    pub fn mail(&mut self, ticket: &Ticket, kind: &str, to: &str, text: String) {
        let settings = &self.core.settings;
        let id = new_id("m");
        let subject = format!("[{}] {}", ticket.number, subject_for(kind, ticket));
        let link = format!("{}/v1/tickets/{}", settings.public_base_url, ticket.id);
        let text = format!("{text}\n\nTicket {}: {}\n{link}\n", ticket.number, ticket.subject);
        let mail = Mail {
            id: id.clone(),
            kind: kind.to_string(),
            from: settings.mail_from.clone(),
            to: to.to_string(),
            html: html_of(&text),
            text,
            subject,
            ticket_id: Some(ticket.id.clone()),
            reply_to: Some(format!("reply+{}@{}", ticket.id, settings.mail_domain)),
            message_id: format!("<{id}@{}>", settings.mail_domain),
            thread_id: Some(format!("<ticket-{}@{}>", ticket.id, settings.mail_domain)),
        };
        let entry = self.entry(Some(mail), None, &id);
        let mut item = Item::new(
            store::ticket_pk(&ticket.id),
            format!("MAIL#{}#{id}", store::ts(self.now)),
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
        let mut item = Item::new(format!("EVENT#{id}"), "EVENT", store::to_data(&entry));
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
            "ticket_received",
            &ticket.contact.email,
            format!(
                "Hello {},\n\nWe received your ticket {} and will review it shortly.\n\nYou can follow it without signing in here:\n{guest_link}",
                ticket.contact.name, ticket.number
            ),
        );
        let summary = summary_text(ticket);
        let (kind, to) = match ticket.lifecycle.desk {
            Desk::Internal => ("internal_ticket", company.first_level_support_email.clone()),
            Desk::Vendor => ("vendor_ticket", self.core.settings.vendor_desk_email.clone()),
        };
        self.mail(ticket, kind, &to, summary.clone());
        if ticket.priority == Priority::Urgent && ticket.lifecycle.desk == Desk::Vendor {
            let on_call = self.core.settings.on_call_email.clone();
            self.mail(ticket, "urgent_ticket", &on_call, summary);
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
                        self.mail(ticket, "status_changed", &ticket.contact.email, text);
                    }
                }
                Effect::WaitingReminder { number, resolves_at } => self.mail(
                    ticket,
                    "waiting_reminder",
                    &ticket.contact.email,
                    format!(
                        "Reminder {number}: we are waiting for your reply on {}.\nWithout a reply the ticket will be marked Resolved on {}.",
                        ticket.number,
                        resolves_at.format("%Y-%m-%d %H:%M UTC")
                    ),
                ),
                Effect::CloseReminder { closes_at } => self.mail(
                    ticket,
                    "close_reminder",
                    &ticket.contact.email,
                    format!(
                        "Your ticket {} was resolved and will close on {}.\nReply to keep it open.",
                        ticket.number,
                        closes_at.format("%Y-%m-%d %H:%M UTC")
                    ),
                ),
                Effect::Escalated => {
                    let to = self.core.settings.vendor_desk_email.clone();
                    let text = format!("{} escalated this ticket to the help desk.\n\n{}", company.name, summary_text(ticket));
                    self.mail(ticket, "escalated", &to, text);
                }
                Effect::OpenFollowUp => {}
            }
        }
    }
}

fn subject_for(kind: &str, ticket: &Ticket) -> String {
    let what = match kind {
        "ticket_received" => "We received your ticket",
        "internal_ticket" => "New internal ticket",
        "vendor_ticket" => "New ticket",
        "urgent_ticket" => "URGENT ticket",
        "escalated" => "Escalated ticket",
        "status_changed" => "Status update",
        "reply" => "New reply",
        "waiting_reminder" => "Waiting for your reply",
        "close_reminder" => "Your ticket will close soon",
        "collaborator_invite" => "You were added to a ticket",
        _ => "Update",
    };
    format!("{what}: {}", ticket.subject)
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
    Some(format!("Status: {}\n\n{text}", to.label()))
}

fn summary_text(ticket: &Ticket) -> String {
    let claims: Vec<String> = ticket
        .links
        .claims
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                serde_json::to_value(c.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                c.number
            )
        })
        .collect();
    format!(
        "From: {} <{}>\nCompany: {}\nType: {}\nPriority: {:?}\nClaims: {}\n\n{}",
        ticket.contact.name,
        ticket.contact.email,
        ticket.company,
        ticket.ticket_type,
        ticket.priority,
        if claims.is_empty() {
            "-".to_string()
        } else {
            claims.join(", ")
        },
        ticket.description
    )
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

/// Plain text made safe for HTML: every user-supplied character is escaped.
pub fn html_of(text: &str) -> String {
    let mut out = String::from("<!doctype html><html><body><div style=\"font-family:sans-serif\">");
    for line in text.lines() {
        out.push_str("<p>");
        out.push_str(&escape_html(line));
        out.push_str("</p>");
    }
    out.push_str("</div></body></html>");
    out
}

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_markup_from_users() {
        let html = html_of("<script>alert('x')</script> & co");
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
    }
}
