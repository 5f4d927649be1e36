//! The addresses and ids that tie a mail to its ticket.
//!
//! - Reply address: `reply+<ticket id>.<tag>@<mail domain>`, where the tag is an HMAC of the
//!   ticket id under the deployment's mail secret. Ticket ids appear in portal URLs; the tag
//!   does not, and nobody can compute it without the secret, so a guessed address finds
//!   nothing.
//! - Message-ID: `<mail id>.<ticket id>@<mail domain>`; the thread root is
//!   `ticket-<ticket id>@<mail domain>`. A reply whose client dropped the `+token` still
//!   names the ticket in `In-Reply-To`/`References`.
//! - Subject tag: `[ACME-000123]`, the last resort.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// 16 base32 characters: 80 bits of the HMAC.
const TAG_CHARS: usize = 16;
const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";

fn tag(secret: &[u8], ticket_id: &str) -> String {
    // Any key length is accepted by HMAC; `new_from_slice` cannot fail for it.
    let mut mac = HmacSha256::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(ticket_id.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut bits: u128 = u128::from_be_bytes(digest[..16].try_into().unwrap_or([0; 16]));
    let mut out = String::with_capacity(TAG_CHARS);
    for _ in 0..TAG_CHARS {
        out.push(ALPHABET[(bits % 32) as usize] as char);
        bits /= 32;
    }
    out
}

/// The reply address of a ticket.
pub fn reply_address(secret: &[u8], domain: &str, ticket_id: &str) -> String {
    format!("reply+{ticket_id}.{}@{domain}", tag(secret, ticket_id))
}

/// The ticket a reply address belongs to, if it is ours and its tag is right.
pub fn ticket_of_reply_address(secret: &[u8], domain: &str, address: &str) -> Option<String> {
    let (local, host) = address.trim().rsplit_once('@')?;
    if !host.eq_ignore_ascii_case(domain) {
        return None;
    }
    let token = local.to_ascii_lowercase();
    let token = token.strip_prefix("reply+")?;
    let (ticket_id, given) = token.rsplit_once('.')?;
    let expected = tag(secret, ticket_id);
    // Compare in constant time: the tag is a credential of sorts.
    let same = given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    same.then(|| ticket_id.to_string())
}

pub fn message_id(mail_id: &str, ticket_id: &str, domain: &str) -> String {
    format!("<{mail_id}.{ticket_id}@{domain}>")
}

pub fn thread_id(ticket_id: &str, domain: &str) -> String {
    format!("<ticket-{ticket_id}@{domain}>")
}

/// What one of our Message-IDs names: the ticket, and the mail when it is a mail's own id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OurMessage {
    pub ticket_id: String,
    pub mail_id: Option<String>,
}

/// Reads one of our Message-IDs (with or without angle brackets); others are `None`.
pub fn our_message(id: &str, domain: &str) -> Option<OurMessage> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    let (local, host) = id.rsplit_once('@')?;
    if !host.eq_ignore_ascii_case(domain) {
        return None;
    }
    if let Some(ticket_id) = local.strip_prefix("ticket-") {
        return plausible_id(ticket_id).then(|| OurMessage {
            ticket_id: ticket_id.to_string(),
            mail_id: None,
        });
    }
    let (mail_id, ticket_id) = local.split_once('.')?;
    (plausible_id(ticket_id) && plausible_id(mail_id)).then(|| OurMessage {
        ticket_id: ticket_id.to_string(),
        mail_id: Some(mail_id.to_string()),
    })
}

/// Our ids are a short prefix, `_`, and base32: anything else is not worth a read.
fn plausible_id(id: &str) -> bool {
    id.len() <= 64 && id.contains('_') && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The ticket numbers tagged in a subject, `[ACME-000123]`, first first.
pub fn subject_tags(subject: &str) -> Vec<String> {
    let mut tags = Vec::new();
    let mut rest = subject;
    while let Some(open) = rest.find('[') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find(']') else { break };
        let inside = &rest[..close];
        if let Some((company, number)) = inside.rsplit_once('-') {
            let company_ok = !company.is_empty()
                && company.len() <= 20
                && company.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            if company_ok && !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()) {
                tags.push(inside.to_string());
            }
        }
        rest = &rest[close..];
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn reply_addresses_round_trip_and_refuse_forgeries() {
        let address = reply_address(SECRET, "mail.test", "t_abc23");
        assert_eq!(
            ticket_of_reply_address(SECRET, "mail.test", &address).as_deref(),
            Some("t_abc23")
        );
        assert_eq!(
            ticket_of_reply_address(SECRET, "MAIL.TEST", &address.to_ascii_uppercase()).as_deref(),
            Some("t_abc23")
        );
        // The same tag on another ticket, another secret, another domain, or no tag: nothing.
        let forged = address.replace("t_abc23", "t_abc24");
        assert_eq!(ticket_of_reply_address(SECRET, "mail.test", &forged), None);
        assert_eq!(ticket_of_reply_address(b"other", "mail.test", &address), None);
        assert_eq!(
            ticket_of_reply_address(SECRET, "mail.test", &address.replace("mail.test", "evil.test")),
            None
        );
        assert_eq!(
            ticket_of_reply_address(SECRET, "mail.test", "reply+t_abc23@mail.test"),
            None
        );
    }

    #[test]
    fn message_ids_name_their_ticket() {
        let id = message_id("m_x1", "t_y2", "mail.test");
        assert_eq!(
            our_message(&id, "mail.test"),
            Some(OurMessage {
                ticket_id: "t_y2".into(),
                mail_id: Some("m_x1".into())
            })
        );
        assert_eq!(
            our_message(&thread_id("t_y2", "mail.test"), "mail.test")
                .unwrap()
                .ticket_id,
            "t_y2"
        );
        assert_eq!(our_message("<CAF=abc@mail.gmail.com>", "mail.test"), None);
        assert_eq!(our_message("<x.t_y2@other.test>", "mail.test"), None);
    }

    #[test]
    fn subject_tags_are_found_among_other_brackets() {
        assert_eq!(subject_tags("RE: [EXTERNAL] [ACME-000123] Claim"), vec!["ACME-000123"]);
        assert_eq!(
            subject_tags("Fwd: [ACME-1] and [B2-000002]"),
            vec!["ACME-1", "B2-000002"]
        );
        assert!(subject_tags("[acme-1] [ACME-] [-1] [ACME-12a]").is_empty());
    }
}
