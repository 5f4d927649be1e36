//! The SDK's HTTPS client, trusting the Mozilla root certificates compiled into the binary
//! (`webpki-root-certs`) instead of the machine's: the default client reads every file under
//! `/etc/ssl/certs` when a function starts, which was about 60 % of its init (issue 12).
//! The roots are the same set browsers trust; they change only with a rebuild, which a
//! Lambda deployment is anyway. `build.rs` writes them as PEM text once, at build time; the
//! client parses them when it makes its first connection.

use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_http_client::Builder;

/// Every compiled-in root, one PEM block each.
const ROOTS_PEM: &str = include_str!(concat!(env!("OUT_DIR"), "/roots.pem"));

fn compiled_roots() -> TrustStore {
    TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(ROOTS_PEM)
}

/// An HTTPS client (rustls with aws-lc, as the SDK's default) that reads no file.
pub fn https_client() -> SharedHttpClient {
    let context = TlsContext::builder()
        .with_trust_store(compiled_roots())
        .build()
        .expect("a trust store of compiled-in roots is a valid TLS context");
    Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_reads_back_every_root_as_it_reads_a_trust_store() {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::CertificateDer;
        let roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS;
        assert!(roots.len() > 100, "the Mozilla set");
        let read: Vec<CertificateDer> = CertificateDer::pem_slice_iter(ROOTS_PEM.as_bytes())
            .collect::<Result<_, _>>()
            .expect("valid PEM");
        assert_eq!(read, roots);
    }
}
