//! The embedded engine: everything Claimdesk needs from the outside world, on one machine,
//! in one folder. SQLite (WAL) holds the single table; attachments are files; mail goes to
//! an outbox folder of `.eml` files; domain events are appended to a JSON-lines log.

mod blobs;
mod events;
mod mail;
mod table;

pub use blobs::FileBlobs;
pub use events::EventLog;
pub use mail::EmlOutbox;
pub use table::SqliteTable;
