//! Claimdesk's core: the pure domain, the ports both engines implement, the services that
//! run each use case against the ports, and the HTTP layer shared by the local server and
//! every Lambda function.

pub mod domain;
pub mod http;
pub mod mime;
pub mod ports;
pub mod services;
pub mod store;
