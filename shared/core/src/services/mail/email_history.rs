//! A ticket's email history, as the support side sees it: every mail sent (from the
//! outbox items), every mail received (the inbound records) and what became of each
//! (bounces and complaints), merged from the items of the ticket's one partition. The
//! records of received mail live here too, so the ticket view and the mail intake both
//! depend on this module and not on each other.

use crate::domain::ids::TicketId;
use crate::ports::{Item, StoreError};
use crate::services::mail::feedback::{FeedbackKind, MailFeedback};
use crate::services::mail::notify::{DeliveryState, Notice};
use crate::store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboundOutcome {
    /// Added to the conversation.
    Added,
    /// The ticket was closed: a new case was opened with this message.
    FollowUpOpened,
    AutoReply,
    Bounce,
    /// Kept for staff review: unknown sender, no ticket, or a reply the ticket refused.
    Held,
    /// Seen before; nothing done.
    Duplicate,
}

/// One inbound mail as the ticket's email history and the review queue show it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InboundRecord {
    pub id: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub received_at: DateTime<Utc>,
    pub outcome: InboundOutcome,
    pub detail: String,
    #[serde(default)]
    pub ticket_id: Option<TicketId>,
    /// Where the raw message is kept (S3 key or local blob key), for staff to look at.
    pub raw_key: String,
    #[serde(default)]
    pub message_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Outbound,
    Inbound,
}

/// What became of a mail: an outbound one's delivery (and any bounce or complaint after it),
/// or what an inbound one led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmailState {
    Pending,
    Sent,
    Failed,
    Suppressed,
    Bounced,
    Complained,
    /// Inbound, by outcome.
    Added,
    FollowUpOpened,
    AutoReply,
    Bounce,
    Held,
}

/// One mail, sent or received, as the ticket's email history shows it (support side only).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EmailRecord {
    pub id: String,
    pub direction: Direction,
    /// The template kind of an outbound mail; `inbound` for received ones.
    pub kind: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub state: EmailState,
    /// Why it failed, bounced, was suppressed or held; what an inbound mail led to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl EmailRecord {
    /// The records of a notice's mails.
    pub(crate) fn outbound(notice: Notice, from: &str) -> impl Iterator<Item = EmailRecord> + '_ {
        let created_at = notice.created_at;
        notice.mails.into_iter().map(move |mail| EmailRecord {
            id: mail.id,
            direction: Direction::Outbound,
            kind: mail.kind,
            from: from.to_string(),
            to: mail.to,
            subject: mail.subject,
            state: match mail.state {
                DeliveryState::Pending => EmailState::Pending,
                DeliveryState::Sent => EmailState::Sent,
                DeliveryState::Failed => EmailState::Failed,
                DeliveryState::Suppressed => EmailState::Suppressed,
            },
            detail: mail.last_error,
            created_at,
            sent_at: mail.sent_at,
        })
    }

    pub(crate) fn inbound(record: InboundRecord) -> EmailRecord {
        EmailRecord {
            id: record.id,
            direction: Direction::Inbound,
            kind: "inbound".into(),
            from: record.from,
            to: record.to,
            subject: record.subject,
            state: match record.outcome {
                InboundOutcome::Added | InboundOutcome::Duplicate => EmailState::Added,
                InboundOutcome::FollowUpOpened => EmailState::FollowUpOpened,
                InboundOutcome::AutoReply => EmailState::AutoReply,
                InboundOutcome::Bounce => EmailState::Bounce,
                InboundOutcome::Held => EmailState::Held,
            },
            detail: Some(record.detail),
            created_at: record.received_at,
            sent_at: None,
        }
    }

    pub(crate) fn apply(&mut self, feedback: &MailFeedback) {
        self.state = match (feedback.kind, feedback.permanent) {
            (FeedbackKind::Complaint, _) => EmailState::Complained,
            (FeedbackKind::Bounce, true) => EmailState::Bounced,
            // A soft bounce: SES keeps trying; the mail stays "sent" with the reason shown.
            (FeedbackKind::Bounce, false) => self.state,
        };
        self.detail = Some(format!("{:?}: {}", feedback.kind, feedback.detail));
    }
}

/// The email history among a ticket partition's items, oldest first. `from`: the
/// deployment's sender address (every mail goes out from it).
pub fn of(items: &[Item], from: &str) -> Result<Vec<EmailRecord>, StoreError> {
    let mut emails = Vec::new();
    let mut feedback: Vec<MailFeedback> = Vec::new();
    for item in items {
        if item.sk.starts_with(store::MAIL_PREFIX) {
            emails.extend(EmailRecord::outbound(store::from_item(item)?, from));
        } else if item.sk.starts_with(store::INBOUND_MAIL_PREFIX) {
            emails.push(EmailRecord::inbound(store::from_item(item)?));
        } else if item.sk.starts_with(store::MAIL_FEEDBACK_PREFIX) {
            feedback.push(store::from_item(item)?);
        }
    }
    for one in &feedback {
        if let Some(mail) = emails.iter_mut().find(|m| m.id == one.mail_id) {
            mail.apply(one);
        }
    }
    emails.sort_by_key(|m| m.created_at);
    Ok(emails)
}
