//! Mail that comes in (the proof a sender must bring is in `proof`, a mail's files in
//! `files`): a reply lands in its ticket's conversation as if typed in the portal
//! (same lifecycle: Resolved → Pending Support, Closed → a new linked case). Auto-replies and
//! bounces are recorded but never move a ticket; mail from someone with no business on the
//! ticket, or for no ticket at all, is held for staff review and grants nothing.
//!
//! The raw message is stored before this runs (S3 on AWS, the attachment folder locally);
//! `raw_key` names it. A message seen before (same Message-ID) is not added twice, so an
//! event delivered twice by S3 or Lambda is harmless.

mod files;
mod proof;

use crate::domain::ids::TicketId;
use crate::mail::templates::MailKind;
use crate::services::commit::{kept_changing, Commit, Replans};
use files::{Kept, NotKept};
use proof::Proof;

use crate::domain::lifecycle::{Desk, Side};
use crate::domain::ticket::Ticket;
use crate::mail::address::our_message;
use crate::mail::inbound::{self, Bounce, InboundMail, Nature};
use crate::mail::quotes;
use crate::mail::templates::one_line;
use crate::ports::{Index, Query, SortKey, Write};
use crate::services::mail::email_history::{InboundOutcome, InboundRecord};
use crate::services::mail::feedback::{Feedback, FeedbackKind};
use crate::services::mail::notify::Outbox;
use crate::services::tickets::conversation::{MessageDraft, MessageOutcome};
use crate::services::{item_of, new_id, Core, Loaded, NumberLease, Plan, ServiceError, Viewer};
use crate::store;
use chrono::Duration;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long a Message-ID is remembered against duplicates.
const SEEN_DAYS: i64 = 30;

/// What the inbound function reports for one message.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InboundReport {
    pub outcome: InboundOutcome,
    pub ticket_id: Option<TicketId>,
    /// The new case's id when a closed ticket was answered.
    pub follow_up_id: Option<TicketId>,
    pub detail: String,
}

/// Seen-once marker of an inbound message.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SeenInbound {
    record_id: String,
    outcome: InboundOutcome,
    ticket_id: Option<TicketId>,
}

fn fingerprint(mail: Option<&InboundMail>, raw: &[u8]) -> String {
    let mut hash = Sha256::new();
    match mail.and_then(|m| m.message_id.as_deref()) {
        Some(id) => hash.update(id.as_bytes()),
        None => hash.update(raw),
    }
    store::hex(&hash.finalize())
}

pub fn inbound_sk(record: &InboundRecord) -> String {
    store::inbound_mail_sk(record.received_at, &record.id)
}

/// Decided before the transaction: what to write besides the seen marker.
struct Decision {
    outcome: InboundOutcome,
    detail: String,
    ticket: Option<Loaded<Ticket>>,
    writes: Vec<Write>,
    follow_up_id: Option<TicketId>,
    /// The ticket number a follow-up takes: kept once the writes are in.
    numbers: Vec<NumberLease>,
}

impl Core {
    pub async fn receive_mail(&self, raw: &[u8], raw_key: &str) -> Result<InboundReport, ServiceError> {
        let mail = inbound::read(raw);
        let seen_pk = store::inbound_pk(&fingerprint(mail.as_ref(), raw));
        let files = match &mail {
            Some(m) if m.nature == Nature::Person => self.keep_files(&m.attachments).await?,
            _ => Kept::default(),
        };
        let mut replans = Replans::start();
        loop {
            if let Some(seen) = self.get_record::<SeenInbound>(&seen_pk, store::META).await? {
                self.forget_files(&files).await;
                return Ok(InboundReport {
                    outcome: InboundOutcome::Duplicate,
                    ticket_id: seen.record.ticket_id,
                    follow_up_id: None,
                    detail: format!("seen before as {:?}", seen.record.outcome),
                });
            }
            let mut decision = match &mail {
                None => held(None, "not a readable mail message"),
                Some(mail) => self.decide(mail, &files).await?,
            };
            let now = self.now();
            let record = InboundRecord {
                id: new_id("in"),
                from: mail.as_ref().and_then(|m| m.from.clone()).unwrap_or_default(),
                to: mail.as_ref().map(|m| m.recipients.join(", ")).unwrap_or_default(),
                subject: mail.as_ref().map(|m| one_line(&m.subject)).unwrap_or_default(),
                received_at: now,
                outcome: decision.outcome,
                detail: decision.detail.clone(),
                ticket_id: decision.ticket.as_ref().map(|t| t.record.id.clone()),
                raw_key: raw_key.to_string(),
                message_id: mail.as_ref().and_then(|m| m.message_id.clone()),
            };
            let mut writes = std::mem::take(&mut decision.writes);
            if let Some(ticket) = &decision.ticket {
                writes.push(Write::create(item_of(
                    store::ticket_pk(&ticket.record.id),
                    inbound_sk(&record),
                    &record,
                )));
            }
            if decision.outcome == InboundOutcome::Held {
                writes.push(Write::create(item_of(
                    store::HELD_MAIL.to_string(),
                    store::held_mail_sk(now, &record.id),
                    &record,
                )));
            }
            let mut seen = item_of(
                seen_pk.clone(),
                store::META,
                &SeenInbound {
                    record_id: record.id.clone(),
                    outcome: record.outcome,
                    ticket_id: record.ticket_id.clone(),
                },
            );
            seen.expires_at = Some((now + Duration::days(SEEN_DAYS)).timestamp());
            writes.push(Write::create(seen));
            match self.commit(writes).await {
                Ok(Commit::Done) => {
                    NumberLease::keep_all(decision.numbers);
                    if !matches!(decision.outcome, InboundOutcome::Added | InboundOutcome::FollowUpOpened) {
                        self.forget_files(&files).await;
                    }
                    tracing::info!(outcome = ?record.outcome, ticket = ?record.ticket_id, detail = %record.detail, "inbound mail");
                    return Ok(InboundReport {
                        outcome: record.outcome,
                        ticket_id: record.ticket_id,
                        follow_up_id: decision.follow_up_id,
                        detail: record.detail,
                    });
                }
                // The ticket moved meanwhile, or the same mail is being handled next door:
                // decide again from fresh reads (the loop's first step spots the duplicate).
                Ok(Commit::Lost) => {
                    NumberLease::lost_race(decision.numbers);
                    if replans.again().await {
                        continue;
                    }
                    self.forget_files(&files).await;
                    return Err(kept_changing("the ticket kept changing; the mail will be retried"));
                }
                Err(e) => {
                    self.forget_files(&files).await;
                    return Err(e);
                }
            }
        }
    }

    async fn decide(&self, mail: &InboundMail, files: &Kept) -> Result<Decision, ServiceError> {
        match &mail.nature {
            Nature::Bounce(bounce) => {
                let ticket = self.ticket_named_by(mail).await?;
                self.decide_bounce(bounce, ticket).await
            }
            // Recorded on the ticket it names, never acted on: no proof of the sender needed.
            Nature::AutoReply(reason) => Ok(match self.ticket_named_by(mail).await? {
                Some(ticket) => Decision {
                    outcome: InboundOutcome::AutoReply,
                    detail: format!("automatic reply ({reason}): not added to the conversation"),
                    ticket: Some(ticket),
                    writes: Vec::new(),
                    follow_up_id: None,
                    numbers: Vec::new(),
                },
                None => held(None, &format!("automatic reply ({reason}) for no known ticket")),
            }),
            Nature::Person => self.decide_person(mail, files).await,
        }
    }

    /// A person's mail joins a ticket only when it proves its sender received our mail and
    /// the sender has a right to the ticket, on their own side (`Proof`).
    async fn decide_person(&self, mail: &InboundMail, files: &Kept) -> Result<Decision, ServiceError> {
        let Some(from) = mail.from.as_deref() else {
            return Ok(held(None, "the message names no sender"));
        };
        let proof = self.proof_of(mail, from).await?;
        if let Some(why) = &mail.distrust {
            return Ok(held(proof.into_ticket(), why));
        }
        let (ticket, by_token) = match proof {
            Proof::Tampered => {
                return Ok(held(
                    None,
                    "a reply address of ours that does not verify (its ticket or tag was altered)",
                ))
            }
            Proof::IssuedToAnother(ticket) => {
                return Ok(held(
                    Some(ticket),
                    &format!("the reply address was issued to another recipient, not {from}"),
                ))
            }
            Proof::Unproven => {
                return Ok(held(
                    None,
                    "the sender is not proven: no reply address of ours issued to them, no reference to a mail we sent them, and no authenticated subject tag",
                ))
            }
            Proof::Token(ticket) => (ticket, true),
            Proof::Thread(ticket) | Proof::AuthenticatedTag(ticket) => (ticket, false),
        };
        let Some(viewer) = self
            .mail_viewer(&ticket.record, from, mail.from_name.as_deref())
            .await?
        else {
            return Ok(held(
                Some(ticket),
                &format!("{from} is not the requester, a collaborator or an agent of this ticket"),
            ));
        };
        if viewer.side == Side::Support && !by_token {
            return Ok(held(
                Some(ticket),
                "support staff write by mail only through the reply address of a mail sent to them",
            ));
        }
        self.decide_reply(mail, ticket, &viewer, files).await
    }

    async fn decide_reply(
        &self,
        mail: &InboundMail,
        ticket: Loaded<Ticket>,
        viewer: &Viewer,
        files: &Kept,
    ) -> Result<Decision, ServiceError> {
        let mut body = quotes::new_text(&mail.text, &mail.subject, &self.our_mail_domains());
        // A mail's files come all or none: when they do not all fit in the ticket's room, the
        // text is added without any of them, and the sender is told which were not kept and
        // how to upload them, never by a note written into their own words.
        let room = self
            .settings
            .attachment_limit_bytes
            .saturating_sub(ticket.record.attachment_bytes);
        let total: u64 = files.kept.iter().map(|f| f.size).sum();
        let mut not_kept = files.refused.clone();
        let mut arrived = Vec::new();
        if total <= room {
            for file in &files.kept {
                arrived.push(file.attachment(&ticket.record.id, &viewer.email, viewer.side));
            }
        } else {
            let limit_mb = self.settings.attachment_limit_bytes / (1024 * 1024);
            not_kept.extend(files.kept.iter().map(|f| NotKept {
                name: f.filename.clone(),
                reason: format!("together the files would take the ticket past its {limit_mb} MB"),
            }));
        }
        if body.trim().is_empty() {
            if arrived.is_empty() {
                let why = match not_kept.len() {
                    0 => "the reply holds no new text".to_string(),
                    n => format!("the reply holds no new text, and its {n} file(s) could not be kept"),
                };
                return Ok(held(Some(ticket), &why));
            }
            body = "(sent attachments by email)".into();
        }
        let draft = MessageDraft {
            body: Some(body),
            internal: false,
            attachment_ids: Vec::new(),
        };
        match self.plan_message_with_files(&ticket, viewer, &draft, arrived).await {
            Ok(Plan {
                mut writes,
                value,
                numbers,
            }) => {
                if !not_kept.is_empty() {
                    let mut outbox = Outbox::new(self);
                    outbox.mail(
                        &ticket.record,
                        MailKind::FilesNotKept,
                        &viewer.email,
                        serde_json::json!({
                            "files": not_kept,
                            "limit_mb": self.settings.attachment_limit_bytes / (1024 * 1024),
                        }),
                    );
                    writes.extend(outbox.into_writes());
                }
                let (outcome, follow_up_id, detail) = match value {
                    MessageOutcome::Added { .. } => (
                        InboundOutcome::Added,
                        None,
                        format!("added to the conversation as {}", viewer.email),
                    ),
                    MessageOutcome::FollowUpOpened { follow_up } => (
                        InboundOutcome::FollowUpOpened,
                        Some(follow_up.ticket.id.clone()),
                        format!("the ticket was closed: opened {}", follow_up.ticket.number),
                    ),
                };
                Ok(Decision {
                    outcome,
                    detail,
                    ticket: Some(ticket),
                    writes,
                    follow_up_id,
                    numbers,
                })
            }
            // Refused as a portal message would be (a note on a closed case by support, a
            // body over the limit): staff decide.
            Err(e @ (ServiceError::Invalid(_) | ServiceError::Conflict { .. } | ServiceError::Forbidden { .. })) => {
                Ok(held(Some(ticket), &format!("the ticket refused the reply: {e}")))
            }
            Err(e) => Err(e),
        }
    }

    async fn decide_bounce(&self, bounce: &Bounce, ticket: Option<Loaded<Ticket>>) -> Result<Decision, ServiceError> {
        // Only a bounce that quotes a mail we really sent to that address counts: a made-up
        // report must not silence somebody's mail.
        let ours = bounce
            .original_ids
            .iter()
            .find_map(|id| our_message(id, &self.settings.mail_domain).filter(|m| m.mail_id.is_some()));
        let mut writes = Vec::new();
        let mut confirmed = Vec::new();
        if let Some(ours) = &ours {
            let mail_id = ours.mail_id.clone().unwrap_or_default();
            for address in &bounce.recipients {
                if self.mail_went_to(&ours.ticket_id, &mail_id, address).await? {
                    confirmed.push(address.clone());
                    writes.extend(self.feedback_writes(&Feedback {
                        address: address.clone(),
                        kind: FeedbackKind::Bounce,
                        permanent: bounce.permanent,
                        detail: bounce.detail.clone(),
                        ticket_id: Some(ours.ticket_id.clone()),
                        mail_id: Some(mail_id.clone()),
                    }));
                }
            }
        }
        let ticket = match (ticket, &ours) {
            (Some(t), _) => Some(t),
            (None, Some(ours)) => self.ticket_if_any(&ours.ticket_id).await?,
            (None, None) => None,
        };
        if confirmed.is_empty() {
            return Ok(held(ticket, "a delivery report that matches no mail we sent"));
        }
        let what = if bounce.permanent {
            "bounced; address suppressed"
        } else {
            "delivery delayed"
        };
        Ok(Decision {
            outcome: InboundOutcome::Bounce,
            detail: format!("{} {what}: {}", confirmed.join(", "), bounce.detail),
            ticket,
            writes,
            follow_up_id: None,
            numbers: Vec::new(),
        })
    }

    /// A ticket a mail names, if it exists: a mail may name anything.
    async fn ticket_if_any(&self, id: &TicketId) -> Result<Option<Loaded<Ticket>>, ServiceError> {
        match self.load_ticket(id).await {
            Ok(ticket) => Ok(Some(ticket)),
            Err(ServiceError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Who the sender is on this ticket, if anyone: the requester or contact and collaborators
    /// write as the customer; the assignee and the desk's address as support; a follower
    /// from the side they follow on.
    async fn mail_viewer(
        &self,
        ticket: &Ticket,
        from: &str,
        name: Option<&str>,
    ) -> Result<Option<Viewer>, ServiceError> {
        let same = |a: &str| a.trim().eq_ignore_ascii_case(from);
        let viewer = |side: Side, member: bool, reader: String| Viewer {
            reader,
            email: from.to_string(),
            name: name
                .map(one_line)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| from.to_string()),
            side,
            member,
        };
        if same(&ticket.requester.email) {
            return Ok(Some(viewer(Side::Customer, true, ticket.requester.user_id.to_string())));
        }
        if same(&ticket.contact.email) {
            return Ok(Some(viewer(Side::Customer, false, format!("mail:{from}"))));
        }
        let desk = match ticket.lifecycle.desk {
            Desk::Vendor => Some(self.settings.vendor_desk_email.clone()),
            Desk::Internal => self
                .company(&ticket.company)
                .await?
                .map(|c| c.first_level_support_email),
        };
        if ticket.lifecycle.assignee.as_deref().is_some_and(same) || desk.as_deref().is_some_and(same) {
            return Ok(Some(viewer(Side::Support, true, format!("mail:{from}"))));
        }
        // A follower answers the mail they were sent, from the side they followed on.
        if let Some(follower) = ticket.followers.iter().find(|f| same(&f.email)) {
            return Ok(Some(viewer(follower.side, true, format!("mail:{from}"))));
        }
        let collaborator = self
            .table
            .get(&store::ticket_pk(&ticket.id), &store::collaborator_sk(from))
            .await?;
        Ok(collaborator.map(|_| viewer(Side::Customer, false, format!("mail:{from}"))))
    }

    /// The domains our own mail comes from (the reply domain, and the sender's).
    fn our_mail_domains(&self) -> Vec<String> {
        let mut domains = vec![self.settings.mail_domain.to_ascii_lowercase()];
        let from = crate::mime::address_of(&self.settings.mail_from).to_ascii_lowercase();
        if let Some((_, domain)) = from.rsplit_once('@') {
            if !domains.iter().any(|d| d == domain) {
                domains.push(domain.to_string());
            }
        }
        domains
    }

    /// Held inbound mail, newest first, for staff review.
    pub async fn held_mail(&self, limit: usize) -> Result<Vec<InboundRecord>, ServiceError> {
        let mut query = Query::new(Index::Table, store::HELD_MAIL);
        query.sort = SortKey::All;
        query.newest_first = true;
        query.limit = limit.clamp(1, 100);
        let page = self.table.query(&query).await?;
        page.items.iter().map(|i| Ok(store::from_item(i)?)).collect()
    }
}

fn held(ticket: Option<Loaded<Ticket>>, why: &str) -> Decision {
    Decision {
        outcome: InboundOutcome::Held,
        detail: format!("held for staff review: {why}"),
        ticket,
        writes: Vec::new(),
        follow_up_id: None,
        numbers: Vec::new(),
    }
}
