//! Writes the files derived from the route declarations: each API function's `main`, the
//! `functions/` manifest, the SAM template's API section, and a starting `events/api/`
//! payload for a new route. `--check` writes nothing and fails when a file is stale.
//!
//! cargo run -p claimdesk-aws --bin generate [-- --check]

use claimdesk_aws::generate;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files = match generate::files(&root) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("generate: {e}");
            return ExitCode::FAILURE;
        }
    };
    if check {
        let stale = generate::stale(&root).unwrap_or_default();
        for path in &stale {
            eprintln!("stale: {}", path.display());
        }
        return if stale.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    for file in files.into_iter().chain(generate::missing_events(&root)) {
        if std::fs::read_to_string(&file.path).ok().as_deref() == Some(file.text.as_str()) {
            continue;
        }
        if let Err(e) = std::fs::write(&file.path, &file.text) {
            eprintln!("generate: {}: {e}", file.path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", file.path.display());
    }
    ExitCode::SUCCESS
}
