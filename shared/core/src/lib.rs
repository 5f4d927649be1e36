//! Claimdesk's core: the pure domain, the ports both engines implement, the services that
//! run each use case against the ports, and the HTTP layer shared by the local server and
//! every Lambda function.
//!
//! # Layout
//!
//! - `domain`: the rules, pure (no I/O, no AWS types): roles and who sees what (`access`),
//!   tickets and their fields, the lifecycle state machine, claim numbers, the type
//!   catalogue, guest keys, warranty, field checks.
//! - `mail`: mail as we write and read it, pure: templates, reply addresses and what they
//!   prove, the wire format, reading inbound mail and its quoted history.
//! - `ports`: the few traits each engine implements (table, blobs, mailer, publisher,
//!   clock) and the shapes they carry.
//! - `store`: the single-table layout, every record's keys and indexes, written once.
//! - `services`: one use case at a time against the ports: reads, the pure domain, and a
//!   `Plan` of writes, committed through the one commit path (`commit`). Grouped by area:
//!   `tickets` (filing, reading, conversation, status, attachments, sharing, lists, the
//!   sweep), `mail` (inbound intake, outbox, notifications, bounces, email history),
//!   `warranty` (companies, products, serials, registration).
//! - `http`: one request in, one response out, for axum and `lambda_http` alike: the
//!   route declarations beside their handlers (`endpoints`, by area), routing, identity,
//!   idempotency, the commit of a plan, problems, rate limits.
//!
//! The one rule between layers: `domain` and `mail` depend on nothing of ours but each
//! other and the plain shapes of `ports`; `services` reach storage and the outside only
//! through `ports` and `store`; `http` calls `services` and never touches the table itself:
//! it hands a service's plan, with its idempotency record, to `services::Core::commit`.

pub mod domain;
pub mod http;
pub mod mail;
/// Kept at its old path: the engines and tests render and read mail through it.
pub use mail::mime;
pub mod ports;
pub mod services;
mod slugs;
pub mod store;
