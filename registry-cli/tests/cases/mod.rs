//! Tests grouped by concern (still one test binary for the crate): credentials in registry URLs, closed output
//! streams, colour, `verify --all`'s parallelism and connection reuse, the locks the command line writes, and the
//! transparency log (inclusion, consistency across runs, forks, audit, offline bundle proofs).

mod locks;
mod log;
mod parallel;
mod pipes;
mod secrets;
mod terminal;
