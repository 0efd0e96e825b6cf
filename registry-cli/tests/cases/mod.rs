//! Tests grouped by concern (still one test binary for the crate): credentials in registry URLs, closed output
//! streams, colour, `verify --all`'s parallelism and connection reuse, the locks the command line writes, exit codes and
//! error documents, the config file, the checks before publishing, and the transparency log (inclusion,
//! consistency across runs, forks, audit, offline bundle proofs).

mod config;
mod discovery;
mod locks;
mod log;
mod log_audit;
mod mirror;
mod mirror_faults;
mod mirror_static;
mod output;
mod parallel;
mod pipes;
mod publishers;
mod publishing;
mod readme;
mod replica;
mod secrets;
mod terminal;
mod tls;
mod verify_all_log;
