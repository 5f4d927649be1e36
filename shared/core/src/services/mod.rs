//! Use cases, each run against the ports. A use case that changes records returns a
//! [`Plan`]: the writes that must happen together and the value to answer with. The caller
//! (the HTTP layer, the sweep, the outbox) commits the plan as one transaction, so a change,
//! its notifications (the outbox) and its idempotency record land together or not at all.

pub mod announcements;
pub mod commit;
pub mod knowledge;
/// Mail and events: the intake of inbound mail, the outbox and what each change mails,
/// bounces and complaints, a ticket's email history.
pub mod mail;
/// Brings a table written by an earlier release to the current item layout (one-off,
/// resumable, in pages).
pub mod migrate;
pub mod notifications;
pub mod people;
/// Every kind of problem the API answers with.
pub mod problems;
/// Tickets: filing, reading, the conversation, status, attachments, sharing, the lists,
/// the lifecycle sweep.
pub mod tickets;
/// Warranty: staff's catalogue records (companies, products, serials), registration and
/// lookup.
pub mod warranty;

use crate::domain::access;
use crate::domain::catalogue::Catalogue;
use crate::domain::guest;
use crate::domain::ids::TicketId;
use crate::domain::lifecycle::{Side, Timers};
use crate::domain::roles::Identity;
use crate::domain::service_levels::clock::ServiceLevel;
use crate::domain::ticket::{Ticket, ATTACHMENT_LIMIT_BYTES};
use crate::domain::validate::Invalid;
use crate::ports::{Accounts, Blobs, Clock, Item, StoreError, Table, Write};
use crate::services::problems::ProblemKind;
use crate::store;
pub use mail::outbox::Pace;
use rand::RngCore;
use std::sync::Arc;
pub use tickets::numbers::{NumberLease, NumberPool};

/// Per-deployment settings. Defaults suit the local server.
#[derive(Debug, Clone)]
pub struct Settings {
    pub timers: Timers,
    pub attachment_limit_bytes: u64,
    /// The vendor's help desk: receives vendor tickets and escalations.
    pub vendor_desk_email: String,
    /// Urgent tickets are worked around the clock: this address hears of them at once.
    pub on_call_email: String,
    pub mail_from: String,
    /// Domain of per-ticket reply addresses and Message-IDs (SES receives mail for it).
    pub mail_domain: String,
    /// Keys the reply addresses' tags (`mail::address`): without it nobody can make one.
    pub mail_secret: Vec<u8>,
    /// The receiving mail server whose `Authentication-Results` header is believed (its
    /// authserv-id, RFC 8601): on AWS SES's `amazonses.com`; locally none unless configured.
    /// Only a sender it authenticates may thread a mail by the subject tag alone.
    pub mail_authserv_id: Option<String>,
    /// Where links in mail point (guest links).
    pub public_base_url: String,
    pub guest_key_days: i64,
    pub upload_minutes: i64,
    /// The largest block of ticket numbers a process reserves at once during a burst of
    /// creates (`tickets::numbers`): the most numbers one process can leave unused.
    pub number_block_max: u64,
    /// How many due tickets the sweep, and how many outbox entries a delivery run, work on
    /// at once (each is a few store round trips; a send to SES is tens of milliseconds).
    pub background_concurrency: usize,
    /// The most mails a second one deliverer hands to the mail service (SES's default
    /// sending quota is 14 a second; production accounts are raised to hundreds).
    pub mail_send_rate: f64,
    /// How a new notice reaches its delivery run (`mail::outbox`).
    pub delivery: Delivery,
    /// Days after a failure within which its warranty claim must be submitted.
    pub claim_filing_days: u32,
    /// The reasons a claim's line may be approved for less (`adjustment_reasons.json`).
    pub adjustment_reasons: Arc<crate::domain::warranty_claim::Reasons>,
    /// The business calendar and the targets per priority (`service_levels.json`).
    pub service_levels: Arc<crate::domain::service_levels::SharedLevels>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timers: Timers::default(),
            attachment_limit_bytes: ATTACHMENT_LIMIT_BYTES,
            vendor_desk_email: "helpdesk@claimdesk.local".into(),
            on_call_email: "oncall@claimdesk.local".into(),
            mail_from: "Claimdesk <support@claimdesk.local>".into(),
            mail_domain: "claimdesk.local".into(),
            // A deployment sets its own (the local server keeps one in its data folder, the
            // AWS engine reads CLAIMDESK_MAIL_SECRET); a fresh one here is never guessable.
            mail_secret: {
                let mut raw = vec![0u8; 32];
                rand::thread_rng().fill_bytes(&mut raw);
                raw
            },
            mail_authserv_id: None,
            public_base_url: "http://127.0.0.1:3000".into(),
            guest_key_days: 90,
            upload_minutes: 15,
            number_block_max: 64,
            background_concurrency: 32,
            mail_send_rate: 14.0,
            delivery: Delivery::FromIndex,
            claim_filing_days: 30,
            adjustment_reasons: Arc::new(crate::domain::warranty_claim::Reasons::defaults()),
            service_levels: Arc::default(),
        }
    }
}

/// How a new notice reaches its delivery run (`mail::outbox`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// No stream: a new notice is on the outbox index from the start, and each run claims
    /// what it takes.
    FromIndex,
    /// The table's stream (the AWS engine: it wakes `deliver-outbox` with each new
    /// notice's record, keeps records 24 hours and retries a failed batch). A notice is
    /// written held for that run, which delivers it with no claim, and on no index.
    Stream,
    /// A stream within the process (the embedded engine: its table tells the worker of
    /// each notice it inserts). Held for that worker as above, and on the outbox index
    /// due when the hold ends: what the process was told dies with it, the index does not.
    ProcessStream,
}

/// Everything a use case may touch.
#[derive(Clone)]
pub struct Core {
    pub table: Arc<dyn Table>,
    pub blobs: Arc<dyn Blobs>,
    /// Passwords and sessions (the local engine's own, or Cognito).
    pub accounts: Arc<dyn Accounts>,
    /// The search index (the engine's: SQLite FTS5 on both).
    pub search: Arc<dyn crate::ports::Search>,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    pub catalogue: Arc<Catalogue>,
    /// This process's reserved ticket numbers (`tickets::numbers`).
    pub numbers: NumberPool,
    /// This process's share of the mail send rate, kept from one delivery run to the next
    /// (`Pace`): a warm function's runs follow one another, and a bucket
    /// refilled for each would let every run start with a burst.
    pub pace: Arc<Pace>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Invalid(#[from] Invalid),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{detail}")]
    Forbidden { kind: ProblemKind, detail: String },
    #[error("{detail}")]
    Conflict { kind: ProblemKind, detail: String },
    #[error("{detail}")]
    TooLarge { field: &'static str, detail: String },
    /// Not signed in as anyone (a failed sign-in, an ended session).
    #[error("{0}")]
    Unauthenticated(String),
    /// Too many tries: wait `retry_after` seconds.
    #[error("{detail}")]
    RateLimited { detail: String, retry_after: u32 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn forbidden(kind: ProblemKind, detail: impl Into<String>) -> ServiceError {
        ServiceError::Forbidden {
            kind,
            detail: detail.into(),
        }
    }
    pub fn conflict(kind: ProblemKind, detail: impl Into<String>) -> ServiceError {
        ServiceError::Conflict {
            kind,
            detail: detail.into(),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::ConditionFailed(_) => {
                ServiceError::conflict(ProblemKind::ConcurrentUpdate, "the record changed meanwhile; try again")
            }
            StoreError::Unavailable(m) => ServiceError::Unavailable(m),
            StoreError::Other(m) => ServiceError::Internal(m),
        }
    }
}

/// Writes to commit together, and what to answer once they are in.
#[derive(Debug)]
pub struct Plan<T> {
    pub writes: Vec<Write>,
    pub value: T,
    /// Ticket numbers the writes use: kept once they are committed, handed back to the
    /// pool otherwise (`tickets::numbers`).
    pub numbers: Vec<NumberLease>,
}

impl<T> Plan<T> {
    pub fn new(writes: Vec<Write>, value: T) -> Plan<T> {
        Plan {
            writes,
            value,
            numbers: Vec::new(),
        }
    }

    /// The same writes and numbers, answering with `f(value)`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Plan<U> {
        Plan {
            writes: self.writes,
            value: f(self.value),
            numbers: self.numbers,
        }
    }
}

/// The caller, as seen from one ticket: which side they are on and how to name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// Key of the caller's "seen" marker: the user id, or "guest".
    pub reader: String,
    pub email: String,
    pub name: String,
    pub side: Side,
    /// Only the company's own users and staff; collaborators and guests have fewer rights.
    pub member: bool,
}

/// A ticket as read, with the version any update must be conditioned on.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    pub record: T,
    pub version: u64,
}

pub use crate::domain::ids::new_id;

/// The ticket a path or an address names: a malformed id is the same "not found" as an
/// unknown one, without a read.
pub fn ticket_id(text: &str) -> Result<TicketId, ServiceError> {
    TicketId::parse(text).ok_or(ServiceError::NotFound("ticket"))
}

/// A fresh secret (guest keys, upload tokens) and its stored hash.
pub fn new_secret() -> (String, String) {
    let mut raw = [0u8; guest::KEY_BYTES];
    rand::thread_rng().fill_bytes(&mut raw);
    let key = guest::encode_key(&raw);
    let hash = guest::hash_key(&key);
    (key, hash)
}

impl Core {
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub async fn load_ticket(&self, id: &TicketId) -> Result<Loaded<Ticket>, ServiceError> {
        let item = self
            .table
            .get(&store::ticket_pk(id), store::META)
            .await?
            .ok_or(ServiceError::NotFound("ticket"))?;
        Ok(Loaded {
            record: store::from_item(&item)?,
            version: item.version,
        })
    }

    /// Works out the caller's side on a ticket; a caller with no business there gets the
    /// same 404 as for a ticket that does not exist.
    pub async fn viewer(&self, who: &Identity, ticket: &Ticket) -> Result<Viewer, ServiceError> {
        let member_side = access::side_on(who, ticket, false);
        let side = match member_side {
            Some(side) => side,
            None => {
                let collab = self
                    .table
                    .get(
                        &store::ticket_pk(&ticket.id),
                        &store::collaborator_sk(&who.email.to_ascii_lowercase()),
                    )
                    .await?;
                access::side_on(who, ticket, collab.is_some()).ok_or(ServiceError::NotFound("ticket"))?
            }
        };
        Ok(Viewer {
            reader: who.user_id.to_string(),
            email: who.email.to_string(),
            name: who.display_name(),
            side,
            member: member_side.is_some(),
        })
    }

    /// Loads a ticket for a signed-in caller, or 404.
    pub async fn open_ticket(&self, who: &Identity, id: &TicketId) -> Result<(Loaded<Ticket>, Viewer), ServiceError> {
        let loaded = self.load_ticket(id).await?;
        let viewer = self.viewer(who, &loaded.record).await?;
        Ok((loaded, viewer))
    }

    /// The write of a changed ticket (version-checked); its service-level clocks are
    /// first brought in line with the change.
    pub fn ticket_write(&self, ticket: &mut Ticket, read_version: u64) -> Write {
        self.settle_service_level(ticket);
        Write::replace(
            store::ticket_item(ticket, read_version, &self.settings.timers),
            read_version,
        )
    }

    /// The write of a new ticket: its service-level clocks start now.
    pub fn ticket_create(&self, ticket: &mut Ticket) -> Write {
        let levels = &self.settings.service_levels;
        ticket.sla = Some(ServiceLevel::start(
            levels,
            ticket.company.as_str(),
            ticket.priority,
            ticket.lifecycle.desk,
            ticket.created_at,
        ));
        Write::create(store::ticket_item(ticket, 1, &self.settings.timers))
    }

    pub async fn get_record<T: serde::de::DeserializeOwned>(
        &self,
        pk: &str,
        sk: &str,
    ) -> Result<Option<Loaded<T>>, ServiceError> {
        let now = self.now();
        match self.table.get(pk, sk).await? {
            Some(item) if !item.is_expired(now) => Ok(Some(Loaded {
                record: store::from_item(&item)?,
                version: item.version,
            })),
            _ => Ok(None),
        }
    }

    pub fn require_agent(&self, who: &Identity, what: &str) -> Result<(), ServiceError> {
        if who.is_agent() {
            Ok(())
        } else {
            Err(ServiceError::forbidden(
                ProblemKind::StaffOnly,
                format!("only support staff may {what}"),
            ))
        }
    }
}

pub fn item_of<T: serde::Serialize>(pk: String, sk: impl Into<String>, record: &T) -> Item {
    Item::new(pk, sk, store::to_data(record))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_128_random_bits() {
        let a = new_id("t");
        let b = new_id("t");
        assert_ne!(a, b);
        assert_eq!(a.len(), 28);
        assert!(a.starts_with("t_"));
    }
}
