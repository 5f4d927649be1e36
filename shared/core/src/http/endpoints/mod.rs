//! The API's endpoints, one module per area. Each declares its Lambda functions and their
//! routes (`routes::declare!`) beside the small handlers they name: parse, call a service,
//! answer. Adding an endpoint to an area touches only that area's module; a new area adds
//! its module here and to `AREAS`.

pub mod announcements;
pub mod claims;
pub mod conversation;
pub mod exports;
pub mod files;
pub mod knowledge;
pub mod mail;
pub mod meta;
pub mod notifications;
pub mod people;
pub mod rmas;
pub mod sessions;
pub mod tickets;
pub mod warranty;

use super::routes::Function;

/// Every area's functions, in the order the local router tries them.
pub const AREAS: &[&[&Function]] = &[
    meta::FUNCTIONS,
    sessions::FUNCTIONS,
    people::FUNCTIONS,
    tickets::FUNCTIONS,
    conversation::FUNCTIONS,
    files::FUNCTIONS,
    warranty::FUNCTIONS,
    claims::FUNCTIONS,
    rmas::FUNCTIONS,
    exports::FUNCTIONS,
    knowledge::FUNCTIONS,
    announcements::FUNCTIONS,
    notifications::FUNCTIONS,
    mail::FUNCTIONS,
];
