//! Sharing a ticket beyond its company: collaborators added by email (seed 002) and the
//! guest key mailed to the submitter (seed 003); and following a case one may read.

use crate::domain::access;
use crate::domain::guest;
use crate::domain::ids::TicketId;
use crate::domain::lifecycle::Side;
use crate::domain::roles::Identity;
use crate::domain::ticket::{Collaborator, Ticket};
use crate::domain::validate;
use crate::mail::templates::MailKind;
use crate::ports::{Index, Query, SortKey, Write};
use crate::services::mail::notify::Outbox;
use crate::services::problems::ProblemKind;
use crate::services::tickets::GuestKeyRecord;
use crate::services::{item_of, Core, Loaded, Plan, ServiceError, Viewer};
use crate::store;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CollaboratorDraft {
    #[schema(required, value_type = String, format = Email)]
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GuestKeysRevoked {
    pub revoked: usize,
}

/// Whether the caller now follows the case.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Following {
    pub following: bool,
}

/// The item that puts a case on its follower's list of followed cases (`view=following`);
/// the ticket's own `followers` is what mail reads.
pub fn follower_item(ticket: &Ticket, email: &str, now: chrono::DateTime<chrono::Utc>) -> crate::ports::Item {
    let mut item = item_of(
        store::ticket_pk(&ticket.id),
        store::follower_sk(email),
        &serde_json::json!({ "email": email.to_ascii_lowercase() }),
    );
    item.gsi1 = Some(crate::ports::IndexKey::new(
        store::following_view(email),
        format!("{}#{}", store::ts(now), ticket.id),
    ));
    item
}

impl Core {
    pub async fn collaborator_emails(&self, ticket_id: &str) -> Result<Vec<String>, ServiceError> {
        let mut query = Query::new(Index::Table, store::ticket_pk(ticket_id));
        query.sort = SortKey::BeginsWith(store::COLLABORATOR_PREFIX.into());
        let page = self.table.query(&query).await?;
        page.items
            .iter()
            .map(|i| Ok(store::from_item::<Collaborator>(i)?.email))
            .collect()
    }

    pub async fn plan_add_collaborator(
        &self,
        who: &Identity,
        loaded: &Loaded<Ticket>,
        draft: &CollaboratorDraft,
    ) -> Result<Plan<Collaborator>, ServiceError> {
        let ticket = &loaded.record;
        if !access::may_add_collaborators(who, ticket) {
            return Err(ServiceError::forbidden(
                ProblemKind::CollaboratorsCannotInvite,
                "collaborators may view and reply, not invite others",
            ));
        }
        let email = validate::email("email", draft.email.as_deref())?;
        // Adding someone twice changes nothing and mails nobody again (a double click, a
        // retried request without an Idempotency-Key).
        if let Some(existing) = self
            .get_record::<Collaborator>(&store::ticket_pk(&ticket.id), &store::collaborator_sk(&email))
            .await?
        {
            return Ok(Plan::new(Vec::new(), existing.record));
        }
        let now = self.now();
        let collaborator = Collaborator {
            ticket_id: ticket.id.clone(),
            email: email.clone(),
            added_by: who.email.to_string(),
            added_at: now,
        };
        let mut item = item_of(
            store::ticket_pk(&ticket.id),
            store::collaborator_sk(&email),
            &collaborator,
        );
        item.gsi1 = Some(crate::ports::IndexKey::new(
            store::collaborator_view(&email),
            format!("{}#{}", store::ts(now), ticket.id),
        ));
        let mut outbox = Outbox::new(self);
        outbox.mail(
            ticket,
            MailKind::CollaboratorInvite,
            &email,
            serde_json::json!({ "inviter": who.display_name() }),
        );
        let mut writes = vec![Write::create(item)];
        writes.extend(outbox.into_writes());
        Ok(Plan::new(writes, collaborator))
    }

    /// Whoever may read a case may follow it, and stop: they are then mailed (and their
    /// bell rings) for its replies and status changes. Following twice changes nothing.
    pub fn plan_follow(
        &self,
        loaded: &Loaded<Ticket>,
        viewer: &Viewer,
        follow: bool,
    ) -> Result<Plan<Following>, ServiceError> {
        let mut ticket = loaded.record.clone();
        let answer = Following { following: follow };
        if !ticket.set_following(&viewer.email, viewer.side, follow)? {
            return Ok(Plan::new(Vec::new(), answer));
        }
        let now = self.now();
        let mut marker = follower_item(&ticket, &viewer.email, now);
        if !follow {
            // Gone at once for reads and lists; the table's TTL deletes it.
            marker.expires_at = Some(now.timestamp());
        }
        // The ticket's version guards both: the marker needs no condition of its own.
        let marker = Write::Put {
            item: marker,
            condition: crate::ports::Condition::None,
        };
        Ok(Plan::new(
            vec![self.ticket_write(&mut ticket, loaded.version), marker],
            answer,
        ))
    }

    /// The guest's view of a ticket: the key must be this ticket's, unexpired and unrevoked.
    /// Every failure is the same 404, so keys cannot be probed.
    pub async fn guest_viewer(
        &self,
        ticket_id: &TicketId,
        key: &str,
    ) -> Result<(Loaded<Ticket>, Viewer), ServiceError> {
        if !guest::looks_like_key(key) {
            return Err(ServiceError::NotFound("ticket"));
        }
        let hash = guest::hash_key(key);
        let loaded = self.load_ticket(ticket_id).await?;
        if !guest::opens(&loaded.record.guest_keys, &hash, self.now()) {
            // A key of a ticket filed before keys were kept on the ticket has its own item.
            let record = self
                .get_record::<GuestKeyRecord>(&store::ticket_pk(ticket_id), &store::guest_sk(&hash))
                .await?
                .ok_or(ServiceError::NotFound("ticket"))?
                .record;
            if record.revoked || record.expires_at <= self.now() || record.ticket_id != *ticket_id {
                return Err(ServiceError::NotFound("ticket"));
            }
        }
        let viewer = Viewer {
            reader: "guest".into(),
            email: loaded.record.contact.email.clone(),
            name: loaded.record.contact.name.clone(),
            side: Side::Customer,
            member: false,
        };
        Ok((loaded, viewer))
    }

    /// Revokes every guest key of a ticket (a forwarded mail, a lost inbox).
    pub async fn plan_revoke_guest_keys(
        &self,
        loaded: &Loaded<Ticket>,
        viewer: &Viewer,
    ) -> Result<Plan<GuestKeysRevoked>, ServiceError> {
        if !viewer.member {
            return Err(ServiceError::forbidden(
                ProblemKind::NotAllowed,
                "only the company's users and support revoke guest keys",
            ));
        }
        let mut writes = Vec::new();
        let mut revoked = 0;
        if !loaded.record.guest_keys.is_empty() {
            let mut ticket = loaded.record.clone();
            let now = self.now();
            revoked += ticket.guest_keys.iter().filter(|k| k.expires_at > now).count();
            ticket.guest_keys.clear();
            writes.push(self.ticket_write(&mut ticket, loaded.version));
        }
        // And the keys of a ticket filed before they were kept on it.
        let mut query = Query::new(Index::Table, store::ticket_pk(&loaded.record.id));
        query.sort = SortKey::BeginsWith(store::GUEST_PREFIX.into());
        let page = self.table.query(&query).await?;
        for item in page.items {
            let mut record: GuestKeyRecord = store::from_item(&item)?;
            if !record.revoked {
                record.revoked = true;
                let mut next = item.clone();
                next.data = store::to_data(&record);
                writes.push(Write::replace(next, item.version));
                revoked += 1;
            }
        }
        Ok(Plan::new(writes, GuestKeysRevoked { revoked }))
    }
}
