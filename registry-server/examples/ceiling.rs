//! The benchmark ceiling: an axum hello-world answering `GET /` with 2 KB of JSON on `127.0.0.1:$PORT` (first
//! argument), on the same runtime, HTTP stack and build profile as the registry. `scripts/bench-server.sh` reports
//! the registry's cheap reads as a fraction of what this serves on the same machine in the same run.

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::args().nth(1).unwrap_or_default().parse()?;
    let body: &'static str =
        Box::leak(format!("{{\"payload\":\"{}\"}}", "x".repeat(2048 - 14)).into_boxed_str());
    let app = Router::new().route(
        "/",
        get(move || async move { ([(CONTENT_TYPE, "application/json")], body) }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
