//! Tickets: filing one and reading it whole; beside it, by job, the conversation, status
//! changes, attachments, sharing (collaborators, guest keys), the list views and the
//! lifecycle sweep.

pub mod attachments;
pub mod conversation;
pub mod lists;
pub mod numbers;
pub mod service_levels;
pub mod sharing;
pub mod status;
pub mod sweep;

use crate::domain::access;
use crate::domain::company::Company;
use crate::domain::guest;
use crate::domain::ids::{CompanyCode, TicketId};
use crate::domain::lifecycle::Side;
use crate::domain::roles::Identity;
use crate::domain::ticket::{
    human_number, Attachment, AttachmentState, AttachmentView, Collaborator, DraftRefusal, Message, Ticket,
    TicketDraft, ValidDraft, NOT_AN_OPEN_TICKET,
};
use crate::domain::validate::Invalid;
use crate::domain::warranty_claim::ClaimCase;
use crate::ports::{Item, Query, SortKey, Write};
use crate::services::commit::{kept_changing, Commit, Replans};
use crate::services::mail::email_history::{self, EmailRecord};
use crate::services::mail::notify::Outbox;
use crate::services::problems::ProblemKind;
use crate::services::{item_of, new_secret, Core, Loaded, Plan, ServiceError, Viewer};
use crate::store;
use chrono::{DateTime, Duration, Utc};
use numbers::NumberLease;
use serde::{Deserialize, Serialize};

/// A guest key of a ticket filed before keys were kept on the ticket (issue 12): an item of
/// its own, `TICKET#id / GUEST#hash`, still honoured until it expires or is revoked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GuestKeyRecord {
    pub ticket_id: TicketId,
    pub expires_at: DateTime<Utc>,
    #[serde(default)]
    pub revoked: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NumberRecord {
    pub ticket_id: TicketId,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SerialClaim {
    pub ticket_id: TicketId,
    pub number: String,
    pub company: CompanyCode,
    pub subject: String,
    pub opened_at: DateTime<Utc>,
}

/// A ticket as one reader sees it: notes only for the support side, attachments only once
/// their bytes arrived.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TicketView {
    #[serde(flatten)]
    pub ticket: Ticket,
    pub version: u64,
    pub your_side: Side,
    pub messages: Vec<Message>,
    pub attachments: Vec<AttachmentView>,
    pub collaborators: Vec<String>,
    /// Whether the reader follows the case (`PUT /v1/tickets/{id}/following`).
    #[serde(default)]
    pub following: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emails: Option<Vec<EmailRecord>>,
}

impl TicketView {
    /// The view of `ticket` for the reader `email`: whether they follow it, and nobody's
    /// address among its followers.
    fn of(mut ticket: Ticket, version: u64, your_side: Side, email: &str) -> TicketView {
        let following = ticket.is_followed_by(email);
        ticket.followers.clear();
        ticket.guest_keys.clear();
        TicketView {
            ticket,
            version,
            your_side,
            messages: Vec::new(),
            attachments: Vec::new(),
            collaborators: Vec::new(),
            following,
            emails: None,
        }
    }
}

impl From<DraftRefusal> for ServiceError {
    fn from(r: DraftRefusal) -> Self {
        match r {
            DraftRefusal::Invalid(i) => ServiceError::Invalid(i),
            DraftRefusal::VendorTicketNeedsAdmin => {
                ServiceError::forbidden(ProblemKind::VendorTicketNeedsAdmin, r.to_string())
            }
            DraftRefusal::AccountManagement => ServiceError::forbidden(ProblemKind::AccountManagement, r.to_string()),
        }
    }
}

impl Core {
    pub async fn company(&self, code: &str) -> Result<Option<Company>, ServiceError> {
        Ok(self
            .get_record::<Company>(&store::company_pk(code), store::META)
            .await?
            .map(|l| l.record))
    }

    /// A new guest key for the ticket: its hash is kept on the ticket (whose expired keys
    /// go), the key itself is for the mail.
    pub fn add_guest_key(&self, ticket: &mut Ticket) -> String {
        let (key, hash) = new_secret();
        let now = self.now();
        ticket.guest_keys.retain(|k| k.expires_at > now);
        ticket.guest_keys.push(guest::StoredKey {
            hash,
            expires_at: now + Duration::days(self.settings.guest_key_days),
        });
        key
    }

    /// One more guest key for a filed ticket, committed (as the receipt's was).
    pub async fn issue_guest_key(&self, id: &TicketId) -> Result<String, ServiceError> {
        let mut replans = Replans::start();
        loop {
            let mut loaded = self.load_ticket(id).await?;
            let key = self.add_guest_key(&mut loaded.record);
            let write = self.ticket_write(&mut loaded.record, loaded.version);
            match self.commit(vec![write]).await? {
                Commit::Done => return Ok(key),
                Commit::Lost if replans.again().await => {}
                Commit::Lost => return Err(kept_changing("the ticket kept changing")),
            }
        }
    }

    pub async fn plan_create_ticket(
        &self,
        who: &Identity,
        draft: &TicketDraft,
    ) -> Result<Plan<TicketView>, ServiceError> {
        let valid = draft.validate(who, &self.catalogue)?;
        // A case about a warranty claim joins the claim's conversation: the claim names it.
        let claim = match &valid.links.warranty_claim {
            Some(id) => Some(self.claim_of_case(who, id, valid.company.as_str()).await?),
            None => None,
        };
        let mut plan = self.plan_ticket(who, valid).await?;
        if let Some(Loaded {
            record: mut claim,
            version,
        }) = claim
        {
            claim.cases.push(ClaimCase {
                id: plan.value.ticket.id.to_string(),
                number: plan.value.ticket.number.clone(),
            });
            plan.writes
                .push(Write::replace(store::warranty_claim_item(&claim, version)?, version));
        }
        Ok(plan)
    }

    /// Files a checked draft: the ticket and what comes with it (`plan_new_ticket`).
    pub(crate) async fn plan_ticket(
        &self,
        who: &Identity,
        valid: ValidDraft,
    ) -> Result<Plan<TicketView>, ServiceError> {
        let company = self
            .company(&valid.company)
            .await?
            .ok_or_else(|| Invalid::new("company", format!("company {} is not registered", valid.company)))?;
        if !company.active {
            return Err(ServiceError::forbidden(
                ProblemKind::NotAllowed,
                format!("company {} is deactivated", company.code),
            ));
        }
        if let Some(related) = &valid.related_to {
            let open_and_visible = match self.open_ticket(who, related).await {
                Ok((t, _)) => t.record.lifecycle.status.is_open(),
                Err(ServiceError::NotFound(_)) => false,
                Err(e) => return Err(e),
            };
            if !open_and_visible {
                return Err(Invalid::new("related_to", NOT_AN_OPEN_TICKET).into());
            }
        }
        if let Some(serial) = &valid.links.serial_number {
            if self.table.get(&store::serial_pk(serial), store::META).await?.is_none() {
                return Err(Invalid::new("serial_number", "unknown serial number").into());
            }
        }
        let now = self.now();
        let number = self.next_number(&company.code).await?;
        let ticket = valid.into_ticket(
            TicketId::generate(),
            human_number(&company.code, number.number()),
            who,
            now,
        );
        self.plan_new_ticket(ticket, &company, number, None).await
    }

    /// The writes shared by every way a ticket comes to be: the ticket, its number, its
    /// guest key, its serial link, its first message (follow-ups) and its mails.
    pub async fn plan_new_ticket(
        &self,
        mut ticket: Ticket,
        company: &Company,
        number: NumberLease,
        first_message: Option<Message>,
    ) -> Result<Plan<TicketView>, ServiceError> {
        let guest_key = self.add_guest_key(&mut ticket);
        // Lets a mailed reply that kept only the subject tag find its ticket.
        let number_item = item_of(
            store::company_pk(&ticket.company),
            store::number_sk(&ticket.number),
            &NumberRecord {
                ticket_id: ticket.id.clone(),
            },
        );
        let mut writes = vec![self.ticket_create(&mut ticket), Write::create(number_item)];
        if let Some(serial) = &ticket.links.serial_number {
            let claim = SerialClaim {
                ticket_id: ticket.id.clone(),
                number: ticket.number.clone(),
                company: ticket.company.clone(),
                subject: ticket.subject.clone(),
                opened_at: ticket.created_at,
            };
            let sk = store::serial_claim_sk(ticket.created_at, &ticket.id);
            writes.push(Write::create(item_of(store::serial_pk(serial), sk, &claim)));
        }
        if let Some(message) = &first_message {
            writes.push(Write::create(message_item(message)));
        }
        writes.extend(
            (ticket.followers.iter())
                .map(|f| Write::create(sharing::follower_item(&ticket, &f.email, ticket.created_at))),
        );
        let mut outbox = Outbox::new(self);
        outbox.ticket_filed(&ticket, company, &guest_key);
        writes.extend(outbox.into_writes());
        let requester = ticket.requester.email.to_string();
        let view = TicketView {
            messages: first_message.into_iter().collect(),
            ..TicketView::of(ticket, 1, Side::Customer, &requester)
        };
        let mut plan = Plan::new(writes, view);
        plan.numbers.push(number);
        Ok(plan)
    }

    /// Reads the whole ticket partition in one query: the ticket, its conversation,
    /// attachments, collaborators and mail; and marks its replies seen for this reader when
    /// a reply came since the reader last looked (seed 001's red badge). Opening a ticket
    /// with nothing new writes nothing.
    pub async fn ticket_view(&self, loaded: &Loaded<Ticket>, viewer: &Viewer) -> Result<TicketView, ServiceError> {
        let ticket = &loaded.record;
        let mut query = Query::new(crate::ports::Index::Table, store::ticket_pk(&ticket.id));
        query.sort = SortKey::All;
        query.limit = 1000;
        let mut items: Vec<Item> = Vec::new();
        loop {
            let page = self.table.query(&query).await?;
            items.extend(page.items);
            match page.next {
                Some(next) => query.after = Some(next),
                None => break,
            }
        }
        let notes_visible = access::sees_internal_notes(viewer.side);
        let mut view = TicketView {
            emails: notes_visible
                .then(|| email_history::of(&items, &self.settings.mail_from))
                .transpose()?,
            ..TicketView::of(ticket.clone(), loaded.version, viewer.side, &viewer.email)
        };
        let mut messages: Vec<Message> = Vec::new();
        let mut files: Vec<Attachment> = Vec::new();
        for item in &items {
            if item.sk.starts_with(store::MESSAGE_PREFIX) {
                messages.push(store::from_item(item)?);
            } else if item.sk.starts_with(store::ATTACHMENT_PREFIX) {
                let attachment: Attachment = store::from_item(item)?;
                if attachment.state == AttachmentState::Stored {
                    files.push(attachment);
                }
            } else if item.sk.starts_with(store::COLLABORATOR_PREFIX) {
                let collaborator: Collaborator = store::from_item(item)?;
                view.collaborators.push(collaborator.email);
            }
        }
        view.attachments = files
            .iter()
            .filter(|file| access::sees_attachment(viewer.side, file, &messages))
            .map(AttachmentView::from)
            .collect();
        view.messages = messages.into_iter().filter(|m| !m.internal || notes_visible).collect();
        let seen_key = store::seen_sk(&viewer.reader);
        let seen_at = match items.iter().find(|i| i.sk == seen_key) {
            Some(item) => Some(store::from_item::<SeenMarker>(item)?.at),
            None => None,
        };
        if ticket
            .last_reply
            .is_some_and(|reply| seen_at.is_none_or(|seen| seen < reply.at))
        {
            self.mark_seen(&ticket.id, &viewer.reader).await?;
        }
        Ok(view)
    }

    /// A ticket's conversation, internal notes included, oldest first: one query of the
    /// ticket's partition limited to its messages.
    pub async fn messages_of(&self, ticket_id: &str) -> Result<Vec<Message>, ServiceError> {
        let mut query = Query::new(crate::ports::Index::Table, store::ticket_pk(ticket_id));
        query.sort = SortKey::BeginsWith(store::MESSAGE_PREFIX.into());
        query.limit = 1000;
        let mut messages = Vec::new();
        loop {
            let page = self.table.query(&query).await?;
            for item in &page.items {
                messages.push(store::from_item(item)?);
            }
            match page.next {
                Some(next) => query.after = Some(next),
                None => return Ok(messages),
            }
        }
    }

    async fn mark_seen(&self, ticket_id: &str, reader: &str) -> Result<(), ServiceError> {
        let marker = SeenMarker { at: self.now() };
        let item = item_of(store::ticket_pk(ticket_id), store::seen_sk(reader), &marker);
        self.table
            .write(vec![Write::Put {
                item,
                condition: crate::ports::Condition::None,
            }])
            .await?;
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeenMarker {
    pub at: DateTime<Utc>,
}

pub fn message_item(message: &Message) -> Item {
    item_of(
        store::ticket_pk(&message.ticket_id),
        store::message_sk(message.created_at, &message.id),
        message,
    )
}
