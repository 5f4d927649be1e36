//! What the operator commands (`migrate-table`, `create-admin`) share.

/// The value after `--name` on the command line, if any.
pub fn flag_value(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}
