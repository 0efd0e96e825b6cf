//! An https front for CLI tests: the server tests' throwaway CA and TLS-terminating proxy (one source, included
//! from `registry-server/tests/api/tls.rs`), run on a runtime of its own so blocking tests can use it.

#[path = "../../../registry-server/tests/api/tls.rs"]
mod front;

/// A running https front (stops when dropped): its URL and the PEM of the CA its certificate chains to.
pub struct TlsFront {
    /// `https://127.0.0.1:<port>`.
    pub url: String,
    /// The CA certificate, PEM.
    pub ca_pem: String,
    _runtime: tokio::runtime::Runtime,
}

impl TlsFront {
    /// Serves https on `127.0.0.1:0` (a certificate for `127.0.0.1` and `localhost` from a new CA), forwarding each
    /// connection's bytes to `upstream` (`host:port`, plain TCP).
    pub fn start(upstream: &str) -> TlsFront {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let front = runtime.block_on(front::tls_front(upstream));
        TlsFront {
            url: front.url,
            ca_pem: front.ca_pem,
            _runtime: runtime,
        }
    }
}
