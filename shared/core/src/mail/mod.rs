//! Mail as Claimdesk writes and reads it: the templates of each kind, the per-ticket reply
//! address, the wire format, and the reading of inbound mail (pure: no I/O here; the
//! services in `services::mail::inbound` and `services::mail::feedback` act on what these decide).

pub mod address;
pub mod inbound;
pub mod mime;
pub mod quotes;
pub mod templates;
