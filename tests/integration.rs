//! Every integration test, in one binary: the local server, the AWS SDK and the emulator
//! plumbing are compiled and linked once, and tests that load the machine take turns
//! through one lock (`common::heavy_turn`). Each module is one story; most run on both
//! engines through `on_both_engines!`.
//!
//! - `walkthrough`: the README's walk, end to end.
//! - `rules`: tenancy, notes, idempotency, limits, sharing, warranty, the type catalogue.
//! - `mail`: the inbound corpus, outgoing mail, bounces, complaints, mail outages.
//! - `aws_engine`: what only the AWS engine has (functions, events, what lands in AWS).
//! - `lambda_runtime`: a real release-built function under a local Lambda Runtime API.
//! - `migration`: a table of the first item layout brought to the current one.
//! - `directory`: invitations, access requests, account management, password resets.
//! - `knowledge`: articles, solutions, suggestions and search on both engines.
//! - `people`: signing in, refreshing and signing out; failed sign-ins paused.
//! - `portal`: the web portal in a real browser (chromium), the seeds' flows end to end.
//! - `service_levels`: business-hours targets, warnings and breaches through the sweep.
//! - `table_contract`: the `Table` port's promises, once, on SQLite and on DynamoDB.
//! - `template`: the SAM template held to the code, and the generated files to their source.
//! - `trust`: the promises of SECURITY.md.
//! - `warranty_claims`: a dealer's claim from draft to closed, the warranty check per bucket.

#[macro_use]
mod common;

mod aws_engine;
mod directory;
mod knowledge;
mod lambda_runtime;
mod mail;
mod migration;
mod people;
mod portal;
mod rules;
mod service_levels;
mod table_contract;
mod template;
mod trust;
mod walkthrough;
mod warranty_claims;
