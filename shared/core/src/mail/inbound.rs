//! Reading one inbound message: who sent it, what it answers, what kind of mail it is
//! (a person's reply, an auto-reply, a bounce), its text and its attachments (the new text
//! without the quoted history is `quotes::new_text`). Pure: `services::mail::inbound` decides what to do.

use mail_parser::{HeaderValue, MessageParser, MimeHeaders};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundAttachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A delivery status notification (RFC 3464), or what passes for one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounce {
    /// The addresses that could not be reached.
    pub recipients: Vec<String>,
    /// 5.x.x or `Action: failed`: the address will not work later either.
    pub permanent: bool,
    pub detail: String,
    /// Message-IDs quoted from the mail that bounced: ours name its ticket and mail.
    pub original_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Nature {
    /// Written by a person: it joins the conversation.
    Person,
    /// Out-of-office and other automatic answers: kept, never acted on.
    AutoReply(String),
    Bounce(Bounce),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMail {
    pub message_id: Option<String>,
    /// The sender's address, in lower case.
    pub from: Option<String>,
    pub from_name: Option<String>,
    /// To, Cc, Delivered-To and X-Original-To: where our reply token may be.
    pub recipients: Vec<String>,
    pub subject: String,
    /// In-Reply-To first, then References, newest first.
    pub thread_ids: Vec<String>,
    pub nature: Nature,
    /// The whole text body (an HTML-only mail converted to text).
    pub text: String,
    pub attachments: Vec<InboundAttachment>,
    /// Why the receiving side distrusts the mail (SES's spam or virus verdict, a DMARC
    /// failure of the sender's domain): such mail is held, never acted on.
    pub distrust: Option<String>,
    /// The topmost `Authentication-Results` header (RFC 8601): the one the receiving server
    /// added last, above any the sender wrote.
    pub authentication_results: Option<String>,
}

impl InboundMail {
    /// Whether the receiving mail server `authserv_id` vouches for the sender's domain: its
    /// `Authentication-Results`, the topmost header, says DKIM passed for the From domain
    /// and DMARC passed for it (no DMARC record gives `none`, which is no pass). A header
    /// the sender wrote sits below the receiver's, and one naming another server counts for
    /// nothing.
    pub fn sender_authenticated(&self, authserv_id: Option<&str>) -> bool {
        let (Some(trusted), Some(results), Some(from)) = (authserv_id, &self.authentication_results, &self.from) else {
            return false;
        };
        let Some(domain) = from.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()) else {
            return false;
        };
        let mut parts = results.split(';');
        let server = parts.next().unwrap_or("").split_whitespace().next().unwrap_or("");
        if !server.eq_ignore_ascii_case(trusted) {
            return false;
        }
        let (mut dkim, mut dmarc) = (false, false);
        for part in parts {
            let words: Vec<String> = part.split_whitespace().map(|w| w.to_ascii_lowercase()).collect();
            let Some(first) = words.first() else { continue };
            let property = |name: &str| {
                words
                    .iter()
                    .find_map(|w| w.strip_prefix(name))
                    .map(|v| v.trim_start_matches('@').trim_end_matches(';').to_string())
            };
            match first.as_str() {
                "dkim=pass" => {
                    let signer = property("header.d=").or_else(|| property("header.i="));
                    dkim |= signer.is_some_and(|d| d == domain || d.ends_with(&format!("@{domain}")));
                }
                "dmarc=pass" => dmarc |= property("header.from=").is_some_and(|d| d == domain),
                _ => {}
            }
        }
        dkim && dmarc
    }
}

fn text_list(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

fn header_text(message: &mail_parser::Message<'_>, name: &str) -> Option<String> {
    message.header_raw(name).map(|v| v.trim().to_string())
}

/// Parses a raw RFC 5322 message; `None` when it is not a mail at all.
pub fn read(raw: &[u8]) -> Option<InboundMail> {
    let message = MessageParser::default().parse(raw)?;
    // A message with no headers at all is not mail (mail-parser accepts almost anything).
    message.headers().first()?;
    let from_addr = message.from().and_then(|a| a.first());
    let from = from_addr
        .and_then(|a| a.address())
        .map(|a| a.trim().to_ascii_lowercase())
        .filter(|a| a.contains('@'));
    let from_name = from_addr.and_then(|a| a.name()).map(str::to_string);
    let mut recipients: Vec<String> = Vec::new();
    for list in [message.to(), message.cc()].into_iter().flatten() {
        recipients.extend(list.iter().filter_map(|a| a.address()).map(str::to_string));
    }
    for name in ["Delivered-To", "X-Original-To"] {
        for header in message.headers().iter().filter(|h| h.name().eq_ignore_ascii_case(name)) {
            if let Some(text) = header.value().as_text() {
                recipients.push(text.trim().trim_matches(['<', '>']).to_string());
            }
        }
    }
    let mut thread_ids = text_list(message.in_reply_to());
    let mut references = text_list(message.references());
    references.reverse();
    thread_ids.extend(references);
    let subject = message.subject().unwrap_or("").to_string();
    let html_only = message.text_part(0).is_some_and(|part| part.is_text_html());
    let text = match message.text_part(0).and_then(|part| part.text_contents()) {
        Some(html) if html_only => mail_parser::decoders::html::html_to_text(without_quoted_html(html)),
        _ => message.body_text(0).map(|t| t.to_string()).unwrap_or_default(),
    }
    .replace("\r\n", "\n");
    let nature = match bounce_of(&message, from.as_deref()) {
        Some(bounce) => Nature::Bounce(bounce),
        None => match auto_reply_reason(&message, &subject) {
            Some(reason) => Nature::AutoReply(reason),
            None => Nature::Person,
        },
    };
    let attachments = match nature {
        // A bounce's "attachments" are the report and the returned mail: not the user's files.
        Nature::Bounce(_) => Vec::new(),
        _ => message
            .attachments()
            .filter(|part| !part.is_message())
            .map(|part| InboundAttachment {
                filename: part.attachment_name().unwrap_or("attachment").to_string(),
                content_type: part
                    .content_type()
                    .map(|ct| match ct.subtype() {
                        Some(sub) => format!("{}/{}", ct.ctype(), sub),
                        None => ct.ctype().to_string(),
                    })
                    .unwrap_or_else(|| "application/octet-stream".into())
                    .to_ascii_lowercase(),
                bytes: part.contents().to_vec(),
            })
            .collect(),
    };
    let distrust = distrust_of(&message);
    let authentication_results = message
        .headers()
        .iter()
        .find(|h| h.name().eq_ignore_ascii_case("Authentication-Results"))
        .and_then(|h| h.value().as_text())
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "));
    Some(InboundMail {
        distrust,
        authentication_results,
        message_id: message.message_id().map(str::to_string),
        from,
        from_name,
        recipients,
        subject,
        thread_ids,
        nature,
        text,
        attachments,
    })
}

/// An HTML-only reply, cut where the clients put the quoted mail (Gmail's quote block,
/// Outlook's reply header, any blockquote): the conversion to text loses those bounds.
fn without_quoted_html(html: &str) -> &str {
    const QUOTE_STARTS: &[&str] = &[
        "<div class=\"gmail_quote",
        "<div id=\"divRplyFwdMsg",
        "<div id=\"appendonsend",
        "<div class=\"moz-cite-prefix",
        "<div class=\"yahoo_quoted",
        "<blockquote",
    ];
    let lower = html.to_ascii_lowercase();
    let cut = QUOTE_STARTS
        .iter()
        .filter_map(|marker| lower.find(&marker.to_ascii_lowercase()))
        .min()
        .unwrap_or(html.len());
    &html[..cut]
}

/// SES's receipt rule (with scanning on) adds its verdicts and the authentication results to
/// the stored message; a forged From that fails DMARC, spam or a virus is not a reply.
fn distrust_of(message: &mail_parser::Message<'_>) -> Option<String> {
    for name in ["X-SES-Virus-Verdict", "X-SES-Spam-Verdict"] {
        if let Some(value) = header_text(message, name) {
            if value.eq_ignore_ascii_case("FAIL") {
                return Some(format!("{name}: FAIL"));
            }
        }
    }
    message
        .headers()
        .iter()
        .filter(|h| h.name().eq_ignore_ascii_case("Authentication-Results"))
        .filter_map(|h| h.value().as_text())
        .find(|v| v.to_ascii_lowercase().contains("dmarc=fail"))
        .map(|_| "the sender's domain failed DMARC".to_string())
}

fn auto_reply_reason(message: &mail_parser::Message<'_>, subject: &str) -> Option<String> {
    if let Some(value) = header_text(message, "Auto-Submitted") {
        if !value.eq_ignore_ascii_case("no") {
            return Some(format!("Auto-Submitted: {value}"));
        }
    }
    for name in ["X-Autoreply", "X-Autorespond", "X-Autoresponder"] {
        if message.header_raw(name).is_some() {
            return Some(format!("{name} header"));
        }
    }
    if let Some(value) = header_text(message, "Precedence") {
        if ["bulk", "junk", "list", "auto_reply"].contains(&value.to_ascii_lowercase().as_str()) {
            return Some(format!("Precedence: {value}"));
        }
    }
    super::quotes::auto_reply_subject(subject).map(|p| format!("subject starts with \"{p}\""))
}

fn bounce_of(message: &mail_parser::Message<'_>, from: Option<&str>) -> Option<Bounce> {
    let is_report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart") && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    let daemon = from.is_some_and(|f| {
        let local = f.split('@').next().unwrap_or("");
        local == "mailer-daemon" || local == "postmaster"
    });
    if !is_report && !daemon {
        return None;
    }
    let mut bounce = Bounce {
        recipients: Vec::new(),
        permanent: false,
        detail: String::new(),
        original_ids: Vec::new(),
    };
    // The report's fields (RFC 3464: a per-message group, then one group per recipient) and
    // the returned headers sit in the message's parts. Fields may be folded over several
    // lines, by the MTA or by the mail servers that relayed the report.
    for part in message.parts.iter().skip(1) {
        let contents = String::from_utf8_lossy(part.contents()).replace("\r\n", "\n");
        for (name, value) in unfolded_fields(&contents) {
            match name.to_ascii_lowercase().as_str() {
                "final-recipient" | "original-recipient" => {
                    let address = value.rsplit(';').next().unwrap_or(&value).trim();
                    let address = address.trim_matches(['<', '>']).to_ascii_lowercase();
                    if address.contains('@') && !bounce.recipients.contains(&address) {
                        bounce.recipients.push(address);
                    }
                }
                "action" if value.eq_ignore_ascii_case("failed") => bounce.permanent = true,
                "status" if value.starts_with('5') => bounce.permanent = true,
                // The whole diagnostic, however long: it is what staff read to act on.
                "diagnostic-code" if bounce.detail.is_empty() => bounce.detail = value,
                "message-id" => bounce.original_ids.push(value),
                _ => {}
            }
        }
    }
    if bounce.detail.is_empty() {
        bounce.detail = message.subject().unwrap_or("delivery failed").to_string();
    }
    Some(bounce)
}

/// `Name: value` fields of a text, each continuation line (starting with a space or tab)
/// joined to its field with one space (RFC 5322 unfolding).
fn unfolded_fields(text: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let (true, Some((_, value))) = (open, fields.last_mut()) {
                let more = line.trim();
                if !more.is_empty() {
                    if !value.is_empty() {
                        value.push(' ');
                    }
                    value.push_str(more);
                }
            }
            continue;
        }
        open = false;
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty() || name.contains(' ') {
            continue;
        }
        fields.push((name.to_string(), value.trim().to_string()));
        open = true;
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail_with(headers: &str) -> InboundMail {
        let raw = format!("{headers}From: Ada <ada@acme.test>\r\nTo: support@claimdesk.test\r\nSubject: [ACME-000001] Hi\r\n\r\nHello\r\n");
        read(raw.as_bytes()).expect("a mail")
    }

    #[test]
    fn only_the_receiving_servers_verdict_authenticates_a_sender() {
        let pass = "Authentication-Results: mx.test;\r\n spf=pass smtp.mailfrom=acme.test;\r\n dkim=pass header.i=@acme.test;\r\n dmarc=pass header.from=acme.test;\r\n";
        assert!(mail_with(pass).sender_authenticated(Some("mx.test")));
        assert!(mail_with(pass).sender_authenticated(Some("MX.TEST")));
        // Nobody trusted, or another server's word.
        assert!(!mail_with(pass).sender_authenticated(None));
        assert!(!mail_with(pass).sender_authenticated(Some("amazonses.com")));
        // A header the sender wrote sits below the receiver's own, which decides.
        let forged_below =
            format!("Authentication-Results: mx.test; dkim=none; dmarc=none header.from=acme.test\r\n{pass}");
        assert!(!mail_with(&forged_below).sender_authenticated(Some("mx.test")));
        // No DMARC record is no pass; DKIM of another domain is no pass; both are needed.
        for results in [
            "mx.test; dkim=pass header.d=acme.test; dmarc=none header.from=acme.test",
            "mx.test; dkim=pass header.d=evil.test; dmarc=pass header.from=acme.test",
            "mx.test; dkim=pass header.d=acme.test",
            "mx.test; dmarc=pass header.from=acme.test",
            "mx.test; dkim=fail header.d=acme.test; dmarc=pass header.from=acme.test",
        ] {
            let mail = mail_with(&format!("Authentication-Results: {results}\r\n"));
            assert!(!mail.sender_authenticated(Some("mx.test")), "{results}");
        }
        let by_d = mail_with(
            "Authentication-Results: mx.test; dkim=pass header.d=acme.test; dmarc=pass header.from=acme.test\r\n",
        );
        assert!(by_d.sender_authenticated(Some("mx.test")));
    }

    #[test]
    fn folded_report_fields_are_read_whole() {
        let text = "Final-Recipient: rfc822;\n  ada@acme.test\nDiagnostic-Code: smtp; 550-5.1.1 The email account that you tried\n    to reach does not exist. Please try\n\tdouble-checking the address.\nMessage-ID:\n <m_1.t_2@claimdesk.test>\n";
        let fields = unfolded_fields(text);
        assert_eq!(fields[0], ("Final-Recipient".into(), "rfc822; ada@acme.test".into()));
        assert_eq!(
            fields[1].1,
            "smtp; 550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the address."
        );
        assert_eq!(fields[2], ("Message-ID".into(), "<m_1.t_2@claimdesk.test>".into()));
    }
}
