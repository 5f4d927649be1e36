//! Replies and internal notes. A customer's update moves the lifecycle (Waiting For
//! Customer or Resolved → Pending Support) and, on a Closed ticket, opens a follow-up case.

use crate::domain::access;
use crate::domain::company::Company;
use crate::domain::ids::{Email, TicketId, UserId};
use crate::domain::lifecycle::{Effect, Event, Side};
use crate::domain::ticket::{human_number, Attachment, AttachmentState, LastReply, Message, Ticket};
use crate::domain::validate::{self, Invalid};
use crate::mail::templates::MailKind;
use crate::ports::Write;
use crate::services::mail::notify::{distinct_except, Outbox};
use crate::services::problems::ProblemKind;
use crate::services::tickets::attachments::attachment_item;
use crate::services::tickets::{message_item, TicketView};
use crate::services::{new_id, Core, Loaded, Plan, ServiceError, Viewer};
use crate::store;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageDraft {
    #[schema(required, value_type = String, min_length = 1, max_length = 20000, pattern = "\\S")]
    pub body: Option<String>,
    /// An internal note, for the support side only.
    #[serde(default)]
    pub internal: bool,
    #[serde(default)]
    pub attachment_ids: Vec<String>,
}

/// What a message led to: the message on this ticket, or a new case if this one was closed.
// Built once per request and serialised at once: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum MessageOutcome {
    Added {
        message: Message,
        ticket: Ticket,
        version: u64,
    },
    FollowUpOpened {
        follow_up: Box<TicketView>,
    },
}

impl Core {
    pub async fn plan_add_message(
        &self,
        loaded: &Loaded<Ticket>,
        viewer: &Viewer,
        draft: &MessageDraft,
    ) -> Result<Plan<MessageOutcome>, ServiceError> {
        self.plan_message_with_files(loaded, viewer, draft, Vec::new()).await
    }

    /// A message that brings its files along (an emailed reply's attachments): their bytes are
    /// stored already; their records, and their bytes on the ticket's total, land with the
    /// message or not at all.
    pub async fn plan_message_with_files(
        &self,
        loaded: &Loaded<Ticket>,
        viewer: &Viewer,
        draft: &MessageDraft,
        arrived: Vec<Attachment>,
    ) -> Result<Plan<MessageOutcome>, ServiceError> {
        let ticket = &loaded.record;
        let body = validate::text("body", draft.body.as_deref(), 20_000)?;
        if draft.internal && viewer.side != Side::Support {
            return Err(ServiceError::forbidden(
                ProblemKind::NotesAreInternal,
                "only the support side writes internal notes",
            ));
        }
        if draft.attachment_ids.len() > 20 {
            return Err(Invalid::new("attachment_ids", "at most 20 attachments per message").into());
        }
        let now = self.now();
        let company = self
            .company(&ticket.company)
            .await?
            .ok_or(ServiceError::NotFound("company"))?;
        let message = Message {
            id: new_id("msg"),
            ticket_id: ticket.id.clone(),
            author: viewer.email.clone(),
            author_name: Some(viewer.name.clone()),
            side: viewer.side,
            internal: draft.internal,
            body,
            attachment_ids: draft
                .attachment_ids
                .iter()
                .chain(arrived.iter().map(|a| &a.id))
                .cloned()
                .collect(),
            created_at: now,
        };
        let mut effects = Vec::new();
        let mut next = ticket.clone();
        if viewer.side == Side::Customer {
            let (lifecycle, fx) = ticket
                .lifecycle
                .apply(
                    &Event::CustomerUpdate,
                    Side::Customer,
                    &viewer.email,
                    now,
                    &self.settings.timers,
                )
                .map_err(|e| ServiceError::conflict(ProblemKind::Lifecycle, e.to_string()))?;
            if fx.contains(&Effect::OpenFollowUp) {
                return self.plan_follow_up(ticket, &company, viewer, message, arrived).await;
            }
            next.lifecycle = lifecycle;
            effects = fx;
        } else if !ticket.lifecycle.status.is_open() {
            return Err(ServiceError::conflict(
                ProblemKind::TicketClosed,
                "the ticket is closed; the customer's next update opens a new case",
            ));
        }
        self.check_attachments(ticket, viewer.side, &draft.attachment_ids)
            .await?;
        next.updated_at = now;
        next.attachment_bytes += arrived.iter().filter_map(|a| a.size).sum::<u64>();
        if !message.internal {
            next.last_reply = Some(LastReply {
                at: now,
                side: viewer.side,
            });
        }
        let mut outbox = Outbox::new(self);
        if !message.internal {
            self.reply_mails(&mut outbox, &next, &company, &message).await?;
            outbox.ticket_event(
                &next,
                "ticket.reply_added",
                serde_json::json!({ "ticket": next.id, "message": message.id, "side": message.side }),
            );
        }
        outbox.effects(&next, &effects, &company);
        let mut writes = vec![
            Write::create(message_item(&message)),
            self.ticket_write(&mut next, loaded.version),
        ];
        writes.extend(arrived.iter().map(|a| Write::create(attachment_item(a))));
        writes.extend(outbox.into_writes());
        Ok(Plan::new(
            writes,
            MessageOutcome::Added {
                message,
                ticket: next,
                version: loaded.version + 1,
            },
        ))
    }

    /// Seed 002: an update on a closed case creates a new case that references it.
    async fn plan_follow_up(
        &self,
        closed: &Ticket,
        company: &Company,
        viewer: &Viewer,
        mut message: Message,
        arrived: Vec<Attachment>,
    ) -> Result<Plan<MessageOutcome>, ServiceError> {
        let now = self.now();
        let number = self.next_number(&company.code).await?;
        let author = crate::domain::roles::Identity {
            user_id: if viewer.member {
                UserId::new(&viewer.reader)
            } else {
                closed.requester.user_id.clone()
            },
            email: Email::new(&viewer.email),
            name: Some(viewer.name.clone()),
            company: closed.company.clone(),
            roles: Vec::new(),
        };
        let mut follow_up = closed.follow_up(
            TicketId::generate(),
            human_number(&company.code, number.number()),
            &author,
            &message.body,
            now,
        );
        message.ticket_id = follow_up.id.clone();
        // Files named from the closed case stay there; files that came with this message
        // move to the new case.
        let moved: Vec<Attachment> = arrived
            .into_iter()
            .map(|mut a| {
                a.ticket_id = follow_up.id.clone();
                a
            })
            .collect();
        message.attachment_ids = moved.iter().map(|a| a.id.clone()).collect();
        follow_up.attachment_bytes = moved.iter().filter_map(|a| a.size).sum();
        let mut plan = self.plan_new_ticket(follow_up, company, number, Some(message)).await?;
        plan.writes
            .extend(moved.iter().map(|a| Write::create(attachment_item(a))));
        Ok(plan.map(|view| MessageOutcome::FollowUpOpened {
            follow_up: Box::new(view),
        }))
    }

    /// A reply goes to the other side: support's to the contact and each collaborator (one
    /// mail each, so no one sees the others' addresses); the customer's to the assignee or
    /// desk. Followers hear of every reply but their own.
    async fn reply_mails(
        &self,
        outbox: &mut Outbox<'_>,
        ticket: &Ticket,
        company: &Company,
        message: &Message,
    ) -> Result<(), ServiceError> {
        let text = serde_json::json!({
            "author": message.author_name.as_deref().unwrap_or(&message.author),
            "body": message.body,
        });
        match message.side {
            Side::Support => {
                let mut recipients = vec![ticket.contact.email.clone()];
                recipients.extend(self.collaborator_emails(&ticket.id).await?);
                recipients.extend(ticket.followers.iter().map(|f| f.email.clone()));
                for to in distinct_except(recipients, &message.author) {
                    outbox.mail(ticket, MailKind::Reply, &to, text.clone());
                }
            }
            Side::Customer | Side::System => {
                let to = ticket
                    .lifecycle
                    .assignee
                    .clone()
                    .unwrap_or_else(|| outbox.desk_address(ticket, company));
                let mut recipients = vec![to];
                recipients.extend(ticket.followers.iter().map(|f| f.email.clone()));
                for to in distinct_except(recipients, &message.author) {
                    outbox.mail(ticket, MailKind::Reply, &to, text.clone());
                }
            }
        }
        Ok(())
    }

    /// Attachments named by a message must be this ticket's, must have arrived, and must be
    /// the writer's side's to name (`access::may_name_attachment`); anything else is refused
    /// like an unknown id.
    async fn check_attachments(&self, ticket: &Ticket, side: Side, ids: &[String]) -> Result<(), ServiceError> {
        if ids.is_empty() {
            return Ok(());
        }
        let keys: Vec<(String, String)> = ids
            .iter()
            .map(|id| (store::ticket_pk(&ticket.id), store::attachment_sk(id)))
            .collect();
        let found = self.table.get_many(&keys).await?;
        let stored = found
            .iter()
            .filter_map(|i| store::from_item::<Attachment>(i).ok())
            .filter(|a| a.state == AttachmentState::Stored && access::may_name_attachment(side, a))
            .count();
        if stored == ids.len() {
            Ok(())
        } else {
            Err(Invalid::new("attachment_ids", "each must be an uploaded attachment of this ticket").into())
        }
    }
}
