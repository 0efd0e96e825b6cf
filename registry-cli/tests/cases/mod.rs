//! Tests grouped by concern (still one test binary for the crate): credentials in registry URLs, closed output
//! streams, colour, `verify --all`'s parallelism and connection reuse, the locks the command line writes, exit codes and
//! error documents, the config file, and the checks before publishing.

mod config;
mod discovery;
mod locks;
mod output;
mod parallel;
mod pipes;
mod publishers;
mod publishing;
mod readme;
mod secrets;
mod terminal;
