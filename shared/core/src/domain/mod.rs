//! The pure domain: types, validation, the lifecycle, access rules. No I/O, no AWS types.

pub mod access;
pub mod announcement;
pub mod catalogue;
pub mod claims;
pub mod company;
pub mod directory;
pub mod guest;
pub mod ids;
pub mod knowledge;
pub mod lifecycle;
pub mod money;
pub mod people;
pub mod roles;
pub mod search;
pub mod service_levels;
pub mod ticket;
pub mod validate;
pub mod warranty;
pub mod warranty_claim;
