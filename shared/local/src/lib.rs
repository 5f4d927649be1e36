//! The embedded engine: everything Claimdesk needs from the outside world, on one machine,
//! in one folder. SQLite (WAL) holds the single table; attachments are files; mail goes to
//! an outbox folder of `.eml` files; domain events are appended to a JSON-lines log.

mod accounts;
mod blobs;
mod events;
mod kept;
mod mail;
mod table;
mod writer;

pub use accounts::{
    hash_password, password_matches, LocalAccounts, ACCESS_TOKEN_SECONDS, ARGON2_LANES, ARGON2_MEMORY_KIB,
    ARGON2_PASSES,
};
pub use blobs::FileBlobs;
pub use events::EventLog;
pub use mail::EmlOutbox;
pub use table::{InsertListener, SqliteTable};
