//! What a person's mail proves about its sender, and which ticket an automatic reply or a
//! bounce names.

use crate::domain::ticket::Ticket;
use crate::mail::address::{our_message, read_reply_address, subject_tags, OurMessage, ReplyAddress};
use crate::mail::inbound::InboundMail;
use crate::services::tickets::NumberRecord;
use crate::services::{Core, Loaded, ServiceError};
use crate::store;

/// What a person's mail proves about its sender (see `Core::proof_of`).
pub(super) enum Proof {
    /// Through a reply address of ours issued to the sender.
    Token(Loaded<Ticket>),
    /// By naming a mail we sent the sender.
    Thread(Loaded<Ticket>),
    /// By the subject tag, the sender's domain vouched for by the receiving server.
    AuthenticatedTag(Loaded<Ticket>),
    /// A genuine reply address of ours, issued to somebody else (a forward, or a borrowed one).
    IssuedToAnother(Loaded<Ticket>),
    /// An address of ours that does not verify.
    Tampered,
    Unproven,
}

impl Proof {
    pub(super) fn into_ticket(self) -> Option<Loaded<Ticket>> {
        match self {
            Proof::Token(t) | Proof::Thread(t) | Proof::AuthenticatedTag(t) | Proof::IssuedToAnother(t) => Some(t),
            Proof::Tampered | Proof::Unproven => None,
        }
    }
}

impl Core {
    /// What a person's mail proves about its sender, strongest first: a reply address of
    /// ours issued to the sender; a Message-ID of a mail we sent the sender, named in
    /// `In-Reply-To`/`References` (mail ids are random, so only a recipient knows one); the
    /// subject tag when the receiving mail server vouches for the sender's domain
    /// (`InboundMail::sender_authenticated`). An address of ours that does not verify is
    /// tampering, whatever the other headers say.
    pub(super) async fn proof_of(&self, mail: &InboundMail, from: &str) -> Result<Proof, ServiceError> {
        let secret = &self.settings.mail_secret;
        let domain = &self.settings.mail_domain;
        let addresses: Vec<ReplyAddress> = mail
            .recipients
            .iter()
            .map(|r| read_reply_address(secret, domain, r))
            .filter(|a| *a != ReplyAddress::NotOurs)
            .collect();
        if addresses.contains(&ReplyAddress::Tampered) {
            return Ok(Proof::Tampered);
        }
        if let Some(first) = addresses.first() {
            let mine = addresses.iter().find(|a| a.issued_to(secret, from));
            let ReplyAddress::Ticket { ticket_id, .. } = mine.unwrap_or(first) else {
                return Ok(Proof::Tampered);
            };
            return Ok(match self.ticket_if_any(ticket_id).await? {
                None => Proof::Tampered,
                Some(ticket) if mine.is_some() => Proof::Token(ticket),
                Some(ticket) => Proof::IssuedToAnother(ticket),
            });
        }
        for id in &mail.thread_ids {
            let Some(OurMessage {
                ticket_id,
                mail_id: Some(mail_id),
            }) = our_message(id, domain)
            else {
                continue;
            };
            if self.mail_went_to(&ticket_id, &mail_id, from).await? {
                if let Some(ticket) = self.ticket_if_any(&ticket_id).await? {
                    return Ok(Proof::Thread(ticket));
                }
            }
        }
        if mail.sender_authenticated(self.settings.mail_authserv_id.as_deref()) {
            if let Some(ticket) = self.ticket_of_subject_tag(&mail.subject).await? {
                return Ok(Proof::AuthenticatedTag(ticket));
            }
        }
        Ok(Proof::Unproven)
    }

    /// The ticket an automatic reply or a bounce names by a reply address or Message-ID of
    /// ours: such mail is only recorded, so nothing about its sender needs proving; the
    /// subject tag is not read, since numbers can be counted through.
    pub(super) async fn ticket_named_by(&self, mail: &InboundMail) -> Result<Option<Loaded<Ticket>>, ServiceError> {
        let secret = &self.settings.mail_secret;
        let domain = &self.settings.mail_domain;
        let by_address = mail
            .recipients
            .iter()
            .find_map(|r| match read_reply_address(secret, domain, r) {
                ReplyAddress::Ticket { ticket_id, .. } => Some(ticket_id),
                _ => None,
            });
        let by_thread = || {
            mail.thread_ids
                .iter()
                .find_map(|id| our_message(id, domain))
                .map(|m| m.ticket_id)
        };
        match by_address.or_else(by_thread) {
            Some(id) => self.ticket_if_any(&id).await,
            None => Ok(None),
        }
    }

    async fn ticket_of_subject_tag(&self, subject: &str) -> Result<Option<Loaded<Ticket>>, ServiceError> {
        for number in subject_tags(subject) {
            let Some((company, _)) = number.rsplit_once('-') else {
                continue;
            };
            let Some(found) = self
                .get_record::<NumberRecord>(&store::company_pk(company), &store::number_sk(&number))
                .await?
            else {
                continue;
            };
            if let Some(ticket) = self.ticket_if_any(&found.record.ticket_id).await? {
                return Ok(Some(ticket));
            }
        }
        Ok(None)
    }
}
