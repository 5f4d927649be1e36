//! A ticket and the records that hang off it (messages, attachments, collaborators), with
//! the validation of a new ticket.

use super::catalogue::Catalogue;
use super::claims::{parse_claim_numbers, ClaimKind, ClaimRef};
use super::ids::{CompanyCode, Email, TicketId, UserId};
use super::lifecycle::{Desk, Lifecycle, Side};
use super::roles::{Identity, Standing, ACCOUNT_MANAGERS};
use super::validate::{self, Invalid};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Why `related_to` is refused: the same words whether the id is malformed, unknown, closed
/// or someone else's.
pub const NOT_AN_OPEN_TICKET: &str = "must be an open ticket you can see";

/// Seed 000: at most 20 MB of attachments per ticket.
pub const ATTACHMENT_LIMIT_BYTES: u64 = 20 * 1024 * 1024;

// Ordered from low to urgent (per-company targets are keyed by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Medium,
    High,
    /// Worked around the clock; the rest in business hours.
    Urgent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contact {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
}

/// The records a ticket is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Links {
    #[serde(default)]
    pub claims: Vec<ClaimRef>,
    #[serde(default)]
    pub era: Option<String>,
    #[serde(default)]
    pub eligibility_inquiry: Option<String>,
    #[serde(default)]
    pub serial_number: Option<String>,
    #[serde(default)]
    pub rma: Option<String>,
    /// The warranty claim this case is the conversation of (`wc_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warranty_claim: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Requester {
    pub user_id: UserId,
    pub email: Email,
}

/// The last public message, so a reader can tell whether something unseen waits for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LastReply {
    pub at: DateTime<Utc>,
    pub side: Side,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Ticket {
    pub id: TicketId,
    pub number: String,
    pub company: CompanyCode,
    pub requester: Requester,
    pub contact: Contact,
    pub ticket_type: String,
    #[serde(default)]
    pub module: Option<String>,
    pub subject: String,
    pub description: String,
    #[serde(default)]
    pub affected_users: Vec<String>,
    pub priority: Priority,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    #[serde(default)]
    pub links: Links,
    /// An open ticket this one was attached to when filed.
    #[serde(default)]
    pub related_to: Option<TicketId>,
    /// The closed ticket whose update opened this one.
    #[serde(default)]
    pub follow_up_of: Option<TicketId>,
    #[serde(default)]
    pub preferred_representative: Option<String>,
    #[serde(default)]
    pub callback_time: Option<String>,
    #[serde(default)]
    pub needs_owner_approval: bool,
    #[serde(flatten)]
    pub lifecycle: Lifecycle,
    /// Bytes of attachments that arrived; checked against the 20 MB limit in the same write.
    #[serde(default)]
    pub attachment_bytes: u64,
    #[serde(default)]
    pub last_reply: Option<LastReply>,
    /// The service-level clocks (first response, resolution); none on cases filed before
    /// service levels existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<crate::domain::service_levels::clock::ServiceLevel>,
    /// Who asked to hear of its replies and status changes. Kept on the ticket, so mailing
    /// them costs no read; never shown (a reader's view says only whether they follow).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(ignore)]
    pub followers: Vec<Follower>,
    /// Its live guest keys' hashes (seed 003). Kept on the ticket, so filing a case writes
    /// no item for its key and a guest's visit reads one item (issue 12); never shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(ignore)]
    pub guest_keys: Vec<crate::domain::guest::StoredKey>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A case holds at most this many followers.
pub const FOLLOWERS_MAX: usize = 50;

/// Someone following a case (seed 002: the bell rings for "the cases they file, follow or
/// collaborate on"): mailed, and notified, of its replies and status changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Follower {
    pub email: String,
    pub side: Side,
}

/// A new ticket as the API receives it. Everything is optional here so that a missing field
/// gets a problem that names it rather than a generic parse error.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(description = "A new case. Its type's own required fields (`GET /v1/ticket-types`) go under `fields`.")]
pub struct TicketDraft {
    pub desk: Option<Desk>,
    /// Agents only: the company filed for (everyone else files for their own).
    pub company: Option<String>,
    pub contact: Option<ContactDraft>,
    /// An id from the type catalogue (`GET /v1/ticket-types`).
    #[schema(required, value_type = String, min_length = 1, pattern = "\\S")]
    pub ticket_type: Option<String>,
    pub module: Option<String>,
    #[schema(required, value_type = String, min_length = 1, max_length = 200, pattern = "\\S")]
    pub subject: Option<String>,
    #[schema(required, value_type = String, min_length = 1, max_length = 20000, pattern = "\\S")]
    pub description: Option<String>,
    pub affected_users: Option<Vec<String>>,
    pub priority: Option<Priority>,
    /// The type's own fields, e.g. Missing ERA's provider, payer, check_number, amount, date.
    pub fields: Option<BTreeMap<String, String>>,
    /// One or more claim numbers (letters, digits and dashes, at most 30 each, at most 50
    /// different), separated by ; or , and each optionally preceded by its kind, CMS # or
    /// Claim #, which then holds for the numbers after it.
    #[schema(
        pattern = "^\\s*(?:(?:(?:[Cc]\\s*[Mm]\\s*[Ss]|[Cc]\\s*[Ll]\\s*[Aa]\\s*[Ii]\\s*[Mm])\\s*#)?\\s*[A-Za-z0-9-]{1,30}\\s*)?(?:[;,]\\s*(?:(?:(?:[Cc]\\s*[Mm]\\s*[Ss]|[Cc]\\s*[Ll]\\s*[Aa]\\s*[Ii]\\s*[Mm])\\s*#)?\\s*[A-Za-z0-9-]{1,30}\\s*)?)*$"
    )]
    pub claim_numbers: Option<String>,
    /// The kind of the numbers that name none.
    #[schema(value_type = Option<ClaimKind>)]
    pub claim_kind: Option<String>,
    pub era: Option<String>,
    pub eligibility_inquiry: Option<String>,
    pub serial_number: Option<String>,
    pub rma: Option<String>,
    /// A warranty claim of the company the case is for (`wc_…`): the case becomes part of
    /// the claim's conversation.
    #[schema(value_type = Option<String>, max_length = 64, pattern = "^wc_[A-Za-z0-9]+$")]
    pub warranty_claim: Option<String>,
    pub related_to: Option<String>,
    pub preferred_representative: Option<String>,
    pub callback_time: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactDraft {
    pub name: Option<String>,
    #[schema(schema_with = validate::schemas::optional_email)]
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A draft that passed every check, ready to become a ticket once it has an id and number.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidDraft {
    pub desk: Desk,
    pub company: CompanyCode,
    pub contact: Contact,
    pub ticket_type: String,
    pub needs_owner_approval: bool,
    pub module: Option<String>,
    pub subject: String,
    pub description: String,
    pub affected_users: Vec<String>,
    pub priority: Priority,
    pub fields: BTreeMap<String, String>,
    pub links: Links,
    pub related_to: Option<TicketId>,
    pub preferred_representative: Option<String>,
    pub callback_time: Option<String>,
}

/// The refusal of a case about a warranty claim that is not there, or not the company's.
pub const UNKNOWN_WARRANTY_CLAIM: &str = "is not a warranty claim of the company the case is for";

/// Why a draft cannot be filed at all (as opposed to a field being wrong).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DraftRefusal {
    #[error("{0}")]
    Invalid(#[from] Invalid),
    #[error("client users file internal tickets; a company admin escalates them to the vendor's help desk")]
    VendorTicketNeedsAdmin,
    #[error("account management (password resets, activation, security levels) is not a help-desk matter: ask your company's {ACCOUNT_MANAGERS}")]
    AccountManagement,
}

impl TicketDraft {
    pub fn validate(&self, who: &Identity, catalogue: &Catalogue) -> Result<ValidDraft, DraftRefusal> {
        let standing = who.standing();
        // A warranty claim is the vendor's to decide: its cases go to the vendor's desk,
        // whoever of the dealer's people writes.
        let about_a_claim = self.warranty_claim.is_some();
        let desk = self.desk.unwrap_or(match standing {
            Standing::ClientUser if !about_a_claim => Desk::Internal,
            _ => Desk::Vendor,
        });
        if desk == Desk::Vendor && standing == Standing::ClientUser && !about_a_claim {
            return Err(DraftRefusal::VendorTicketNeedsAdmin);
        }
        let company = match standing {
            Standing::Agent => CompanyCode::new(validate::code("company", self.company.as_deref(), 12)?),
            _ => who.company.clone(),
        };
        if standing == Standing::Agent && desk == Desk::Internal {
            return Err(Invalid::new("desk", "support agents file vendor tickets").into());
        }
        let type_id = validate::line("ticket_type", self.ticket_type.as_deref(), 64)?;
        let ticket_type = catalogue
            .find(&type_id)
            .ok_or_else(|| Invalid::new("ticket_type", format!("unknown ticket type {type_id:?}")))?;
        if ticket_type.account_management {
            return Err(DraftRefusal::AccountManagement);
        }
        let fields = ticket_type
            .check_fields(&self.fields.clone().unwrap_or_default())
            .map_err(|e| Invalid::new(e.field(), e.to_string()))?;
        let contact = self.contact.clone().unwrap_or_default();
        let contact = Contact {
            name: validate::line("contact.name", contact.name.as_deref().or(who.name.as_deref()), 120)?,
            email: validate::email("contact.email", contact.email.as_deref().or(Some(&who.email)))?,
            phone: validate::optional_line("contact.phone", contact.phone.as_deref(), 40)?,
        };
        let claim_kind = match self.claim_kind.as_deref() {
            None => ClaimKind::Claim,
            Some(k) => {
                ClaimKind::parse(k).ok_or_else(|| Invalid::new("claim_kind", "must be \"CMS #\" or \"Claim #\""))?
            }
        };
        let claims = parse_claim_numbers(self.claim_numbers.as_deref().unwrap_or(""), claim_kind)
            .map_err(|e| Invalid::new("claim_numbers", e.to_string()))?;
        let affected_users = self.affected_users.clone().unwrap_or_default();
        if affected_users.len() > 100 {
            return Err(Invalid::new("affected_users", "at most 100 entries").into());
        }
        let affected_users = affected_users
            .iter()
            .enumerate()
            .map(|(i, u)| validate::line(&format!("affected_users[{i}]"), Some(u), 200))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ValidDraft {
            desk,
            company,
            contact,
            ticket_type: ticket_type.id.clone(),
            needs_owner_approval: ticket_type.needs_owner_approval,
            module: validate::optional_line("module", self.module.as_deref(), 120)?,
            subject: validate::line("subject", self.subject.as_deref(), 200)?,
            description: validate::text("description", self.description.as_deref(), 20_000)?,
            affected_users,
            priority: self.priority.unwrap_or(Priority::Medium),
            fields,
            links: Links {
                claims,
                era: validate::optional_line("era", self.era.as_deref(), 60)?,
                eligibility_inquiry: validate::optional_line(
                    "eligibility_inquiry",
                    self.eligibility_inquiry.as_deref(),
                    60,
                )?,
                serial_number: self
                    .serial_number
                    .as_deref()
                    .map(|s| validate::code("serial_number", Some(s), 60))
                    .transpose()?,
                rma: validate::optional_line("rma", self.rma.as_deref(), 60)?,
                warranty_claim: validate::optional_line("warranty_claim", self.warranty_claim.as_deref(), 64)?
                    .map(|id| {
                        crate::domain::ids::plausible_id("wc", &id)
                            .then_some(id)
                            .ok_or_else(|| Invalid::new("warranty_claim", UNKNOWN_WARRANTY_CLAIM))
                    })
                    .transpose()?,
            },
            related_to: validate::optional_line("related_to", self.related_to.as_deref(), 64)?
                .map(|id| TicketId::parse(&id).ok_or_else(|| Invalid::new("related_to", NOT_AN_OPEN_TICKET)))
                .transpose()?,
            preferred_representative: validate::optional_line(
                "preferred_representative",
                self.preferred_representative.as_deref(),
                120,
            )?,
            callback_time: validate::optional_line("callback_time", self.callback_time.as_deref(), 120)?,
        })
    }
}

impl ValidDraft {
    pub fn into_ticket(self, id: TicketId, number: String, who: &Identity, now: DateTime<Utc>) -> Ticket {
        Ticket {
            id,
            number,
            company: self.company,
            requester: Requester {
                user_id: who.user_id.clone(),
                email: who.email.clone(),
            },
            ticket_type: self.ticket_type,
            module: self.module,
            subject: self.subject,
            description: self.description,
            affected_users: self.affected_users,
            priority: self.priority,
            fields: self.fields,
            links: self.links,
            related_to: self.related_to,
            follow_up_of: None,
            preferred_representative: self.preferred_representative,
            callback_time: self.callback_time,
            needs_owner_approval: self.needs_owner_approval,
            lifecycle: Lifecycle::new(self.desk, now, &who.email),
            attachment_bytes: 0,
            last_reply: None,
            sla: None,
            // A customer who files a case for someone else still hears of it.
            followers: (!who.is_agent() && !self.contact.email.eq_ignore_ascii_case(&who.email))
                .then(|| Follower {
                    email: who.email.to_string(),
                    side: Side::Customer,
                })
                .into_iter()
                .collect(),
            guest_keys: Vec::new(),
            contact: self.contact,
            created_at: now,
            updated_at: now,
        }
    }
}

impl Ticket {
    pub fn is_followed_by(&self, email: &str) -> bool {
        self.followers.iter().any(|f| f.email.eq_ignore_ascii_case(email))
    }

    /// Starts or stops `email` following; false when nothing changes. A full list refuses
    /// a newcomer.
    pub fn set_following(&mut self, email: &str, side: Side, follow: bool) -> Result<bool, Invalid> {
        match (follow, self.is_followed_by(email)) {
            (true, true) | (false, false) => Ok(false),
            (true, false) if self.followers.len() >= FOLLOWERS_MAX => Err(Invalid::new(
                "following",
                format!("a case has at most {FOLLOWERS_MAX} followers"),
            )),
            (true, false) => {
                self.followers.push(Follower {
                    email: email.to_string(),
                    side,
                });
                Ok(true)
            }
            (false, true) => {
                self.followers.retain(|f| !f.email.eq_ignore_ascii_case(email));
                Ok(true)
            }
        }
    }

    /// The case a customer's update on this closed ticket opens (seed 002).
    pub fn follow_up(&self, id: TicketId, number: String, who: &Identity, body: &str, now: DateTime<Utc>) -> Ticket {
        let mut next = self.clone();
        next.id = id;
        next.number = number;
        next.requester = Requester {
            user_id: who.user_id.clone(),
            email: who.email.clone(),
        };
        next.subject = truncate(&format!("Follow-up to {}: {}", self.number, self.subject), 200);
        next.description = body.to_string();
        next.related_to = None;
        next.follow_up_of = Some(self.id.clone());
        next.lifecycle = Lifecycle::new(self.lifecycle.desk, now, &who.email);
        next.attachment_bytes = 0;
        next.last_reply = None;
        // A key to the closed case opens only that case; the new one gets its own.
        next.guest_keys.clear();
        // Its own clocks start when it is filed.
        next.sla = None;
        next.created_at = now;
        next.updated_at = now;
        next
    }
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// "ACME-000123": the company's code and a per-company sequence.
pub fn human_number(company: &str, sequence: u64) -> String {
    format!("{company}-{sequence:06}")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Message {
    pub id: String,
    pub ticket_id: TicketId,
    pub author: String,
    #[serde(default)]
    pub author_name: Option<String>,
    pub side: Side,
    /// Internal notes are for the support side only; clients and guests never see them.
    pub internal: bool,
    pub body: String,
    #[serde(default)]
    pub attachment_ids: Vec<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentState {
    /// An upload URL was handed out; the file has not arrived.
    Pending,
    Stored,
    /// The file arrived but broke a limit; its bytes were not kept.
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: String,
    pub ticket_id: TicketId,
    pub filename: String,
    pub content_type: String,
    pub declared_size: u64,
    #[serde(default)]
    pub size: Option<u64>,
    pub state: AttachmentState,
    pub uploaded_by: String,
    /// Which side sent the file: until a message names it, support's files are theirs alone
    /// (`access::sees_attachment`). Records from before this field count as the customer's.
    #[serde(default = "customer_side")]
    pub uploaded_side: Side,
    /// Where the bytes live; built from ids only, never from the user's file name.
    pub blob_key: String,
    /// SHA-256 of the upload token, like guest keys.
    pub upload_token_hash: String,
    pub created_at: DateTime<Utc>,
}

fn customer_side() -> Side {
    Side::Customer
}

/// What callers are shown of an attachment: not where its bytes live, nor the hash of its
/// upload token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AttachmentView {
    pub id: String,
    pub ticket_id: TicketId,
    pub filename: String,
    pub content_type: String,
    pub declared_size: u64,
    pub size: Option<u64>,
    pub state: AttachmentState,
    pub uploaded_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<&Attachment> for AttachmentView {
    fn from(a: &Attachment) -> AttachmentView {
        AttachmentView {
            id: a.id.clone(),
            ticket_id: a.ticket_id.clone(),
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            declared_size: a.declared_size,
            size: a.size,
            state: a.state,
            uploaded_by: a.uploaded_by.clone(),
            created_at: a.created_at,
        }
    }
}

/// A file name that is safe to show and to put in a Content-Disposition header: no path,
/// no control characters, no quotes, at most 120 characters.
pub fn clean_filename(name: &str) -> Result<String, Invalid> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c) && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        return Err(Invalid::new("filename", "must name a file"));
    }
    if cleaned.chars().count() > 120 {
        return Err(Invalid::new("filename", "must be at most 120 characters"));
    }
    Ok(cleaned)
}

/// Unicode's direction overrides and isolates (and the invisible marks): in a file name they
/// make `invoice\u{202E}fdp.exe` show as `invoiceexe.pdf`.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Content types are a token "/" token, nothing more (they go into headers).
pub fn check_content_type(value: &str) -> Result<String, Invalid> {
    let value = value.trim().to_ascii_lowercase();
    let token = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c));
    match value.split_once('/') {
        Some((a, b)) if token(a) && token(b) && value.len() <= 100 => Ok(value),
        _ => Err(Invalid::new(
            "content_type",
            "must be a media type such as application/pdf",
        )),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Collaborator {
    pub ticket_id: TicketId,
    pub email: String,
    pub added_by: String,
    pub added_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::roles::Role;

    fn who(roles: &[Role]) -> Identity {
        Identity {
            user_id: "u1".into(),
            email: "ann@acme.test".into(),
            name: Some("Ann".into()),
            company: "ACME".into(),
            roles: roles.to_vec(),
        }
    }

    fn draft() -> TicketDraft {
        TicketDraft {
            ticket_type: Some("support".into()),
            subject: Some("Cannot save claim".into()),
            description: Some("Save fails".into()),
            claim_numbers: Some("123; 456".into()),
            ..TicketDraft::default()
        }
    }

    #[test]
    fn a_client_user_files_internal_tickets_by_default_and_never_vendor_ones() {
        let cat = Catalogue::defaults();
        let ok = draft().validate(&who(&[Role::Adjuster]), &cat).unwrap();
        assert_eq!(ok.desk, Desk::Internal);
        assert_eq!(ok.links.claims.len(), 2);
        assert_eq!(ok.contact.email, "ann@acme.test");
        let vendor = TicketDraft {
            desk: Some(Desk::Vendor),
            ..draft()
        };
        assert_eq!(
            vendor.validate(&who(&[Role::Adjuster]), &cat),
            Err(DraftRefusal::VendorTicketNeedsAdmin)
        );
        assert_eq!(vendor.validate(&who(&[Role::Owner]), &cat).unwrap().desk, Desk::Vendor);
        // A case about a warranty claim goes to the vendor, whoever of the dealer writes.
        let about_a_claim = TicketDraft {
            warranty_claim: Some("wc_1".into()),
            ..draft()
        };
        assert_eq!(
            about_a_claim.validate(&who(&[Role::Adjuster]), &cat).unwrap().desk,
            Desk::Vendor
        );
    }

    #[test]
    fn a_follow_up_does_not_open_with_the_closed_cases_guest_keys() {
        let ann = who(&[Role::Adjuster]);
        let now = Utc::now();
        let mut closed = draft().validate(&ann, &Catalogue::defaults()).unwrap().into_ticket(
            TicketId::parse("t_abcdefghijkmnpqrstuvwxyz23").unwrap(),
            "ACME-000001".into(),
            &ann,
            now,
        );
        closed.guest_keys.push(crate::domain::guest::StoredKey {
            hash: "ab".repeat(32),
            expires_at: now + chrono::Duration::days(30),
        });
        let next = closed.follow_up(
            TicketId::parse("t_bcdefghijkmnpqrstuvwxyz234").unwrap(),
            "ACME-000002".into(),
            &ann,
            "Again",
            now,
        );
        assert!(next.guest_keys.is_empty());
    }

    #[test]
    fn account_management_is_refused_with_who_can_do_it() {
        let d = TicketDraft {
            ticket_type: Some("account_management".into()),
            ..draft()
        };
        let err = d.validate(&who(&[Role::Owner]), &Catalogue::defaults()).unwrap_err();
        assert_eq!(err, DraftRefusal::AccountManagement);
        assert!(err.to_string().contains("Owner, Administrator or Human Resources"));
    }

    #[test]
    fn every_bad_field_is_named() {
        let cat = Catalogue::defaults();
        let cases = [
            (
                TicketDraft {
                    subject: None,
                    ..draft()
                },
                "subject",
            ),
            (
                TicketDraft {
                    ticket_type: Some("nope".into()),
                    ..draft()
                },
                "ticket_type",
            ),
            (
                TicketDraft {
                    claim_numbers: Some("1 2".into()),
                    ..draft()
                },
                "claim_numbers",
            ),
            (
                TicketDraft {
                    ticket_type: Some("missing_era".into()),
                    ..draft()
                },
                "fields.provider",
            ),
            (
                TicketDraft {
                    contact: Some(ContactDraft {
                        email: Some("x".into()),
                        ..Default::default()
                    }),
                    ..draft()
                },
                "contact.email",
            ),
        ];
        for (d, field) in cases {
            match d.validate(&who(&[Role::Owner]), &cat) {
                Err(DraftRefusal::Invalid(i)) => assert_eq!(i.field, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn agents_must_name_the_company() {
        let cat = Catalogue::defaults();
        let agent = who(&[Role::AgentL1]);
        match draft().validate(&agent, &cat) {
            Err(DraftRefusal::Invalid(i)) => assert_eq!(i.field, "company"),
            other => panic!("{other:?}"),
        }
        let d = TicketDraft {
            company: Some("acme".into()),
            ..draft()
        };
        assert_eq!(d.validate(&agent, &cat).unwrap().company, "ACME");
    }

    #[test]
    fn numbers_are_zero_padded_per_company() {
        assert_eq!(human_number("ACME", 123), "ACME-000123");
    }

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(clean_filename("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(clean_filename("C:\\x\\re\u{0}port\n.pdf").unwrap(), "report.pdf");
        assert!(clean_filename("../").is_err());
        // A right-to-left override would show "invoice\u{202E}fdp.exe" as "invoiceexe.pdf".
        assert_eq!(clean_filename("invoice\u{202E}fdp.exe").unwrap(), "invoicefdp.exe");
        assert!(check_content_type("text/html\r\nX: y").is_err());
        assert_eq!(check_content_type("Application/PDF").unwrap(), "application/pdf");
    }
}
