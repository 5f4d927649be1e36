//! Attachments: the client asks for an upload URL, sends the bytes there, and only a file
//! that arrived within the ticket's 20 MB total is listed.

use crate::domain::ids::TicketId;
use crate::domain::ticket::{check_content_type, clean_filename, Attachment, AttachmentState, AttachmentView, Ticket};
use crate::domain::validate::Invalid;
use crate::domain::{access, guest};
use crate::ports::{Download, UploadRequest, UploadTarget, Write};
use crate::services::commit::{kept_changing, Commit, Replans};
use crate::services::problems::ProblemKind;
use crate::services::{item_of, new_id, new_secret, Core, Loaded, Plan, ServiceError, Viewer};
use crate::store;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadDraft {
    #[schema(required, value_type = String, min_length = 1, pattern = "\\S")]
    pub filename: Option<String>,
    /// A media type such as application/pdf; application/octet-stream when absent.
    #[schema(max_length = 100, pattern = "^\\s*[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+\\s*$")]
    pub content_type: Option<String>,
    /// Bytes; a ticket holds at most 20 MB of attachments in all (413 beyond what is left).
    #[serde(default, deserialize_with = "crate::domain::validate::whole_number")]
    #[schema(required, value_type = u64, minimum = 1, maximum = 20971520)]
    pub size: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UploadGranted {
    pub attachment: AttachmentView,
    pub upload: UploadTarget,
}

impl UploadDraft {
    /// The file's cleaned name, its media type and its size in bytes.
    pub fn check(&self) -> Result<(String, String, u64), Invalid> {
        let filename = clean_filename(self.filename.as_deref().unwrap_or(""))?;
        let content_type = check_content_type(self.content_type.as_deref().unwrap_or("application/octet-stream"))?;
        let size = self.size.ok_or_else(|| Invalid::new("size", "is required (bytes)"))?;
        if size == 0 {
            return Err(Invalid::new("size", "must be at least 1 byte"));
        }
        Ok((filename, content_type, size))
    }
}

pub(crate) fn size_mismatch(size: u64, declared: u64) -> ServiceError {
    ServiceError::TooLarge {
        field: "size",
        detail: format!("the upload was {size} bytes but {declared} were declared"),
    }
}

pub(crate) fn upload_used() -> ServiceError {
    ServiceError::conflict(ProblemKind::UploadUsed, "this upload URL was already used")
}

/// Whether confirming an upload was this call's doing or had happened before.
pub(crate) enum Arrival<T> {
    Now(T),
    Already(T),
}

pub fn attachment_item(attachment: &Attachment) -> crate::ports::Item {
    item_of(
        store::ticket_pk(&attachment.ticket_id),
        store::attachment_sk(&attachment.id),
        attachment,
    )
}

impl Core {
    /// 413 for a file that would take its ticket or article (`holder`) over the limit.
    pub(crate) fn limit_problem(&self, holder: &str, used: u64) -> ServiceError {
        let limit = self.settings.attachment_limit_bytes;
        ServiceError::TooLarge {
            field: "size",
            detail: format!(
                "{holder} holds at most {} MB of attachments; {} bytes are used and {} remain",
                limit / (1024 * 1024),
                used,
                limit.saturating_sub(used)
            ),
        }
    }

    pub async fn plan_upload(
        &self,
        loaded: &Loaded<Ticket>,
        viewer: &Viewer,
        draft: &UploadDraft,
    ) -> Result<Plan<UploadGranted>, ServiceError> {
        let ticket = &loaded.record;
        if !ticket.lifecycle.status.is_open() {
            return Err(ServiceError::conflict(
                ProblemKind::TicketClosed,
                "attachments cannot be added to a closed ticket",
            ));
        }
        let (filename, content_type, size) = draft.check()?;
        if ticket.attachment_bytes.saturating_add(size) > self.settings.attachment_limit_bytes {
            return Err(self.limit_problem("a ticket", ticket.attachment_bytes));
        }
        let now = self.now();
        let id = new_id("att");
        let blob_key = format!("tickets/{}/{id}", ticket.id);
        let (upload, token_hash) = self
            .upload_url(&blob_key, &ticket.id, &id, &content_type, size, now)
            .await?;
        let attachment = Attachment {
            blob_key,
            id: id.clone(),
            ticket_id: ticket.id.clone(),
            filename,
            content_type: content_type.clone(),
            declared_size: size,
            size: None,
            state: AttachmentState::Pending,
            uploaded_by: viewer.email.clone(),
            uploaded_side: viewer.side,
            upload_token_hash: token_hash,
            created_at: now,
        };
        let item = item_of(store::ticket_pk(&ticket.id), store::attachment_sk(&id), &attachment);
        Ok(Plan::new(
            vec![Write::create(item)],
            UploadGranted {
                attachment: AttachmentView::from(&attachment),
                upload,
            },
        ))
    }

    /// The local engine's upload endpoint: checks the token and the size, stores the bytes,
    /// then confirms. On AWS the bytes go to S3 and the ObjectCreated event confirms.
    ///
    /// Several PUTs to one upload URL at once: each writes its own file, and confirming is
    /// the claim that also points the record at that file, so exactly one upload wins and the
    /// stored bytes are its own; the others get 409 `upload-used` and their files go.
    pub async fn receive_upload(
        &self,
        ticket_id: &TicketId,
        attachment_id: &str,
        token: &str,
        bytes: &[u8],
    ) -> Result<Attachment, ServiceError> {
        let attachment = self
            .get_record::<Attachment>(&store::ticket_pk(ticket_id), &store::attachment_sk(attachment_id))
            .await?
            .ok_or(ServiceError::NotFound("upload"))?
            .record;
        if !self.upload_token_opens(token, &attachment.upload_token_hash, attachment.created_at) {
            return Err(ServiceError::NotFound("upload"));
        }
        if attachment.state != AttachmentState::Pending {
            return Err(upload_used());
        }
        if bytes.len() as u64 != attachment.declared_size {
            return Err(size_mismatch(bytes.len() as u64, attachment.declared_size));
        }
        self.store_then_claim(&attachment.blob_key, bytes, |own_key| async move {
            self.confirm_arrival(ticket_id, attachment_id, bytes.len() as u64, Some(&own_key))
                .await
        })
        .await
    }

    /// A one-time upload URL for `key` (a file of the ticket or article `owner`), bound to
    /// the declared size and type and valid `upload_minutes` from `now`; and the hash of
    /// its token, which the pending record keeps (the local engine's target checks it).
    pub(crate) async fn upload_url(
        &self,
        key: &str,
        owner: &str,
        file_id: &str,
        content_type: &str,
        size: u64,
        now: DateTime<Utc>,
    ) -> Result<(UploadTarget, String), ServiceError> {
        let (token, token_hash) = new_secret();
        let target = self
            .blobs
            .upload_target(&UploadRequest {
                key,
                owner,
                attachment_id: file_id,
                token: &token,
                content_type,
                size,
                expires_at: now + Duration::minutes(self.settings.upload_minutes),
                valid_for: std::time::Duration::from_secs(60 * self.settings.upload_minutes.max(1) as u64),
            })
            .await?;
        Ok((target, token_hash))
    }

    /// Whether an upload URL's token is the one granted, within its lifetime.
    pub(crate) fn upload_token_opens(&self, token: &str, token_hash: &str, granted_at: DateTime<Utc>) -> bool {
        let expired = granted_at + Duration::minutes(self.settings.upload_minutes) < self.now();
        guest::looks_like_key(token) && guest::hash_key(token) == token_hash && !expired
    }

    /// The local engine's half of an upload: the bytes go to a key of their own (beside the
    /// granted one), then `claim` tries to point the pending record at them. A lost claim
    /// (the upload was used) or a failure deletes them; a refusal has deleted them already.
    pub(crate) async fn store_then_claim<T, F, Fut>(
        &self,
        granted_key: &str,
        bytes: &[u8],
        claim: F,
    ) -> Result<T, ServiceError>
    where
        F: FnOnce(String) -> Fut,
        Fut: std::future::Future<Output = Result<Arrival<T>, ServiceError>>,
    {
        let own_key = format!("{granted_key}-{}", new_id("up"));
        self.blobs.put(&own_key, bytes).await?;
        match claim(own_key.clone()).await {
            Ok(Arrival::Now(record)) => Ok(record),
            Ok(Arrival::Already(_)) => {
                self.blobs.delete(&own_key).await?;
                Err(upload_used())
            }
            Err(e) => {
                if !matches!(e, ServiceError::TooLarge { .. }) {
                    self.blobs.delete(&own_key).await?;
                }
                Err(e)
            }
        }
    }

    /// Records that an attachment's bytes arrived (S3's ObjectCreated event), adding them to
    /// the ticket's total in the same write. A file over the limit is deleted and marked
    /// refused, never listed. An event delivered twice finds the attachment done: Ok.
    pub async fn confirm_upload(
        &self,
        ticket_id: &TicketId,
        attachment_id: &str,
        size: u64,
    ) -> Result<Attachment, ServiceError> {
        match self.confirm_arrival(ticket_id, attachment_id, size, None).await? {
            Arrival::Now(attachment) | Arrival::Already(attachment) => Ok(attachment),
        }
    }

    /// The claim of a pending attachment by the bytes that arrived: one conditional write of
    /// the attachment (state, size, and `blob_key` when the bytes are elsewhere than the
    /// grant said) with the ticket's total. Whoever finds it no longer pending did not win.
    async fn confirm_arrival(
        &self,
        ticket_id: &TicketId,
        attachment_id: &str,
        size: u64,
        blob_key: Option<&str>,
    ) -> Result<Arrival<Attachment>, ServiceError> {
        let mut replans = Replans::start();
        loop {
            let loaded = self.load_ticket(ticket_id).await?;
            let Some(att) = self
                .get_record::<Attachment>(&store::ticket_pk(ticket_id), &store::attachment_sk(attachment_id))
                .await?
            else {
                return Err(ServiceError::NotFound("upload"));
            };
            let mut attachment = att.record;
            if attachment.state != AttachmentState::Pending {
                return Ok(Arrival::Already(attachment));
            }
            if let Some(key) = blob_key {
                attachment.blob_key = key.to_string();
            }
            let mut ticket = loaded.record.clone();
            // The upload is bound to the declared size; a different size is refused, like a
            // file that would take the ticket over its limit.
            let refusal = if size != attachment.declared_size {
                Some(size_mismatch(size, attachment.declared_size))
            } else if ticket.attachment_bytes.saturating_add(size) > self.settings.attachment_limit_bytes {
                Some(self.limit_problem("a ticket", ticket.attachment_bytes))
            } else {
                None
            };
            attachment.size = Some(size);
            attachment.state = match refusal {
                Some(_) => AttachmentState::Refused,
                None => AttachmentState::Stored,
            };
            let att_item = item_of(
                store::ticket_pk(ticket_id),
                store::attachment_sk(attachment_id),
                &attachment,
            );
            let mut writes = vec![Write::replace(att_item, att.version)];
            if refusal.is_none() {
                ticket.attachment_bytes += size;
                ticket.updated_at = self.now();
                writes.push(self.ticket_write(&mut ticket, loaded.version));
            }
            match (self.commit(writes).await?, refusal) {
                (Commit::Done, Some(refusal)) => {
                    self.blobs.delete(&attachment.blob_key).await?;
                    return Err(refusal);
                }
                (Commit::Done, None) => return Ok(Arrival::Now(attachment)),
                (Commit::Lost, _) if replans.again().await => continue,
                (Commit::Lost, _) => return Err(kept_changing("the ticket kept changing; try again")),
            }
        }
    }

    /// A file's bytes for a reader who may see it (`access::sees_attachment`); for the
    /// customer side that takes one more read, of the messages that may name it.
    pub async fn download(
        &self,
        loaded: &Loaded<Ticket>,
        viewer: &Viewer,
        attachment_id: &str,
    ) -> Result<(Attachment, Download), ServiceError> {
        let attachment = self
            .get_record::<Attachment>(
                &store::ticket_pk(&loaded.record.id),
                &store::attachment_sk(attachment_id),
            )
            .await?
            .map(|l| l.record)
            .filter(|a| a.state != AttachmentState::Refused)
            .ok_or(ServiceError::NotFound("attachment"))?;
        if !access::sees_internal_notes(viewer.side) {
            let messages = self.messages_of(&loaded.record.id).await?;
            if !access::sees_attachment(viewer.side, &attachment, &messages) {
                return Err(ServiceError::NotFound("attachment"));
            }
        }
        // Granted but not arrived: a state of its own, so a client can wait and retry.
        if attachment.state == AttachmentState::Pending {
            return Err(ServiceError::conflict(
                ProblemKind::AttachmentPending,
                "the file has not arrived yet; try again once its upload is done",
            ));
        }
        let download = self
            .blobs
            .download(&attachment.blob_key, &attachment.filename)
            .await?
            .ok_or(ServiceError::NotFound("attachment"))?;
        Ok((attachment, download))
    }
}
