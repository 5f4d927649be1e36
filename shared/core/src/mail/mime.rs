//! A [`Mail`] as bytes on the wire (RFC 5322, multipart text + HTML), built with
//! `mail-builder`. Both engines send exactly these bytes: the local one writes them to a
//! folder, the AWS one hands them to SES as a raw message.

use crate::ports::Mail;
use mail_builder::headers::raw::Raw;
use mail_builder::MessageBuilder;

/// The header that names a mail's kind (`ticket_received`, `reply` …), for mail filters
/// and for tests that read mail back.
pub const KIND_HEADER: &str = "X-Claimdesk-Kind";

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

/// The bare address of a mailbox, as SES wants it for the envelope sender.
pub fn address_of(mailbox_text: &str) -> String {
    mailbox(mailbox_text).1
}

pub fn render(mail: &Mail) -> std::io::Result<Vec<u8>> {
    let (from_name, from_addr) = mailbox(&mail.from);
    let mut builder = MessageBuilder::new()
        .from((from_name, from_addr))
        .to(mail.to.clone())
        .subject(mail.subject.clone())
        .message_id(bare_id(&mail.message_id))
        .header("Auto-Submitted", Raw::new("auto-generated"))
        .header(KIND_HEADER, Raw::new(mail.kind.clone()))
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
