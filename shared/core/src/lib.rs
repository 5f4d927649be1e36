//! Claimdesk's core: the pure domain, the ports both engines implement, the services that
//! run each use case against the ports, and the HTTP layer shared by the local server and
//! every Lambda function.

pub mod domain;
pub mod http;
pub mod mail;
/// Kept at its old path: the engines and tests render and read mail through it.
pub use mail::mime;
pub mod ports;
pub mod services;
pub mod store;
