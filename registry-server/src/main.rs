//! `registry-server`: parses configuration, starts logging and serves until SIGTERM or SIGINT.

use std::io::Write as _;

use clap::Parser as _;
use registry_server::config::Config;
use registry_server::{prepare, run, server, telemetry};

fn main() -> std::process::ExitCode {
    let config = Config::parse();
    // Dropped at the end of main, after the server has stopped: flushes the buffered log lines.
    let _log_guard = telemetry::init(config.log_format, config.limits.log_buffer_lines);
    // Publishing is CPU-bound work on blocking threads: more of them than cores only costs memory.
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(cores.max(2))
        .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "registry-server: starting the runtime: {e}"
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "registry-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> Result<(), registry_server::error::Error> {
    let mut settings = config.settings()?;
    let open_files = server::raise_open_file_limit();
    settings.edge.max_connections =
        server::connection_cap(settings.edge.max_connections, open_files);
    tracing::info!(
        open_files,
        max_connections = settings.edge.max_connections,
        header_read_timeout_s = settings.edge.header_read_timeout.as_secs_f64(),
        idle_timeout_s = settings.edge.idle_timeout.as_secs_f64(),
        request_timeout_s = settings.edge.request_timeout.as_secs_f64(),
        "registry_connection_limits"
    );
    let addr = settings.addr;
    let announce_token = settings
        .generated_token
        .then(|| settings.publish_token.clone())
        .flatten();
    let migrate_only = settings.migrate_only;
    let state = prepare(settings).await?;
    if migrate_only {
        let status = state.store.migration_status().await?;
        tracing::info!(applied = ?status.applied, pending = ?status.pending, "registry_migrate_only_complete");
        return Ok(());
    }
    if !state.publishing_enabled() {
        tracing::warn!("registry_publish_disabled");
    }
    let shutdown = shutdown_signal();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| registry_server::error::Error::Io {
            what: format!("binding {addr}"),
            source,
        })?;
    if let Some(token) = announce_token {
        // Printed once, on the terminal of whoever started a dev registry; never logged. A closed stderr is no
        // reason to stop (nor to panic, as `eprintln!` would).
        let url = registry_server::config::local_url(listener.local_addr().unwrap_or(addr));
        let _ = writeln!(
            std::io::stderr(),
            "\nDev registry on {url}/registry — publish with:\n  ANIP_REGISTRY_PUBLISH_TOKEN={}\n",
            token.expose()
        );
    }
    run(state, listener, shutdown).await
}

/// Resolves on SIGTERM or SIGINT. The handlers are installed when this is called, not when the future is first
/// polled, so a signal that arrives as soon as the server listens still drains it gracefully.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (mut terminate, mut interrupt) = signals;
            let terminate = async {
                match terminate.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let interrupt = async {
                match interrupt.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = terminate => {},
                () = interrupt => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("registry_shutting_down");
    }
}
