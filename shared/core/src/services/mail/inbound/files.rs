//! A mail's files: stored before the transaction that may name them, deleted again if it
//! never lands.

use crate::domain::ids::TicketId;
use crate::domain::lifecycle::Side;
use crate::domain::ticket::{check_content_type, clean_filename, Attachment, AttachmentState};
use crate::mail::inbound::InboundAttachment;
use crate::services::{new_id, Core, ServiceError};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Default)]
pub(super) struct Kept {
    pub(super) kept: Vec<KeptFile>,
    pub(super) refused: Vec<NotKept>,
}

/// A mail's file whose bytes are stored; it becomes an attachment of the ticket the mail
/// is decided to be for.
#[derive(Debug, Clone)]
pub(super) struct KeptFile {
    pub(super) id: String,
    pub(super) filename: String,
    pub(super) content_type: String,
    pub(super) size: u64,
    /// Under the id alone: the ticket is decided later and may be a new case.
    pub(super) blob_key: String,
    pub(super) kept_at: DateTime<Utc>,
}

impl KeptFile {
    /// The file as an attachment of `ticket_id`, sent by `sender` from `side`.
    pub(super) fn attachment(&self, ticket_id: &TicketId, sender: &str, side: Side) -> Attachment {
        Attachment {
            id: self.id.clone(),
            ticket_id: ticket_id.clone(),
            filename: self.filename.clone(),
            content_type: self.content_type.clone(),
            declared_size: self.size,
            size: Some(self.size),
            state: AttachmentState::Stored,
            uploaded_by: sender.to_string(),
            uploaded_side: side,
            blob_key: self.blob_key.clone(),
            upload_token_hash: String::new(),
            created_at: self.kept_at,
        }
    }
}

/// A file of a mail that the ticket did not take, and why: the sender is mailed the list.
#[derive(Debug, Clone, Serialize)]
pub(super) struct NotKept {
    pub(super) name: String,
    pub(super) reason: String,
}

impl Core {
    /// Stores a mail's files before the transaction (bytes cannot go into it); records for
    /// them are written only with the message, and the bytes are deleted if it never lands.
    pub(super) async fn keep_files(&self, files: &[InboundAttachment]) -> Result<Kept, ServiceError> {
        let mut kept = Kept::default();
        for (n, file) in files.iter().enumerate() {
            let filename = clean_filename(&file.filename).unwrap_or_else(|_| format!("attachment-{}", n + 1));
            let content_type =
                check_content_type(&file.content_type).unwrap_or_else(|_| "application/octet-stream".into());
            if file.bytes.is_empty() {
                kept.refused.push(NotKept {
                    name: filename,
                    reason: "it is empty".into(),
                });
                continue;
            }
            let id = new_id("att");
            let blob_key = format!("mail/{id}");
            self.blobs.put(&blob_key, &file.bytes).await?;
            kept.kept.push(KeptFile {
                id,
                filename,
                content_type,
                size: file.bytes.len() as u64,
                blob_key,
                kept_at: self.now(),
            });
        }
        Ok(kept)
    }

    pub(super) async fn forget_files(&self, files: &Kept) {
        for file in &files.kept {
            if let Err(e) = self.blobs.delete(&file.blob_key).await {
                tracing::warn!(key = %file.blob_key, error = %e, "could not delete an unused mail attachment");
            }
        }
    }
}
