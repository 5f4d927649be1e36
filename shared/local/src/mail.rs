//! Mail on one machine: each mail becomes an RFC 5322 `.eml` file in the outbox folder,
//! built with `mail-builder` exactly as it would be handed to SES.

use async_trait::async_trait;
use claimdesk_core::ports::{DeliveryError, Mail, Mailer};
use mail_builder::MessageBuilder;
use std::path::{Path, PathBuf};

pub struct EmlOutbox {
    dir: PathBuf,
}

impl EmlOutbox {
    pub fn new(dir: &Path) -> std::io::Result<EmlOutbox> {
        std::fs::create_dir_all(dir)?;
        Ok(EmlOutbox { dir: dir.to_path_buf() })
    }
}

/// "Name <addr>" → (name, addr); a bare address stays as it is.
fn mailbox(text: &str) -> (String, String) {
    match text.split_once('<') {
        Some((name, rest)) => (
            name.trim().trim_matches('"').to_string(),
            rest.trim_end_matches('>').trim().to_string(),
        ),
        None => (String::new(), text.trim().to_string()),
    }
}

fn bare_id(id: &str) -> String {
    id.trim().trim_start_matches('<').trim_end_matches('>').to_string()
}

/// The mail as bytes on the wire.
pub fn render(mail: &Mail) -> std::io::Result<Vec<u8>> {
    let (from_name, from_addr) = mailbox(&mail.from);
    let mut builder = MessageBuilder::new()
        .from((from_name, from_addr))
        .to(mail.to.clone())
        .subject(mail.subject.clone())
        .message_id(bare_id(&mail.message_id))
        .header("Auto-Submitted", mail_builder::headers::raw::Raw::new("auto-generated"))
        .text_body(mail.text.clone())
        .html_body(mail.html.clone());
    if let Some(thread) = &mail.thread_id {
        builder = builder.in_reply_to(bare_id(thread)).references(bare_id(thread));
    }
    if let Some(reply_to) = &mail.reply_to {
        builder = builder.reply_to(reply_to.clone());
    }
    builder.write_to_vec()
}

#[async_trait]
impl Mailer for EmlOutbox {
    async fn send(&self, mail: &Mail) -> Result<(), DeliveryError> {
        let bytes = render(mail).map_err(|e| DeliveryError(e.to_string()))?;
        // The id makes the name unique; writing the same mail twice overwrites, never doubles.
        let name = format!("{}-{}.eml", mail.kind, mail.id);
        let partial = self.dir.join(format!(".{name}.part"));
        tokio::fs::write(&partial, bytes)
            .await
            .map_err(|e| DeliveryError(e.to_string()))?;
        tokio::fs::rename(&partial, self.dir.join(name))
            .await
            .map_err(|e| DeliveryError(e.to_string()))
    }
}
