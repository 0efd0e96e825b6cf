//! The ANIP trust registry server: HTTP API, publish pipeline, stores, signing, metrics and UI.
//!
//! `main.rs` parses configuration and calls [`run`]; tests bind `127.0.0.1:0` and pass their own shutdown.

pub mod auth;
pub mod background;
pub mod breaker;
pub mod cache;
pub mod cards;
pub mod compress;
pub mod config;
pub mod demo;
pub mod downloads;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod http;
pub mod limits;
pub mod log;
pub mod metrics;
pub mod openapi;
pub mod publish;
pub mod reads;
pub mod replica;
pub mod routes;
pub mod server;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod time;
pub mod tuning;
pub mod ui;
pub mod views;

use std::future::Future;

use tokio::net::TcpListener;

use crate::config::Settings;
use crate::error::Error;
use crate::extract::Publisher;
use crate::state::AppState;
use crate::store::Insert;

/// Opens the store, migrates it when asked, seeds the demo package when asked, and returns the state.
pub async fn prepare(settings: Settings) -> Result<AppState, Error> {
    let signing = &settings.signing;
    if signing.dev_key {
        tracing::warn!(
            mode = settings.mode.as_str(),
            key_id = %signing.signer.key_id(),
            dev_key = true,
            "registry_signing_mode"
        );
    } else {
        tracing::info!(mode = settings.mode.as_str(), key_id = %signing.signer.key_id(), dev_key = false, "registry_signing_mode");
    }
    let store = store::open(&settings.store, &settings.store_limits).await?;
    if settings.run_migrations || settings.migrate_only {
        store.migrate().await?;
    }
    let state = AppState::new(store, settings)?;
    // A default origin carries the stored log id; an unreachable store is asked again when the log is first used.
    if let Err(e) = state.log.resolve(state.store.as_ref()).await {
        tracing::warn!(error = %e, "registry_log_name_unresolved");
    }
    if let Ok(status) = state.store.migration_status().await {
        state.metrics.migrations(
            status.applied.len(),
            status.applied.len() + status.pending.len(),
        );
    }
    if state.settings.seed_demo && !state.settings.migrate_only && state.replica.is_none() {
        seed_demo(&state).await?;
    }
    if !state.settings.migrate_only && state.replica.is_none() {
        auth::bootstrap::run(&state).await?;
    }
    Ok(state)
}

/// Publishes the demo package when the store is empty.
async fn seed_demo(state: &AppState) -> Result<(), Error> {
    if state.store.package_count().await? > 0 {
        return Ok(());
    }
    let request = demo::demo_request(demo::DEMO_PACKAGE_ID, demo::DEMO_VERSION)?;
    let body =
        serde_json::to_vec(&request).map_err(|e| Error::Internal(format!("demo request: {e}")))?;
    let publisher = Publisher {
        id: state.settings.publisher_id.clone(),
        kind: state.settings.publisher_type.clone(),
    };
    let package = publish::prepare(&body, &publisher, state)?;
    if let Insert::Created = state.store.insert_package(&package).await? {
        tracing::info!(
            package_id = demo::DEMO_PACKAGE_ID,
            version = demo::DEMO_VERSION,
            "registry_demo_seeded"
        );
    }
    Ok(())
}

/// Serves the registry on `listener` until `shutdown` resolves, then drains in-flight requests (see
/// [`server::serve`] for the connection limits).
pub async fn run(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let addr = listener.local_addr().map_err(|source| Error::Io {
        what: "reading the listen address".into(),
        source,
    })?;
    tracing::info!(addr = %addr, url = %config::local_url(addr), store = state.store.backend(), "registry_listening");
    let background = background::start(&state);
    // A replica signs nothing: its follower stores the origin's log instead of an integrator sequencing its own.
    let integrator = match &state.replica {
        Some(replica) => replica::spawn(replica.clone(), &state),
        None => log::integrator::spawn(state.log.clone(), state.store.clone()),
    };
    let probe = tokio::spawn(breaker::probe(
        state.store.clone(),
        state.breaker.clone(),
        state.settings.store_limits,
    ));
    let limits = state.settings.edge;
    let metrics = state.metrics.clone();
    let app = routes::router(state.clone());
    server::serve(listener, app, limits, metrics, shutdown).await;
    probe.abort();
    integrator.abort();
    // In-flight requests are done: store the downloads counted since the last flush.
    background.stop(&state).await;
    Ok(())
}
