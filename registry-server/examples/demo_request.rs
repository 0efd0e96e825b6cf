//! Prints the demo publish request with the version placeholder `9.9.9-bench` (for `scripts/bench-server.sh`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let request = registry_server::demo::demo_request("bench-demo", "9.9.9-bench")?;
    println!("{}", serde_json::to_string(&request)?);
    Ok(())
}
