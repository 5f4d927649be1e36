//! The AWS engine: the ports of `claimdesk-core` over DynamoDB (one table), S3
//! (attachments), SES v2 (mail) and EventBridge (domain events), and the Lambda adapters
//! every function in `functions/` hands its events to.

pub mod accounts;
pub mod blobs;
pub mod config;
pub mod engine;
pub mod events;
pub mod feedback;
pub mod generate;
pub mod lambda;
pub mod lazy;
pub mod mail;
pub mod metering;
pub mod provision;
pub mod search;
pub mod table;
pub mod tls;
pub mod tools;

pub use engine::Engine;
