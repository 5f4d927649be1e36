// The portal's files are built into the local server (`include_dir!` in src/portal.rs);
// cargo rebuilds it when any of them changes.
fn main() {
    println!("cargo:rerun-if-changed=portal");
}
