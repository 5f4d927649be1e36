//! Writes the Mozilla root certificates (`webpki-root-certs`) as one PEM text that `tls.rs`
//! compiles in: the SDK's trust store takes PEM only, and encoding 150 roots at every cold
//! start cost a function about a third of a millisecond of its init.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use std::fmt::Write as _;

fn main() {
    let mut pem = String::new();
    for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        let _ = writeln!(
            pem,
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----",
            STANDARD.encode(cert.as_ref())
        );
    }
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("roots.pem"), pem).expect("OUT_DIR is writable");
    println!("cargo:rerun-if-changed=build.rs");
}
