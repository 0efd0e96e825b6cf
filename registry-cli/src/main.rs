//! `registry`: the command line for publishers, generators and auditors (a skeleton until the CLI issue lands).

fn main() {
    eprintln!("registry: not built yet; see README.md");
    std::process::exit(1);
}
