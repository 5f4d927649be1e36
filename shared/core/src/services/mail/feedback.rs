//! Bounces and complaints. A permanent bounce or a complaint suppresses the address: the
//! outbox sends nothing more to it and marks such mail `suppressed`. The mail that bounced
//! shows why on its ticket's email history.
//!
//! Two sources: SES's events (trusted: SES saw the bounce) and delivery status notifications
//! that arrive as mail (untrusted: anyone can write one), which count only when they quote
//! one of our Message-IDs that really went to the bounced address.

use crate::domain::ids::TicketId;
use crate::ports::{Condition, Index, Query, SortKey, Write};
use crate::services::mail::notify::Notice;
use crate::services::{item_of, Core, ServiceError};
use crate::store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    Bounce,
    Complaint,
}

/// One address's bounce or complaint, and the mail it concerns when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    pub address: String,
    pub kind: FeedbackKind,
    /// A hard bounce; a soft one (mailbox full) is shown but suppresses nothing.
    pub permanent: bool,
    pub detail: String,
    pub ticket_id: Option<TicketId>,
    pub mail_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Suppression {
    pub address: String,
    pub kind: FeedbackKind,
    pub detail: String,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub ticket_id: Option<TicketId>,
}

/// What became of one mail after it left: stored beside the mail on its ticket.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MailFeedback {
    pub mail_id: String,
    pub kind: FeedbackKind,
    pub permanent: bool,
    pub detail: String,
    pub at: DateTime<Utc>,
}

pub fn mail_feedback_sk(mail_id: &str) -> String {
    store::mail_feedback_sk(mail_id)
}

impl Core {
    /// Records SES's word on some addresses.
    pub async fn record_feedback(&self, feedback: &[Feedback]) -> Result<(), ServiceError> {
        let mut writes = Vec::new();
        for one in feedback {
            writes.extend(self.feedback_writes(one));
        }
        // Unconditional puts: recording the same event twice (a retried delivery) is harmless.
        for chunk in writes.chunks(crate::ports::MAX_WRITES_PER_TRANSACTION / 2) {
            self.table.write(chunk.to_vec()).await?;
        }
        Ok(())
    }

    pub fn feedback_writes(&self, feedback: &Feedback) -> Vec<Write> {
        let now = self.now();
        let mut writes = Vec::new();
        let address = feedback.address.trim().to_ascii_lowercase();
        if feedback.permanent || feedback.kind == FeedbackKind::Complaint {
            let suppression = Suppression {
                address: address.clone(),
                kind: feedback.kind,
                detail: feedback.detail.clone(),
                at: now,
                ticket_id: feedback.ticket_id.clone(),
            };
            writes.push(Write::Put {
                item: item_of(store::suppression_pk(&address), store::META, &suppression),
                condition: Condition::None,
            });
        }
        if let (Some(ticket_id), Some(mail_id)) = (&feedback.ticket_id, &feedback.mail_id) {
            let record = MailFeedback {
                mail_id: mail_id.clone(),
                kind: feedback.kind,
                permanent: feedback.permanent,
                detail: feedback.detail.clone(),
                at: now,
            };
            writes.push(Write::Put {
                item: item_of(store::ticket_pk(ticket_id), mail_feedback_sk(mail_id), &record),
                condition: Condition::None,
            });
        }
        writes
    }

    /// Whether mail to this address is suppressed, and why.
    pub async fn suppression(&self, address: &str) -> Result<Option<Suppression>, ServiceError> {
        Ok(self
            .get_record::<Suppression>(&store::suppression_pk(address), store::META)
            .await?
            .map(|l| l.record))
    }

    /// For an emailed bounce: whether our mail `mail_id` on `ticket_id` went to `address`.
    pub async fn mail_went_to(&self, ticket_id: &str, mail_id: &str, address: &str) -> Result<bool, ServiceError> {
        let mut query = Query::new(Index::Table, store::ticket_pk(ticket_id));
        query.sort = SortKey::BeginsWith(store::MAIL_PREFIX.into());
        query.limit = 1000;
        loop {
            let page = self.table.query(&query).await?;
            for item in &page.items {
                let notice: Notice = store::from_item(item)?;
                if let Some(mail) = notice.mails.iter().find(|m| m.id == mail_id) {
                    return Ok(mail.to.eq_ignore_ascii_case(address));
                }
            }
            match page.next {
                Some(next) => query.after = Some(next),
                None => return Ok(false),
            }
        }
    }
}
