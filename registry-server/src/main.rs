//! `registry-server`: the ANIP trust registry's HTTP server (a skeleton until the server issue lands).

fn main() {
    eprintln!("registry-server: not built yet; see README.md");
    std::process::exit(1);
}
