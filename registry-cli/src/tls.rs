//! TLS for the registry client: rustls (ring) trusting the Mozilla roots compiled in (webpki-roots, as ureq does by
//! default; the system store is not read) plus, when given, the CA certificates of `--ca-file` /
//! `ANIP_REGISTRY_CA_FILE` (a PEM bundle: a registry or mirror behind a private CA).

use std::sync::{Arc, OnceLock};

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;

use crate::error::{CliError, Result};

static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();

/// Makes every client made afterwards ([`crate::client::Registry::new`]) trust the CA certificates in the PEM file
/// at `path` besides the built-in roots.
///
/// Errors: exit 1 when the file cannot be read, holds no PEM certificate, or a certificate is not a CA rustls
/// accepts.
pub fn trust_ca_file(path: &str) -> Result<()> {
    let bad = |why: String| CliError::CouldNotRun(format!("--ca-file {path}: {why}"));
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("not PEM certificates ({e})")))?;
    if certs.is_empty() {
        return Err(bad("holds no PEM certificate".to_owned()));
    }
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for cert in certs {
        roots
            .add(cert)
            .map_err(|e| bad(format!("a certificate is not usable as a CA ({e})")))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| bad(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    // A second call keeps the first configuration (one command, one --ca-file).
    let _ = CONFIG.set(Arc::new(config));
    Ok(())
}

/// The configuration [`trust_ca_file`] made, if it was called.
pub(crate) fn config() -> Option<Arc<rustls::ClientConfig>> {
    CONFIG.get().cloned()
}
