//! The SDK's HTTPS client, trusting the Mozilla root certificates compiled into the binary
//! (`webpki-root-certs`) instead of the machine's: the default client reads every file under
//! `/etc/ssl/certs` when a function starts, which was about 60 % of its init (issue 12).
//! The roots are the same set browsers trust; they change only with a rebuild, which a
//! Lambda deployment is anyway.

use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_http_client::Builder;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";

/// The compiled-in roots as the PEM the client's trust store takes.
fn root_pems() -> impl Iterator<Item = String> {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|cert| format!("{BEGIN}\n{}\n{END}\n", STANDARD.encode(cert.as_ref())))
}

fn compiled_roots() -> TrustStore {
    let mut store = TrustStore::empty().with_native_roots(false);
    for pem in root_pems() {
        store.add_pem_certificate(pem);
    }
    store
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
    fn each_root_becomes_a_pem_block_of_its_own_bytes() {
        let roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS;
        assert!(roots.len() > 100, "the Mozilla set");
        for (pem, der) in root_pems().zip(roots) {
            let body = pem
                .strip_prefix(BEGIN)
                .and_then(|rest| rest.trim_end().strip_suffix(END))
                .expect("one PEM block");
            assert_eq!(STANDARD.decode(body.trim()).unwrap(), der.as_ref());
        }
        assert_eq!(root_pems().count(), roots.len());
    }

    #[test]
    fn the_client_reads_back_every_root_as_it_reads_a_trust_store() {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::CertificateDer;
        for (pem, der) in root_pems().zip(webpki_root_certs::TLS_SERVER_ROOT_CERTS) {
            let read: Vec<CertificateDer> = CertificateDer::pem_slice_iter(pem.as_bytes())
                .collect::<Result<_, _>>()
                .expect("valid PEM");
            assert_eq!(read, std::slice::from_ref(der));
        }
    }
}
