//! The single-table layout: how each record becomes an item, with its keys and indexes, and
//! how a record is packed for storage. Written once, used by both engines. ARCHITECTURE.md
//! lists the access patterns and what each index projects.
//!
//! | record            | pk                  | sk                       | indexes                          |
//! |-------------------|---------------------|--------------------------|----------------------------------|
//! | ticket            | TICKET#id           | META                     | gsi1 requester, gsi2 company, gsi3 work list, due (lifecycle timer or service-level alarm) |
//! | message           | TICKET#id           | MSG#time#id              |                                  |
//! | attachment        | TICKET#id           | ATT#id                   |                                  |
//! | collaborator      | TICKET#id           | COLLAB#email             | gsi1 COLLAB#email                |
//! | guest key (before issue 12's last pass; now on the ticket) | TICKET#id | GUEST#sha256 | TTL      |
//! | seen marker       | TICKET#id           | SEEN#reader              |                                  |
//! | notice (outbox)   | TICKET#id           | MAIL#time#id             | outbox OUTBOX#shard while pending (AWS: once its stream run leaves it there) |
//! | notice, no ticket | EVENT#id            | EVENT                    | outbox OUTBOX#shard while pending (the same) |
//! | company           | COMPANY#code        | META                     | gsi3 COMPANIES (by name)         |
//! | ticket counter    | COMPANY#code        | COUNTER                  |                                  |
//! | RMA counter       | COMPANY#code        | COUNTER#RMA              |                                  |
//! | number → ticket   | COMPANY#code        | NUMBER#ACME-000123       |                                  |
//! | inbound mail      | TICKET#id           | INMAIL#time#id           |                                  |
//! | mail feedback     | TICKET#id           | MAILFB#mail id           |                                  |
//! | held inbound mail | HELDMAIL            | time#id                  |                                  |
//! | inbound seen once | INBOUND#sha256      | META                     | TTL                              |
//! | suppressed address| SUPPRESS#address    | META                     |                                  |
//! | product           | PRODUCT#sku         | META                     |                                  |
//! | serial            | SERIAL#serial       | META                     | gsi2 UNITS#dealer while unregistered |
//! | serial's claims   | SERIAL#serial       | TICKET#time#id           |                                  |
//! | serial's warranty claims | SERIAL#serial | WCLAIM#time#id           |                                  |
//! | warranty claim    | WCLAIM#id           | META                     | gsi1 WCLAIMS#dealer#list, gsi2 WCLAIMS#dealer, gsi3 WCLAIMQ#state (in review: WCLAIMQ#mine#reviewer) while with support |
//! | RMA               | RMA#id              | META                     | gsi1 RMAS#dealer, gsi3 RMAQ#state while open |
//! | idempotency       | IDEM#sha256(scope,key) | IDEM                  | TTL                              |
//! | item layout       | LAYOUT              | META                     |                                  |
//! | user              | USER#id             | META                     | gsi2 PEOPLE#company (by name)    |
//! | password (local)  | USER#id             | PASSWORD                 |                                  |
//! | session (local)   | USER#id             | SESSION#sha256           | TTL                              |
//! | account change    | USER#id             | CHANGE#time#id           | gsi2 ACCOUNTCHANGES#company      |
//! | email → user      | EMAIL#email         | META                     |                                  |
//! | set-password link | PWLINK#sha256       | META                     | TTL                              |
//! | access request    | ACCESSREQ#id        | META                     | gsi2 ACCESSREQS#company, gsi3 ACCESSREQS, TTL |
//! | tries (throttle)  | THROTTLE#purpose#scope#key | META              | TTL                              |

use crate::domain::company::Company;
use crate::domain::directory::{AccessRequest, AccountChange};
use crate::domain::ids::{CompanyCode, TicketId};
use crate::domain::lifecycle::{Desk, Level, Status, Timers};
use crate::domain::people::User;
use crate::domain::service_levels::clock::ServiceSummary;
use crate::domain::ticket::{LastReply, Priority, Ticket};
use crate::ports::{IndexKey, Item, StoreError};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Due work is spread over this many index partitions so no one partition runs hot.
pub const DUE_SHARDS: u32 = 4;

pub const META: &str = "META";

/// Fixed-width UTC timestamps, so that sort keys order by time.
pub fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn ticket_pk(id: &str) -> String {
    format!("{TICKET_PK_PREFIX}{id}")
}
pub fn company_pk(code: &str) -> String {
    format!("COMPANY#{code}")
}

/// Whether an engine may keep this record in memory between reads, if it knows every write
/// to it (the embedded engine does): a company's record, which nearly every request reads
/// and which rarely changes.
pub fn kept_in_memory(pk: &str, sk: &str) -> bool {
    sk == META && pk.starts_with("COMPANY#")
}
pub fn product_pk(sku: &str) -> String {
    format!("PRODUCT#{sku}")
}
pub fn serial_pk(serial: &str) -> String {
    format!("SERIAL#{serial}")
}
/// The sort key of an idempotency record.
/// Bytes as lower-case hex: how hashes appear in keys and records.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hex SHA-256 of a text: the stored form of secrets (guest keys, session secrets) and
/// of what keys must not show (an email tried at sign-in).
pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(text.as_bytes()))
}

pub const IDEMPOTENCY_SK: &str = "IDEM";
/// The record of one caller's Idempotency-Key: a hash of the scope and the key, each
/// prefixed by its length, so no two (scope, key) pairs can name one record whatever
/// characters either holds (`u-a` + `x#y` and `u-a#x` + `y` are different records).
pub fn idempotency_pk(scope: &str, key: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for part in [scope, key] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    format!("IDEM#{}", hex(&hash.finalize()))
}
pub fn collaborator_sk(email: &str) -> String {
    format!("{COLLABORATOR_PREFIX}{email}")
}
/// Someone following the ticket, on the index of the cases they follow (gsi1).
pub fn follower_sk(email: &str) -> String {
    format!("{FOLLOWER_PREFIX}{}", email.to_ascii_lowercase())
}
pub fn guest_sk(key_hash: &str) -> String {
    format!("{GUEST_PREFIX}{key_hash}")
}
pub fn seen_sk(reader: &str) -> String {
    format!("SEEN#{reader}")
}
pub const COUNTER: &str = "COUNTER";
/// A company's RMA counter, beside its ticket counter.
pub const RMA_COUNTER: &str = "COUNTER#RMA";
/// The record of the item layout the table was last migrated to (`services::migrate`).
pub const LAYOUT_PK: &str = "LAYOUT";

/// Sort-key prefixes of a ticket's partition, for `begins_with` queries and for telling its
/// items apart in the one query that reads a whole ticket.
pub const MESSAGE_PREFIX: &str = "MSG#";
pub const ATTACHMENT_PREFIX: &str = "ATT#";
pub const COLLABORATOR_PREFIX: &str = "COLLAB#";
pub const FOLLOWER_PREFIX: &str = "FOLLOW#";
pub const GUEST_PREFIX: &str = "GUEST#";
pub const MAIL_PREFIX: &str = "MAIL#";
pub const INBOUND_MAIL_PREFIX: &str = "INMAIL#";
pub const MAIL_FEEDBACK_PREFIX: &str = "MAILFB#";
/// A serial's partition: the tickets that name it.
pub const SERIAL_CLAIM_PREFIX: &str = "TICKET#";
const TICKET_PK_PREFIX: &str = "TICKET#";
/// Every ticket's partition starts so (the search index picks its items out by it).
pub const TICKET_PREFIX: &str = TICKET_PK_PREFIX;

/// The ticket id of a ticket partition's key.
pub fn ticket_id_of(pk: &str) -> &str {
    pk.trim_start_matches(TICKET_PK_PREFIX)
}
pub fn message_sk(at: DateTime<Utc>, id: &str) -> String {
    format!("{MESSAGE_PREFIX}{}#{id}", ts(at))
}
pub fn attachment_sk(id: &str) -> String {
    format!("{ATTACHMENT_PREFIX}{id}")
}
pub fn mail_sk(at: DateTime<Utc>, id: &str) -> String {
    format!("{MAIL_PREFIX}{}#{id}", ts(at))
}
pub fn inbound_mail_sk(at: DateTime<Utc>, id: &str) -> String {
    format!("{INBOUND_MAIL_PREFIX}{}#{id}", ts(at))
}
pub fn mail_feedback_sk(mail_id: &str) -> String {
    format!("{MAIL_FEEDBACK_PREFIX}{mail_id}")
}
/// A warranty claim on a serial, kept from its first submission (drafts are not history).
pub const SERIAL_WARRANTY_CLAIM_PREFIX: &str = "WCLAIM#";

pub fn serial_warranty_claim_sk(at: DateTime<Utc>, claim_id: &str) -> String {
    format!("{SERIAL_WARRANTY_CLAIM_PREFIX}{}#{claim_id}", ts(at))
}

pub fn serial_claim_sk(at: DateTime<Utc>, ticket_id: &str) -> String {
    format!("{SERIAL_CLAIM_PREFIX}{}#{ticket_id}", ts(at))
}
pub fn event_pk(id: &str) -> String {
    format!("EVENT#{id}")
}
pub const EVENT: &str = "EVENT";
pub fn held_mail_sk(at: DateTime<Utc>, id: &str) -> String {
    format!("{}#{id}", ts(at))
}
pub fn number_sk(number: &str) -> String {
    format!("NUMBER#{number}")
}
pub const HELD_MAIL: &str = "HELDMAIL";
pub fn inbound_pk(fingerprint: &str) -> String {
    format!("INBOUND#{fingerprint}")
}
pub fn suppression_pk(address: &str) -> String {
    format!("SUPPRESS#{}", address.trim().to_ascii_lowercase())
}

/// A user's directory record (`META`) and, on the local engine, their password hash.
pub fn user_pk(id: &str) -> String {
    format!("USER#{id}")
}
pub const PASSWORD: &str = "PASSWORD";
/// An email's account: which user it belongs to (one account per email).
pub fn email_pk(email: &str) -> String {
    format!("EMAIL#{}", email.trim().to_ascii_lowercase())
}
/// A local refresh session, in its user's partition (so that all of a user's sessions can
/// be ended at once), by the hash of its token's secret.
pub const SESSION_PREFIX: &str = "SESSION#";
pub fn session_sk(secret_hash: &str) -> String {
    format!("{SESSION_PREFIX}{secret_hash}")
}
/// Tries counted against one account or one address (`people::throttle`): failed
/// sign-ins (`signin`), the public forms (`form`).
pub fn throttle_pk(purpose: &str, scope: &str, key: &str) -> String {
    format!("THROTTLE#{purpose}#{scope}#{key}")
}

/// A single-use set-password link, by the SHA-256 of its secret.
pub fn password_link_pk(secret_hash: &str) -> String {
    format!("PWLINK#{secret_hash}")
}
/// An access request.
pub fn access_request_pk(id: &str) -> String {
    format!("ACCESSREQ#{id}")
}
/// A company's people, on gsi2 by name.
pub fn people_view(company: &str) -> String {
    format!("PEOPLE#{company}")
}
/// A company's access requests on gsi2; every request on gsi3 (staff).
pub fn access_requests_view(company: &str) -> String {
    format!("ACCESSREQS#{company}")
}
pub const ALL_ACCESS_REQUESTS: &str = "ACCESSREQS";
/// A company's account changes, on gsi2, newest first.
pub fn account_changes_view(company: &str) -> String {
    format!("ACCOUNTCHANGES#{company}")
}
pub const ACCOUNT_CHANGE_PREFIX: &str = "CHANGE#";

/// Every company, by name, on gsi3 (staff's list).
pub const ALL_COMPANIES: &str = "COMPANIES";

/// A company's item: on staff's list by name, with the record as its summary.
pub fn company_item(company: &Company, version: u64) -> Item {
    let mut item = Item::new(company_pk(&company.code), META, to_data(company));
    item.summary = Some(to_data(company));
    item.version = version;
    let sort = format!("{}#{}", company.name.to_lowercase(), company.code);
    item.gsi3 = Some(IndexKey::new(ALL_COMPANIES, sort));
    item
}

/// A dealer's units waiting for their warranty registration, on gsi2 by serial (seed 004).
pub fn pending_units_view(dealer: &str) -> String {
    format!("UNITS#{dealer}")
}

/// A serial's item: on its dealer's list of units pending registration (with the record as
/// the listing's summary) until the warranty is registered; then off it.
pub fn serial_item(serial: &crate::domain::warranty::Serial, version: u64) -> Item {
    let mut item = Item::new(serial_pk(&serial.serial), META, to_data(serial));
    item.version = version;
    if serial.registration.is_none() {
        item.summary = Some(to_data(serial));
        item.gsi2 = Some(IndexKey::new(
            pending_units_view(&serial.dealer_company),
            serial.serial.clone(),
        ));
    }
    item
}

/// A warranty claim's item.
pub fn warranty_claim_pk(id: &str) -> String {
    format!("WCLAIM#{id}")
}

/// A dealer's claims of one of seed 004's lists (`draft`, `active`, `closed`), newest first.
pub fn dealer_claims_view(dealer: &str, list: &str) -> String {
    format!("WCLAIMS#{dealer}#{list}")
}

/// Every claim of a dealer, newest first.
pub fn dealer_all_claims_view(dealer: &str) -> String {
    format!("WCLAIMS#{dealer}")
}

/// The support side's queue of claims in one state, oldest change first.
pub fn claim_queue_view(state: &str) -> String {
    format!("WCLAIMQ#{state}")
}

/// The claims one agent took and is reviewing, oldest change first.
pub fn reviewer_queue_view(reviewer: &str) -> String {
    format!("WCLAIMQ#mine#{reviewer}")
}

/// A warranty claim's item: on its dealer's list and on the dealer's "all" list by when it
/// was drafted; on the support side's queue of its state, by its last change, while it is
/// with support; its summary is what the lists show.
pub fn warranty_claim_item(claim: &crate::domain::warranty_claim::Claim, version: u64) -> Result<Item, StoreError> {
    use crate::domain::warranty_claim::lifecycle::ClaimState;
    let totals = claim
        .totals()
        .map_err(|e| StoreError::Other(format!("claim {}: {e}", claim.id)))?;
    let summary = serde_json::json!({
        "id": claim.id, "dealer_company": claim.dealer_company, "serial": claim.unit.serial,
        "state": claim.state, "currency": claim.currency, "claimed": totals.claimed,
        "approved": totals.approved, "created_at": claim.created_at, "updated_at": claim.updated_at,
    });
    let mut item = Item::new(warranty_claim_pk(&claim.id), META, to_data(claim));
    item.version = version;
    item.summary = Some(summary);
    let drafted = format!("{}#{}", ts(claim.created_at), claim.id);
    item.gsi1 = Some(IndexKey::new(
        dealer_claims_view(&claim.dealer_company, claim.state.list()),
        drafted.clone(),
    ));
    item.gsi2 = Some(IndexKey::new(dealer_all_claims_view(&claim.dealer_company), drafted));
    let with_support = matches!(
        claim.state,
        ClaimState::Submitted | ClaimState::InReview | ClaimState::InformationRequested
    );
    if with_support {
        let queue = match (claim.state, &claim.reviewer) {
            (ClaimState::InReview, Some(reviewer)) => reviewer_queue_view(reviewer),
            (state, _) => claim_queue_view(&crate::slugs::serde_name(&state)),
        };
        item.gsi3 = Some(IndexKey::new(queue, format!("{}#{}", ts(claim.updated_at), claim.id)));
    }
    Ok(item)
}

/// An RMA's item.
pub fn rma_pk(id: &str) -> String {
    format!("RMA#{id}")
}

/// Every RMA issued to a dealer, newest first.
pub fn dealer_rmas_view(dealer: &str) -> String {
    format!("RMAS#{dealer}")
}

/// The support side's RMAs in one open state (issued, shipped, received), oldest change first.
pub fn rma_queue_view(state: &str) -> String {
    format!("RMAQ#{state}")
}

/// An RMA's item: on its dealer's list by when it was issued, and while it is open on the
/// support side's queue of its state by its last change; its summary is what lists show.
pub fn rma_item(rma: &crate::domain::warranty_claim::rma::Rma, version: u64) -> Item {
    let state = crate::slugs::serde_name(&rma.state);
    let summary = serde_json::json!({
        "id": rma.id, "number": rma.number, "claim_id": rma.claim_id,
        "dealer_company": rma.dealer_company, "serial": rma.serial, "state": rma.state,
        "parts": rma.lines.iter().map(|l| l.quantity).sum::<u32>(),
        "tracking_number": rma.shipment.as_ref().map(|s| s.tracking_number.clone()),
        "created_at": rma.created_at, "updated_at": rma.updated_at,
    });
    let mut item = Item::new(rma_pk(&rma.id), META, to_data(rma));
    item.version = version;
    item.summary = Some(summary);
    item.gsi1 = Some(IndexKey::new(
        dealer_rmas_view(&rma.dealer_company),
        format!("{}#{}", ts(rma.created_at), rma.id),
    ));
    if rma.state.open() {
        item.gsi3 = Some(IndexKey::new(
            rma_queue_view(&state),
            format!("{}#{}", ts(rma.updated_at), rma.id),
        ));
    }
    item
}

pub const ARTICLE_PREFIX: &str = "ARTICLE#";
pub const SOLUTION_PREFIX: &str = "SOLUTION#";
pub const VOTE_PREFIX: &str = "VOTE#";

pub fn article_pk(id: &str) -> String {
    format!("{ARTICLE_PREFIX}{id}")
}
pub fn solution_pk(id: &str) -> String {
    format!("{SOLUTION_PREFIX}{id}")
}
/// A reader's vote on an article, in the article's partition.
pub fn vote_sk(user_id: &str) -> String {
    format!("{VOTE_PREFIX}{user_id}")
}
/// A file of an article, in the article's partition.
pub fn article_file_sk(id: &str) -> String {
    format!("FILE#{id}")
}

/// Staff's list of the articles in one state (gsi2).
pub fn articles_view(state: crate::domain::knowledge::ArticleState) -> String {
    format!("ARTICLES#{}", state.as_str())
}
/// The published articles written for clients (gsi3): what everyone else lists.
pub const CLIENT_ARTICLES: &str = "ARTICLES#CLIENTS";

/// An article's list sort key: by category, then title.
pub fn article_sort(category: &str) -> String {
    format!("{}#", category.to_lowercase())
}

/// An article's item: on staff's list of its state (gsi2) and, published for clients, on
/// everyone's (gsi3), by category then title; the list summary is the article without its
/// body and files.
pub fn article_item(article: &crate::domain::knowledge::Article, version: u64) -> Item {
    use crate::domain::knowledge::{ArticleState, Visibility};
    let mut item = Item::new(article_pk(&article.id), META, to_data(article));
    item.version = version;
    let mut summary = to_data(article);
    if let Some(fields) = summary.as_object_mut() {
        fields.remove("body");
        fields.remove("files");
    }
    item.summary = Some(summary);
    let sort = format!(
        "{}{}#{}",
        article_sort(&article.category),
        article.title.to_lowercase(),
        article.id
    );
    item.gsi2 = Some(IndexKey::new(articles_view(article.state), sort.clone()));
    if article.state == ArticleState::Published && article.visibility == Visibility::Clients {
        item.gsi3 = Some(IndexKey::new(CLIENT_ARTICLES, sort));
    }
    item
}

/// A person's notifications and their unseen count, by email (collaborators have no
/// account of ours, and a person's email is what mail reaches).
pub fn notify_pk(email: &str) -> String {
    format!("NOTIFY#{}", email.to_ascii_lowercase())
}

pub const ANNOUNCEMENT_PREFIX: &str = "NEWS#";
pub const DISMISSED_PREFIX: &str = "DISMISSED#";
/// Every announcement, by start (gsi3): staff's list.
pub const ALL_ANNOUNCEMENTS: &str = "NEWS";

pub fn announcement_pk(id: &str) -> String {
    format!("{ANNOUNCEMENT_PREFIX}{id}")
}
/// Who an announcement is for, as its list (gsi2): everyone's, staff's, or a company's.
pub fn audience_view(audience: crate::domain::announcement::Audience, company: Option<&str>) -> String {
    use crate::domain::announcement::Audience;
    match audience {
        Audience::Everyone => "NEWS#ALL".to_string(),
        Audience::Staff => "NEWS#STAFF".to_string(),
        Audience::Company => format!("NEWS#CO#{}", company.unwrap_or_default()),
    }
}
/// A reader's dismissal of an announcement, in the reader's partition.
pub fn dismissed_sk(announcement: &str) -> String {
    format!("{DISMISSED_PREFIX}{announcement}")
}
/// How long an ended announcement (and its dismissals) stays listed for staff.
pub const ENDED_ANNOUNCEMENT_DAYS: i64 = 30;

/// An announcement's item: on its audience's list (gsi2) and staff's (gsi3), newest start
/// first; gone a month after it ends.
pub fn announcement_item(announcement: &crate::domain::announcement::Announcement, version: u64) -> Item {
    let mut item = Item::new(announcement_pk(&announcement.id), META, to_data(announcement));
    item.version = version;
    item.summary = Some(to_data(announcement));
    let sort = format!("{}#{}", ts(announcement.starts_at), announcement.id);
    item.gsi2 = Some(IndexKey::new(
        audience_view(announcement.audience, announcement.company.as_deref()),
        sort.clone(),
    ));
    item.gsi3 = Some(IndexKey::new(ALL_ANNOUNCEMENTS, sort));
    item.expires_at = Some((announcement.ends_at + chrono::Duration::days(ENDED_ANNOUNCEMENT_DAYS)).timestamp());
    item
}

/// A user's directory item: on gsi2 under their company, ordered by name, with the record
/// itself as the listing's summary (a few hundred bytes).
pub fn user_item(user: &User, version: u64) -> Item {
    let mut item = Item::new(user_pk(&user.id), META, to_data(user));
    item.summary = Some(to_data(user));
    item.version = version;
    let sort = format!("{}#{}", user.name.to_lowercase(), user.id);
    item.gsi2 = Some(IndexKey::new(people_view(&user.company), sort));
    item
}

/// An access request's item: on its company's list (gsi2) and staff's (gsi3), gone when it
/// lapses.
pub fn access_request_item(request: &AccessRequest, version: u64, expires_at: DateTime<Utc>) -> Item {
    let mut item = Item::new(access_request_pk(&request.id), META, to_data(request));
    item.summary = Some(to_data(request));
    item.version = version;
    let sort = format!("{}#{}", ts(request.created_at), request.id);
    item.gsi2 = Some(IndexKey::new(access_requests_view(&request.company), &sort));
    item.gsi3 = Some(IndexKey::new(ALL_ACCESS_REQUESTS, sort));
    item.expires_at = Some(expires_at.timestamp());
    item
}

/// One account change: in the user's partition, and on the company's history (gsi2).
pub fn account_change_item(change: &AccountChange) -> Item {
    let sort = format!("{}#{}", ts(change.at), change.id);
    let mut item = Item::new(
        user_pk(&change.user_id),
        format!("{ACCOUNT_CHANGE_PREFIX}{sort}"),
        to_data(change),
    );
    item.summary = Some(to_data(change));
    item.gsi2 = Some(IndexKey::new(account_changes_view(&change.company), sort));
    item
}

pub fn requester_view(user_id: &str, open: bool) -> String {
    format!("USER#{user_id}#{}", open_word(open))
}
pub fn company_view(company: &str, open: bool) -> String {
    format!("CO#{company}#{}", open_word(open))
}
pub fn agent_view(assignee: &str, open: bool) -> String {
    format!("AGENT#{assignee}#{}", open_word(open))
}
pub fn queue_view(desk: Desk, company: &str) -> String {
    match desk {
        Desk::Vendor => "QUEUE#VENDOR".to_string(),
        Desk::Internal => format!("QUEUE#INTERNAL#{company}"),
    }
}
/// The vendor desk's queue of a level (level 1's is the vendor queue itself).
pub fn level_queue_view(level: Level) -> String {
    match level {
        Level::L1 => queue_view(Desk::Vendor, ""),
        Level::L2 => "QUEUE#VENDOR#L2".to_string(),
    }
}
pub fn collaborator_view(email: &str) -> String {
    format!("COLLAB#{email}")
}
/// The cases a person follows (gsi1), newest first.
pub fn following_view(email: &str) -> String {
    format!("FOLLOWING#{}", email.to_ascii_lowercase())
}
pub fn due_pk(shard: u32) -> String {
    format!("DUE#{shard}")
}
pub fn outbox_pk(shard: u32) -> String {
    format!("OUTBOX#{shard}")
}

fn open_word(open: bool) -> &'static str {
    if open {
        "OPEN"
    } else {
        "CLOSED"
    }
}

/// A stable shard for an id (FNV-1a), so one ticket always lands in the same partition.
pub fn shard_of(id: &str) -> u32 {
    let hash = id
        .bytes()
        .fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    hash % DUE_SHARDS
}

/// A record as the engines store it: its JSON, deflated against a preset dictionary of the
/// names and words our records repeat (`pack_dictionary.json`). Small records gain most
/// from it: a ticket's record and its summary shrink to about three fifths of plain
/// deflate's, which keeps a ticket's item under a kilobyte (issue 12).
///
/// Each thread keeps one compressor per effort and resets it per record (a fresh one is a
/// few hundred kilobytes of tables, allocated and freed for every item written).
pub fn pack(data: &serde_json::Value, effort: Packing) -> Vec<u8> {
    use flate2::{Compress, Compression};
    thread_local! {
        static SMALLEST: std::cell::RefCell<Compress> =
            std::cell::RefCell::new(Compress::new(Compression::new(PACK_LEVEL_SMALLEST), false));
        static QUICKEST: std::cell::RefCell<Compress> =
            std::cell::RefCell::new(Compress::new(Compression::new(PACK_LEVEL_QUICKEST), false));
    }
    let text = data.to_string();
    // A short record (a number, a key, a counter) is kept as its text, which `unpack` reads
    // as well.
    if text.len() < PACK_FROM {
        return text.into_bytes();
    }
    let compressor = match effort {
        Packing::Smallest => &SMALLEST,
        Packing::Quickest => &QUICKEST,
    };
    compressor.with(|cell| deflate_with_dictionary(&mut cell.borrow_mut(), text))
}

/// How hard `pack` works. Both give the same format (`unpack` reads either), so an item
/// one engine wrote reads the same in the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    /// Deflate's middle level: DynamoDB bills every kilobyte written and stored, and a
    /// function's CPU time is spent on one request at a time.
    Smallest,
    /// Deflate's quickest level: about half the time (15 -> 7 microseconds for a ticket's
    /// record, most of it taking in the dictionary) for a fifth more bytes. The embedded
    /// engine packs on the server's own cores, where a create's several records were a
    /// tenth of its CPU; its file stays within its budget (issue 12).
    Quickest,
}

fn deflate_with_dictionary(compressor: &mut flate2::Compress, text: String) -> Vec<u8> {
    use flate2::{FlushCompress, Status};
    compressor.reset();
    if compressor.set_dictionary(PACK_DICTIONARY).is_err() {
        return text.into_bytes();
    }
    let mut output = Vec::with_capacity(text.len() / 2 + 64);
    output.push(PACKED_WITH_DICTIONARY);
    loop {
        let read = compressor.total_in() as usize;
        match compressor.compress_vec(&text.as_bytes()[read..], &mut output, FlushCompress::Finish) {
            Ok(Status::StreamEnd) => return output,
            Ok(_) => output.reserve(output.capacity().max(64)),
            // Only a bad parameter fails, and ours are constant: keep the record as text.
            Err(_) => return text.into_bytes(),
        }
    }
}

/// The record of a stored item: deflated against the dictionary (marked), deflated plainly
/// (issue 12's first passes), or plain JSON text (the first layout, and short records).
pub fn unpack(stored: &[u8]) -> Result<serde_json::Value, String> {
    let json = match stored.split_first() {
        Some((&PACKED_WITH_DICTIONARY, deflated)) => inflate(deflated, Some(PACK_DICTIONARY))?,
        _ => {
            if let Ok(value) = serde_json::from_slice(stored) {
                return Ok(value);
            }
            inflate(stored, None)?
        }
    };
    serde_json::from_slice(&json).map_err(|e| e.to_string())
}

fn inflate(deflated: &[u8], dictionary: Option<&[u8]>) -> Result<Vec<u8>, String> {
    use flate2::{Decompress, FlushDecompress, Status};
    let mut decompressor = Decompress::new(false);
    if let Some(dictionary) = dictionary {
        decompressor
            .set_dictionary(dictionary)
            .map_err(|e| format!("cannot inflate: {e}"))?;
    }
    let mut output = Vec::with_capacity(deflated.len() * 3);
    loop {
        let read = decompressor.total_in() as usize;
        let status = decompressor
            .decompress_vec(&deflated[read..], &mut output, FlushDecompress::Finish)
            .map_err(|e| format!("cannot inflate: {e}"))?;
        match status {
            Status::StreamEnd => return Ok(output),
            _ if output.len() >= MAX_UNPACKED => return Err("record too large".into()),
            _ if decompressor.total_in() as usize == deflated.len() && output.len() < output.capacity() => {
                return Err("cannot inflate: the record ends early".into())
            }
            _ => output.reserve(output.capacity().max(64)),
        }
    }
}

/// Records shorter than this (bytes of JSON) are stored as they are.
const PACK_FROM: usize = 160;
/// Deflate's middle level: small JSON gains little from more effort.
const PACK_LEVEL_SMALLEST: u32 = 6;
/// Deflate's quickest (zlib-rs: its "quick" strategy).
const PACK_LEVEL_QUICKEST: u32 = 1;
/// DynamoDB's item limit is 400 KB; nothing we store inflates past a few megabytes.
const MAX_UNPACKED: usize = 8 << 20;
/// The first byte of a record deflated against `PACK_DICTIONARY`: neither JSON nor raw
/// deflate begins so (it would be a final block of the reserved type 3). A new dictionary
/// takes a new mark (another byte with its low three bits set), so stored records stay
/// readable.
const PACKED_WITH_DICTIONARY: u8 = 0x07;
/// Names, enum words and shapes of tickets, their summaries, notices, messages and
/// notifications. Changing a byte of it makes every record packed with it unreadable:
/// add a new dictionary with a new mark instead.
const PACK_DICTIONARY: &[u8] = include_bytes!("pack_dictionary.json");

pub fn to_data<T: Serialize>(record: &T) -> serde_json::Value {
    // Our records are plain structs of strings, numbers and maps: serialising cannot fail.
    serde_json::to_value(record).unwrap_or(serde_json::Value::Null)
}

pub fn from_item<T: DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    let data = match (&item.summary, &item.data) {
        // A ticket's record leaves out what its summary holds (`ticket_record`).
        (Some(serde_json::Value::Object(summary)), serde_json::Value::Object(record)) if is_ticket_item(item) => {
            let mut whole = record.clone();
            for (name, value) in summary {
                whole.entry(name.as_str()).or_insert_with(|| value.clone());
            }
            serde_json::Value::Object(whole)
        }
        _ => item.data.clone(),
    };
    serde_json::from_value(data).map_err(|e| StoreError::Other(format!("corrupt item {}/{}: {e}", item.pk, item.sk)))
}

fn is_ticket_item(item: &Item) -> bool {
    item.sk == META && item.pk.starts_with(TICKET_PK_PREFIX)
}

/// A ticket's record as its item stores it: without members that read back as their
/// default (none, false, nothing). A transactional write costs two units per kilobyte
/// begun, so keeping a ticket's item under a kilobyte halves what most changes of a case
/// cost (issue 12); `a_ticket_reads_back_whole_from_its_lean_item` holds the round trip.
/// The item has no `summary`: its list entries hold keys alone, so a change that moves no
/// list key writes nothing to the list indexes, and a list reads its page of tickets in one
/// batch (`lists.rs`). Items written before 2026-12-04 carry a summary and a record without
/// the summary's members; `from_item` and `listing_of` read both shapes.
fn ticket_record(ticket: &Ticket) -> serde_json::Value {
    use serde_json::Value;
    fn drop_nulls(value: &mut Value) {
        match value {
            Value::Object(members) => {
                members.retain(|_, v| !v.is_null());
                members.values_mut().for_each(drop_nulls);
            }
            Value::Array(values) => values.iter_mut().for_each(drop_nulls),
            _ => {}
        }
    }
    let reads_as_default = |value: &Value| match value {
        Value::Null | Value::Bool(false) => true,
        Value::Array(values) => values.is_empty(),
        Value::Object(members) => members.is_empty(),
        Value::Number(number) => number.as_u64() == Some(0),
        Value::String(_) | Value::Bool(true) => false,
    };
    let mut data = to_data(ticket);
    if let Value::Object(record) = &mut data {
        record.retain(|_, value| !reads_as_default(value));
        record.values_mut().for_each(drop_nulls);
    }
    data
}

/// What a list shows of a ticket, and what deciding the reader's side needs (company,
/// desk): read from the ticket's item (`listing_of`), which lists fetch in one batch per
/// page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listing {
    pub id: TicketId,
    pub number: String,
    pub company: CompanyCode,
    pub subject: String,
    pub ticket_type: String,
    pub priority: Priority,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_status: Option<String>,
    pub desk: Desk,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reply: Option<LastReply>,
    /// How its service levels stand (none on cases filed before they existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceSummary>,
}

impl Listing {
    pub fn of(ticket: &Ticket) -> Listing {
        Listing {
            id: ticket.id.clone(),
            number: ticket.number.clone(),
            company: ticket.company.clone(),
            subject: ticket.subject.clone(),
            ticket_type: ticket.ticket_type.clone(),
            priority: ticket.priority,
            status: ticket.lifecycle.status,
            sub_status: ticket.lifecycle.sub_status.clone(),
            desk: ticket.lifecycle.desk,
            assignee: ticket.lifecycle.assignee.clone(),
            created_at: ticket.created_at,
            updated_at: ticket.updated_at,
            last_reply: ticket.last_reply,
            service: ticket.sla.as_ref().map(|sla| sla.summary()),
        }
    }
}

/// The company a ticket's item names, without decoding the whole record (the sweep reads
/// it for every due ticket).
pub fn summary_company(item: &Item) -> Option<&str> {
    item.summary.as_ref().unwrap_or(&item.data).get("company")?.as_str()
}

/// The listing of a ticket's item, read from the table (a list index holds its keys alone;
/// an item written before 2026-12-04 carries its listing as its summary).
pub fn listing_of(item: &Item) -> Result<Listing, StoreError> {
    match &item.summary {
        Some(summary) => Listing::deserialize(summary)
            .map_err(|e| StoreError::Other(format!("corrupt summary of {}/{}: {e}", item.pk, item.sk))),
        None if is_ticket_item(item) && !item.data.is_null() => Ok(Listing::of(&from_item::<Ticket>(item)?)),
        None => Err(StoreError::Other(format!("item {}/{} is no ticket", item.pk, item.sk))),
    }
}

/// The key that puts an item on the outbox index until its deliveries are done.
pub fn outbox_key(id: &str, at: DateTime<Utc>) -> IndexKey {
    IndexKey::new(outbox_pk(shard_of(id)), format!("{}#{id}", ts(at)))
}

/// The ticket's item with every index it belongs to. The due key is present only while a
/// lifecycle timer is pending, so the sweep reads due tickets and nothing else.
pub fn ticket_item(ticket: &Ticket, version: u64, timers: &Timers) -> Item {
    let open = ticket.lifecycle.status.is_open();
    // Index sort keys hold times alone: an index orders equal keys by the table's key (the
    // ticket), so the id need not be repeated in each (issue 12: a smaller item).
    let created = ts(ticket.created_at);
    let listing = Listing::of(ticket);
    // Open work sorts by its next service-level target (none last), then when it was filed.
    let work = match listing.service.and_then(|s| s.next_due_at) {
        Some(due) => format!("{}#{created}", ts(due)),
        None => format!("~#{created}"),
    };
    let mut item = Item::new(ticket_pk(&ticket.id), META, ticket_record(ticket));
    item.version = version;
    item.gsi1 = Some(IndexKey::new(requester_view(&ticket.requester.user_id, open), &created));
    item.gsi2 = Some(IndexKey::new(company_view(&ticket.company, open), &created));
    item.gsi3 = match (&ticket.lifecycle.assignee, open) {
        (Some(assignee), true) => Some(IndexKey::new(agent_view(assignee, true), &work)),
        (Some(assignee), false) => Some(IndexKey::new(agent_view(assignee, false), &created)),
        (None, true) => Some(IndexKey::new(
            match ticket.lifecycle.desk {
                Desk::Vendor => level_queue_view(ticket.lifecycle.level),
                Desk::Internal => queue_view(Desk::Internal, &ticket.company),
            },
            &work,
        )),
        (None, false) => None,
    };
    item.due = next_due(ticket, timers).map(|at| IndexKey::new(due_pk(shard_of(&ticket.id)), ts(at)));
    item
}

/// When the sweep must next look at the ticket: its lifecycle timer or its next
/// service-level alarm, whichever comes first.
pub fn next_due(ticket: &Ticket, timers: &Timers) -> Option<DateTime<Utc>> {
    let lifecycle = ticket.lifecycle.next_timer(timers).map(|(at, _)| at);
    let service_level = ticket
        .sla
        .as_ref()
        .and_then(|sla| sla.next_alarm())
        .map(|(at, _, _)| at);
    lifecycle.into_iter().chain(service_level).min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_sort_as_text() {
        let a = ts(DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z").unwrap().into());
        let b = ts(DateTime::parse_from_rfc3339("2026-01-02T03:04:05.5Z").unwrap().into());
        assert_eq!(a, "2026-01-02T03:04:05.000000Z");
        assert!(a < b);
    }

    fn filed_ticket(fill: bool) -> Ticket {
        use crate::domain::catalogue::Catalogue;
        use crate::domain::roles::{Identity, Role};
        use crate::domain::ticket::TicketDraft;
        let owner = Identity {
            user_id: "u-owner".into(),
            email: "owner@acme.test".into(),
            name: Some("Olga".into()),
            company: "ACME".into(),
            roles: vec![Role::Owner],
        };
        let draft = TicketDraft {
            desk: Some(Desk::Vendor),
            ticket_type: Some("support".into()),
            subject: Some("Claim will not save".into()),
            description: Some("Saving fails.".into()),
            ..Default::default()
        };
        let mut ticket = draft.validate(&owner, &Catalogue::defaults()).unwrap().into_ticket(
            TicketId::parse("t_abcdefghijkmnpqrstuvwxyz23").unwrap(),
            "ACME-000001".into(),
            &owner,
            DateTime::parse_from_rfc3339("2026-11-02T09:00:00Z").unwrap().into(),
        );
        if fill {
            ticket.affected_users = vec!["a@acme.test".into()];
            ticket.fields.insert("policy".into(), "P-1".into());
            ticket.needs_owner_approval = true;
            ticket.attachment_bytes = 12;
            ticket.callback_time = Some("mornings".into());
            ticket.lifecycle.assignee = Some("agent@vendor.test".into());
        }
        ticket
    }

    #[test]
    fn a_ticket_reads_back_whole_from_its_lean_item() {
        for fill in [false, true] {
            let ticket = filed_ticket(fill);
            let item = ticket_item(&ticket, 3, &Timers::default());
            assert!(item.summary.is_none(), "its list entries hold keys alone");
            let record = item.data.as_object().unwrap();
            assert!(record.values().all(|v| !v.is_null()), "{record:?}");
            assert_eq!(record.contains_key("fields"), fill, "empty members are left out");
            let back: Ticket = from_item(&item).unwrap();
            assert_eq!(back, ticket);
            assert_eq!(listing_of(&item).unwrap(), Listing::of(&ticket));
            assert_eq!(summary_company(&item), Some("ACME"));
            // An item of the layout before 2026-12-04 (a summary, and a record without the
            // summary's members) reads the same.
            let summary = to_data(&Listing::of(&ticket));
            let mut older = item.clone();
            older
                .data
                .as_object_mut()
                .unwrap()
                .retain(|name, value| summary.get(name) != Some(value));
            assert!(older.data.get("subject").is_none());
            older.summary = Some(summary);
            assert_eq!(from_item::<Ticket>(&older).unwrap(), ticket);
            assert_eq!(listing_of(&older).unwrap(), Listing::of(&ticket));
            assert_eq!(summary_company(&older), Some("ACME"));
            // So does an item that has the whole record (the first layout).
            let mut whole = older.clone();
            whole.data = to_data(&ticket);
            assert_eq!(from_item::<Ticket>(&whole).unwrap(), ticket);
        }
    }

    #[test]
    fn a_new_tickets_item_stays_under_a_kilobyte_packed() {
        let item = ticket_item(&filed_ticket(false), 1, &Timers::default());
        let keys = [&item.gsi1, &item.gsi2, &item.gsi3, &item.due]
            .iter()
            .filter_map(|k| k.as_ref())
            .map(|k| k.pk.len() + k.sk.len() + 12)
            .sum::<usize>();
        let size = pack(&item.data, Packing::Smallest).len()
            + item.summary.as_ref().map_or(0, |s| pack(s, Packing::Smallest).len())
            + keys;
        assert!(size < 800, "{size} bytes before its table key and names");
    }

    #[test]
    fn idempotency_records_of_two_callers_never_collide() {
        assert_ne!(idempotency_pk("u-a", "x#y"), idempotency_pk("u-a#x", "y"));
        assert_ne!(idempotency_pk("ab", "c"), idempotency_pk("a", "bc"));
        assert_eq!(idempotency_pk("u", "k"), idempotency_pk("u", "k"));
    }

    #[test]
    fn records_pack_to_less_and_unpack_to_the_same_whichever_layout_wrote_them() {
        let record = serde_json::json!({"subject": "Claim will not save", "history": vec!["created"; 24]});
        for effort in [Packing::Smallest, Packing::Quickest] {
            let packed = pack(&record, effort);
            assert!(packed.len() < record.to_string().len());
            assert_eq!(unpack(&packed).unwrap(), record);
            let short = serde_json::json!({"next": 65});
            assert_eq!(pack(&short, effort), short.to_string().into_bytes(), "kept as text");
            assert_eq!(unpack(&pack(&short, effort)).unwrap(), short);
            // The reused compressor writes the same bytes record after record, a long record too.
            let long = serde_json::json!({"text": "claim ".repeat(5000), "n": (0..2000).collect::<Vec<_>>()});
            let first = pack(&record, effort);
            for value in [&record, &long, &record] {
                assert_eq!(&unpack(&pack(value, effort)).unwrap(), value);
            }
            assert_eq!(pack(&record, effort), first);
        }
        assert_eq!(
            unpack(record.to_string().as_bytes()).unwrap(),
            record,
            "first-layout text"
        );
        assert!(unpack(b"\xff\x00 not a record").is_err());
        // Records packed plainly by issue 12's first passes (raw deflate) still read.
        assert_eq!(unpack(&plainly_deflated(&record)).unwrap(), record, "plain deflate");
        assert!(
            unpack(&[PACKED_WITH_DICTIONARY, 0xff, 0x00]).is_err(),
            "a broken record"
        );
    }

    /// A record as issue 12's first passes packed it: raw deflate, no dictionary.
    fn plainly_deflated(record: &serde_json::Value) -> Vec<u8> {
        let mut compressor = flate2::Compress::new(flate2::Compression::new(6), false);
        let mut out = Vec::with_capacity(4096);
        compressor
            .compress_vec(record.to_string().as_bytes(), &mut out, flate2::FlushCompress::Finish)
            .unwrap();
        out
    }

    #[test]
    fn the_dictionary_shrinks_a_tickets_summary_well_below_plain_deflate() {
        let ticket = filed_ticket(true);
        let summary = to_data(&Listing::of(&ticket));
        let plain = plainly_deflated(&summary).len();
        let packed = pack(&summary, Packing::Smallest).len();
        assert!(
            packed * 4 < plain * 3,
            "{packed} bytes with the dictionary, {plain} without"
        );
        let quickly = pack(&summary, Packing::Quickest).len();
        assert!(quickly < plain, "{quickly} bytes packed quickly, {plain} plainly");
    }

    #[test]
    fn shards_are_stable_and_in_range() {
        assert_eq!(shard_of("t_abc"), shard_of("t_abc"));
        assert!((0..100).all(|i| shard_of(&format!("t{i}")) < DUE_SHARDS));
    }
}
