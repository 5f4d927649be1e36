//! The few traits each engine implements: a single table of items (DynamoDB's model), blob
//! storage, mail, events, accounts (passwords and sessions), the search index and the clock. Services see
//! nothing else of the outside world.

use crate::domain::ids::{CompanyCode, Email, TicketId, UserId};
use crate::domain::people::User;
use crate::domain::roles::Role;
use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A secondary-index key. An item without one is absent from that index (sparse indexes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexKey {
    pub pk: String,
    pub sk: String,
}

impl IndexKey {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> IndexKey {
        IndexKey {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// One record of the single table, as DynamoDB would hold it: key, index keys, a TTL,
/// the optimistic-locking `version`, the record itself as JSON, and the small summary that
/// the list indexes carry instead of the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub pk: String,
    pub sk: String,
    pub gsi1: Option<IndexKey>,
    pub gsi2: Option<IndexKey>,
    pub gsi3: Option<IndexKey>,
    /// The sparse "due" index: present only while the item's lifecycle timer is pending.
    pub due: Option<IndexKey>,
    /// The sparse "outbox" index: present only while the item has mail or events to deliver.
    #[serde(default)]
    pub outbox: Option<IndexKey>,
    /// Epoch seconds after which the item is gone (DynamoDB TTL); readers treat it as absent.
    pub expires_at: Option<i64>,
    pub version: u64,
    /// The record. `Null` on an item read from an index that does not project it.
    pub data: serde_json::Value,
    /// What a list shows of the record (projected to the list indexes, `Projection::Summary`).
    #[serde(default)]
    pub summary: Option<serde_json::Value>,
}

impl Item {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>, data: serde_json::Value) -> Item {
        Item {
            pk: pk.into(),
            sk: sk.into(),
            gsi1: None,
            gsi2: None,
            gsi3: None,
            due: None,
            outbox: None,
            expires_at: None,
            version: 1,
            data,
            summary: None,
        }
    }

    pub fn index_key(&self, index: Index) -> Option<&IndexKey> {
        match index {
            Index::Table => None,
            Index::Gsi1 => self.gsi1.as_ref(),
            Index::Gsi2 => self.gsi2.as_ref(),
            Index::Gsi3 => self.gsi3.as_ref(),
            Index::Due => self.due.as_ref(),
            Index::Outbox => self.outbox.as_ref(),
        }
    }

    /// The item as a query on `index` returns it: its keys, and only what the index projects.
    /// Both engines answer index queries through this, so code that reads more than a list
    /// index holds fails on the embedded engine just as it would on DynamoDB.
    pub fn projected(mut self, index: Index) -> Item {
        match index.projection() {
            Projection::All => {}
            Projection::Summary => {
                self.data = serde_json::Value::Null;
                self.version = 0;
            }
            Projection::KeysOnly => {
                self.data = serde_json::Value::Null;
                self.summary = None;
                self.version = 0;
            }
        }
        self
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|t| t <= now.timestamp())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Index {
    Table,
    Gsi1,
    Gsi2,
    Gsi3,
    /// Tickets whose lifecycle timer is pending (the sweep).
    Due,
    /// Items with mail or events to deliver (the outbox).
    Outbox,
}

/// What an index keeps of an item besides its keys (the table key and the index key) and
/// its `expires_at` (so an index query drops expired entries as the table does). Each index
/// holds only what its reader needs, so a write copies little into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Projection {
    /// The table itself: everything.
    All,
    /// The item's `summary` (the list views).
    Summary,
    /// Keys alone, and the TTL (the sweep and the outbox read the items they find).
    KeysOnly,
}

impl Index {
    pub const SECONDARY: [Index; 5] = [Index::Gsi1, Index::Gsi2, Index::Gsi3, Index::Due, Index::Outbox];

    pub fn projection(self) -> Projection {
        match self {
            Index::Table => Projection::All,
            Index::Gsi1 | Index::Gsi2 | Index::Gsi3 => Projection::Summary,
            Index::Due | Index::Outbox => Projection::KeysOnly,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKey {
    All,
    BeginsWith(String),
    /// Sort keys up to and including this one (the sweep's "due by now").
    AtMost(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub index: Index,
    pub pk: String,
    pub sort: SortKey,
    pub newest_first: bool,
    pub limit: usize,
    pub after: Option<Cursor>,
}

impl Query {
    pub fn new(index: Index, pk: impl Into<String>) -> Query {
        Query {
            index,
            pk: pk.into(),
            sort: SortKey::All,
            newest_first: false,
            limit: 100,
            after: None,
        }
    }
}

/// Where a page ended: the last item's table key and, on an index, its index sort key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub pk: String,
    pub sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_sk: Option<String>,
}

impl Cursor {
    pub fn after(item: &Item, index: Index) -> Cursor {
        Cursor {
            pk: item.pk.clone(),
            sk: item.sk.clone(),
            index_sk: item.index_key(index).map(|k| k.sk.clone()),
        }
    }

    /// Opaque to clients: base64 of the JSON.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
    pub next: Option<Cursor>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    None,
    /// The key must not exist yet (creates, idempotency records).
    Absent,
    /// The stored item must still be at this version (optimistic locking).
    Version(u64),
    Exists,
}

// Writes live briefly in small batches; boxing the item would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// Writes the whole item. Under `Version(v)` the stored version becomes `item.version`,
    /// which the caller sets to v + 1.
    Put { item: Item, condition: Condition },
    Delete {
        pk: String,
        sk: String,
        condition: Condition,
    },
}

impl Write {
    pub fn create(item: Item) -> Write {
        Write::Put {
            item,
            condition: Condition::Absent,
        }
    }

    /// Replaces an item read at `read_version`, bumping its version.
    pub fn replace(mut item: Item, read_version: u64) -> Write {
        item.version = read_version + 1;
        Write::Put {
            item,
            condition: Condition::Version(read_version),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The write at this position of the batch found its condition false; nothing was written.
    #[error("condition failed on write {0}")]
    ConditionFailed(usize),
    /// Throttled or down: worth retrying later; nothing was written.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("store error: {0}")]
    Other(String),
}

/// DynamoDB's transactions take at most 100 items; we stay well below.
pub const MAX_WRITES_PER_TRANSACTION: usize = 100;

#[async_trait]
pub trait Table: Send + Sync {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError>;
    /// Items that exist among `keys`, in no particular order.
    async fn get_many(&self, keys: &[(String, String)]) -> Result<Vec<Item>, StoreError>;
    /// As `get_many`, but the reads may lag a write by a moment (eventually consistent: half
    /// the read units on DynamoDB): for the records a list's index query named, the query
    /// being no fresher itself.
    async fn get_many_listed(&self, keys: &[(String, String)]) -> Result<Vec<Item>, StoreError> {
        self.get_many(keys).await
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError>;
    /// All or nothing. Conditions treat an expired item (see `expires_at`) as absent.
    async fn write(&self, writes: Vec<Write>) -> Result<(), StoreError>;
    /// One page of the whole table in the engine's own order (expired items included),
    /// resumed after `after` (the cursor of the page before). Only the one-off layout
    /// migration walks the table; no request path does.
    async fn scan(&self, after: Option<&Cursor>, limit: usize) -> Result<Page, StoreError>;
    /// How many items reads have returned since start; benchmarks and tests prove costs with it.
    fn items_read(&self) -> u64;
}

/// Where a client sends an attachment's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UploadTarget {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Download {
    Bytes(Vec<u8>),
    Redirect(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRequest<'a> {
    pub key: &'a str,
    /// The ticket or article the file belongs to (the local engine's upload URL names it).
    pub owner: &'a str,
    pub attachment_id: &'a str,
    pub token: &'a str,
    pub content_type: &'a str,
    pub size: u64,
    pub expires_at: DateTime<Utc>,
    /// How long the target stays valid (presigned URLs carry a lifetime, not an end).
    pub valid_for: std::time::Duration,
}

/// Every download is sent as bytes to save, whatever type the uploader declared: a file is
/// never rendered by the browser from our origin, and the API document names one type.
pub const DOWNLOAD_CONTENT_TYPE: &str = "application/octet-stream";

#[async_trait]
pub trait Blobs: Send + Sync {
    /// Where the client sends the bytes, bound to the declared size and content type.
    async fn upload_target(&self, request: &UploadRequest<'_>) -> Result<UploadTarget, StoreError>;
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError>;
    /// The bytes, or a link to them, sent as `DOWNLOAD_CONTENT_TYPE` under `filename`.
    async fn download(&self, key: &str, filename: &str) -> Result<Option<Download>, StoreError>;
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Hands over a finished export file (its own from now on): the local engine leaves it
    /// where it is for the server to stream; S3 stores it under `key` and links to it for a
    /// few minutes, sent as `content_type` under `filename`.
    async fn publish_export(
        &self,
        file: &std::path::Path,
        key: &str,
        filename: &str,
        content_type: &str,
    ) -> Result<Exported, StoreError>;
}

/// Where a finished export is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exported {
    /// A file on this machine, to stream (and remove).
    File(std::path::PathBuf),
    /// A short-lived download link.
    Link(String),
}

/// A sign-in to make for a new user of the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub email: Email,
    pub name: String,
    pub company: CompanyCode,
    pub roles: Vec<Role>,
}

/// What signing in or refreshing gives: a bearer token the API verifies (the local
/// server's own, or Cognito's ID token that API Gateway's authorizer checks), how long it
/// holds, and the refresh token that gets the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// A wrong email or password, an unknown or inactive account, an unknown or ended
    /// session: one answer for all, so that nobody learns which accounts exist.
    #[error("refused")]
    Refused,
    /// The email already has an account.
    #[error("the email already has an account")]
    Taken,
    /// Throttled or down: worth retrying later.
    #[error("identity provider unavailable: {0}")]
    Unavailable(String),
    #[error("identity provider error: {0}")]
    Other(String),
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(m) => AccountError::Unavailable(m),
            other => AccountError::Other(other.to_string()),
        }
    }
}

/// Passwords and sessions: the local engine hashes passwords into the table and keeps its
/// own refresh sessions; on AWS they are Cognito's. The directory record (`people::User`)
/// is the core's, in the table, on both.
#[async_trait]
pub trait Accounts: Send + Sync {
    /// Makes a sign-in for a new user and says the id that names them from now on, with the
    /// writes to commit beside the directory record (the local engine's password hash). An
    /// invited user has no password yet and cannot sign in until they set one.
    async fn create(&self, account: &NewAccount, password: Option<&str>) -> Result<(UserId, Vec<Write>), AccountError>;
    /// Gives a user a new password and ends every session they have (the core also stamps
    /// `User::end_sessions`), with the writes to commit beside the directory record.
    async fn set_password(&self, user: &User, password: &str) -> Result<Vec<Write>, AccountError>;
    /// Brings the sign-in side up to a changed directory record: roles (Cognito's groups),
    /// and a deactivated user can no longer sign in and their sessions end.
    async fn update(&self, before: &User, after: &User) -> Result<(), AccountError>;
    /// Moves the sign-in to a new, confirmed email address (the directory's records move in
    /// the core's commit).
    async fn change_email(&self, user: &User, new_email: &Email) -> Result<(), AccountError>;
    async fn sign_in(&self, email: &Email, password: &str) -> Result<Tokens, AccountError>;
    async fn refresh(&self, refresh_token: &str) -> Result<Tokens, AccountError>;
    /// Ends the session the refresh token belongs to: it gets no more access tokens.
    async fn sign_out(&self, refresh_token: &str) -> Result<(), AccountError>;
}

/// One mail, fully rendered, to exactly one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub id: String,
    pub kind: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    #[serde(default)]
    pub ticket_id: Option<TicketId>,
    #[serde(default)]
    pub reply_to: Option<String>,
    /// Our Message-ID, and the thread root it answers (for In-Reply-To / References).
    pub message_id: String,
    #[serde(default)]
    pub thread_id: Option<String>,
}

/// A fact other systems may subscribe to (published to EventBridge on AWS).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    pub id: String,
    pub detail_type: String,
    pub at: DateTime<Utc>,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("delivery failed: {0}")]
pub struct DeliveryError(pub String);

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &Mail) -> Result<(), DeliveryError>;
}

#[async_trait]
pub trait Publisher: Send + Sync {
    async fn publish(&self, event: &DomainEvent) -> Result<(), DeliveryError>;
}

/// The search index (`domain::search`): kept current from the table's changes by the
/// engine (locally in the same transaction, on AWS by the stream's indexer), read here.
#[async_trait]
pub trait Search: Send + Sync {
    /// Up to `request.limit + 1` hits from `request.offset`, best first (the extra one says
    /// there is a next page).
    async fn search(
        &self,
        request: &crate::domain::search::SearchRequest,
    ) -> Result<Vec<crate::domain::search::Hit>, StoreError>;
    async fn suggest(
        &self,
        request: &crate::domain::search::SuggestRequest,
    ) -> Result<crate::domain::search::Suggestions, StoreError>;
}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock tests and demos move by hand.
pub struct ManualClock(std::sync::Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock(std::sync::Mutex::new(start))
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
