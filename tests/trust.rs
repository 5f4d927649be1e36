//! Issue 6, trust: each company's data stays its own, hostile input is refused or kept as
//! text, and retries, races, faults and floods lose nothing. One test binary, one module
//! per promise; SECURITY.md names the test behind each promise.

mod access;
mod faults;
mod fuzz;
mod holes;
mod hostile;
mod limits;
mod portal_files;
mod races;
