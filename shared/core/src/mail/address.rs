//! The addresses and ids that tie a mail to its ticket, and what each proves.
//!
//! - Reply address: `reply+<ticket id>.<check><binding>@<mail domain>`, one per recipient.
//!   `binding` (16 base32 characters, 80 bits) is an HMAC of the ticket id and the address
//!   the mail went to, under the deployment's mail secret: only that recipient's mail can
//!   use it, and nobody can compute it without the secret. `check` (4 characters) is an HMAC
//!   of the ticket id and the binding, so an address of ours whose ticket id or tag was
//!   altered is told apart from one issued to somebody else (the first is tampering).
//! - Message-ID: `<mail id>.<ticket id>@<mail domain>`; the mail id is 128 random bits, so
//!   naming it in `In-Reply-To`/`References` shows the mail was received. The thread root
//!   `ticket-<ticket id>@<mail domain>` only groups a ticket's mail in clients: ticket ids
//!   appear in portal links, so it proves nothing.
//! - Subject tag: `[ACME-000123]`: numbers are sequential, so it proves nothing either.

use crate::domain::ids::TicketId;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const CHECK_CHARS: usize = 4;
/// 80 bits of the HMAC.
const BINDING_CHARS: usize = 16;
const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";

fn mac(secret: &[u8], parts: &[&str], chars: usize) -> String {
    // Any key length is accepted by HMAC; `new_from_slice` cannot fail for it.
    let mut mac = HmacSha256::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    for part in parts {
        // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part.as_bytes());
    }
    let digest = mac.finalize().into_bytes();
    let mut bits: u128 = u128::from_be_bytes(digest[..16].try_into().unwrap_or([0; 16]));
    let mut out = String::with_capacity(chars);
    for _ in 0..chars {
        out.push(ALPHABET[(bits % 32) as usize] as char);
        bits /= 32;
    }
    out
}

/// Covers the ticket id and the binding: an address whose id or tag was altered fails it,
/// while a genuine address issued to someone else passes it (and fails `issued_to`).
fn check(secret: &[u8], ticket_id: &str, binding: &str) -> String {
    mac(secret, &["check", ticket_id, binding], CHECK_CHARS)
}

fn binding(secret: &[u8], ticket_id: &str, recipient: &str) -> String {
    mac(
        secret,
        &["recipient", ticket_id, &recipient.trim().to_ascii_lowercase()],
        BINDING_CHARS,
    )
}

/// The reply address of a ticket's mail to one recipient.
pub fn reply_address(secret: &[u8], domain: &str, ticket_id: &str, recipient: &str) -> String {
    let binding = binding(secret, ticket_id, recipient);
    format!(
        "reply+{ticket_id}.{}{binding}@{domain}",
        check(secret, ticket_id, &binding)
    )
}

/// What an address says as a reply address of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyAddress {
    /// Not one of ours (another domain, or not a reply address).
    NotOurs,
    /// Ours in form, but its ticket id or tag does not verify: altered on the way.
    Tampered,
    /// A genuine reply address of this ticket; `issued_to` tells to whom.
    Ticket { ticket_id: TicketId, binding: String },
}

impl ReplyAddress {
    /// Whether this address was issued to `sender` (compared in constant time: the binding
    /// is a credential).
    pub fn issued_to(&self, secret: &[u8], sender: &str) -> bool {
        match self {
            ReplyAddress::Ticket {
                ticket_id,
                binding: given,
            } => same(given, &binding(secret, ticket_id, sender)),
            _ => false,
        }
    }
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads an address as a reply address of ours.
pub fn read_reply_address(secret: &[u8], domain: &str, address: &str) -> ReplyAddress {
    let Some((local, host)) = address.trim().rsplit_once('@') else {
        return ReplyAddress::NotOurs;
    };
    let local = local.to_ascii_lowercase();
    let Some(token) = local
        .strip_prefix("reply+")
        .filter(|_| host.eq_ignore_ascii_case(domain))
    else {
        return ReplyAddress::NotOurs;
    };
    let Some((ticket_id, tag)) = token.rsplit_once('.') else {
        return ReplyAddress::Tampered;
    };
    if tag.len() != CHECK_CHARS + BINDING_CHARS || !tag.is_char_boundary(CHECK_CHARS) {
        return ReplyAddress::Tampered;
    }
    let (given_check, given_binding) = tag.split_at(CHECK_CHARS);
    let Some(ticket_id) = TicketId::parse(ticket_id) else {
        return ReplyAddress::Tampered;
    };
    if !same(given_check, &check(secret, &ticket_id, given_binding)) {
        return ReplyAddress::Tampered;
    }
    ReplyAddress::Ticket {
        ticket_id,
        binding: given_binding.to_string(),
    }
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
    pub ticket_id: TicketId,
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
        return TicketId::parse(ticket_id).map(|ticket_id| OurMessage {
            ticket_id,
            mail_id: None,
        });
    }
    let (mail_id, ticket_id) = local.split_once('.')?;
    let ticket_id = TicketId::parse(ticket_id)?;
    plausible_id(mail_id).then(|| OurMessage {
        ticket_id,
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
        let address = reply_address(SECRET, "mail.test", "t_abcdefghijkmnpqrstuvwxyz23", "Ada@Acme.test");
        let read = read_reply_address(SECRET, "mail.test", &address);
        assert!(matches!(&read, ReplyAddress::Ticket { ticket_id, .. } if ticket_id == "t_abcdefghijkmnpqrstuvwxyz23"));
        assert_eq!(
            read_reply_address(SECRET, "MAIL.TEST", &address.to_ascii_uppercase()),
            read
        );
        // Bound to its recipient: it proves Ada, and nobody else.
        assert!(read.issued_to(SECRET, "ada@acme.test"));
        assert!(!read.issued_to(SECRET, "agent@vendor.test"));
        // Another ticket's id with this tag, a bent tag, another secret, or the old form
        // without a check: ours, but tampered.
        let forged = address.replace("t_abcdefghijkmnpqrstuvwxyz23", "t_abcdefghijkmnpqrstuvwxyz24");
        assert_eq!(read_reply_address(SECRET, "mail.test", &forged), ReplyAddress::Tampered);
        let bent = address.replacen(".", ".z", 1);
        assert_eq!(read_reply_address(SECRET, "mail.test", &bent), ReplyAddress::Tampered);
        let (local, _) = address.split_once('@').unwrap();
        let last = local.chars().last().unwrap();
        let flipped = format!(
            "{}{}@mail.test",
            &local[..local.len() - 1],
            if last == 'a' { 'b' } else { 'a' }
        );
        assert_eq!(
            read_reply_address(SECRET, "mail.test", &flipped),
            ReplyAddress::Tampered
        );
        assert_eq!(
            read_reply_address(b"other", "mail.test", &address),
            ReplyAddress::Tampered
        );
        assert_eq!(
            read_reply_address(SECRET, "mail.test", "reply+t_abc23.aaaaaaaaaaaaaaaa@mail.test"),
            ReplyAddress::Tampered
        );
        assert_eq!(
            read_reply_address(SECRET, "mail.test", "reply+t_abc23@mail.test"),
            ReplyAddress::Tampered
        );
        // Elsewhere, or not a reply address: not ours at all.
        assert_eq!(
            read_reply_address(SECRET, "mail.test", &address.replace("mail.test", "evil.test")),
            ReplyAddress::NotOurs
        );
        assert_eq!(
            read_reply_address(SECRET, "mail.test", "support@mail.test"),
            ReplyAddress::NotOurs
        );
        // The local part stays within RFC 5321's 64 characters.
        assert!(address.split('@').next().unwrap().len() <= 64);
    }

    #[test]
    fn message_ids_name_their_ticket() {
        let id = message_id("m_x1", "t_yyyyyyyyyyyyyyyyyyyyyyyyy2", "mail.test");
        assert_eq!(
            our_message(&id, "mail.test"),
            Some(OurMessage {
                ticket_id: TicketId::parse("t_yyyyyyyyyyyyyyyyyyyyyyyyy2").unwrap(),
                mail_id: Some("m_x1".into())
            })
        );
        assert_eq!(
            our_message(&thread_id("t_yyyyyyyyyyyyyyyyyyyyyyyyy2", "mail.test"), "mail.test")
                .unwrap()
                .ticket_id,
            "t_yyyyyyyyyyyyyyyyyyyyyyyyy2"
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
