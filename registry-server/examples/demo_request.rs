//! Prints the demo publish request: `demo_request [ID] [VERSION]` (defaults `bench-demo` and the placeholder
//! `9.9.9-bench` that `scripts/bench-server.sh` replaces per request).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let id = args.next().unwrap_or_else(|| "bench-demo".to_owned());
    let version = args.next().unwrap_or_else(|| "9.9.9-bench".to_owned());
    let request = registry_server::demo::demo_request(&id, &version)?;
    println!("{}", serde_json::to_string(&request)?);
    Ok(())
}
