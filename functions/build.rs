//! Links the Lambda binaries as position-dependent executables (`-no-pie`), on Linux only.
//!
//! Why (issue 12, "a lean cold start"): a position-independent executable is relocated by the
//! loader at every start, and a function's ~850 KB of relocated read-only data (vtables,
//! tables of pointers) is written page by page, each a copy-on-write fault, before `main`
//! runs: about three quarters of a millisecond of a create-ticket start here, as much as the
//! whole rest of its init. Linked at a fixed address those pointers are resolved by the
//! linker, and the pages are only read when used. What it costs: the executable image
//! itself is not placed at a random address (the libraries, heap, stack and mappings still
//! are); SECURITY.md says so. The code is still compiled position-independent, so the same
//! objects link either way; `bench/` uses this script too, so the hello-world baseline is
//! linked the same way as the functions it is compared with.
//! `rustc-link-arg-bins` reaches only the executables: a `cdylib` among the dependencies
//! must stay a shared object.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
