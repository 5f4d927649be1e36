//! Issue 6, trust: each company's data stays its own, hostile input is refused or kept as
//! text, and retries, races, faults and floods lose nothing. One test binary, one module
//! per promise; SECURITY.md names the test behind each promise.

mod common;

#[path = "trust/access.rs"]
mod access;
#[path = "trust/faults.rs"]
mod faults;
#[path = "trust/fuzz.rs"]
mod fuzz;
#[path = "trust/holes.rs"]
mod holes;
#[path = "trust/hostile.rs"]
mod hostile;
#[path = "trust/limits.rs"]
mod limits;
#[path = "trust/races.rs"]
mod races;
