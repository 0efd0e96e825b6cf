//! Tests grouped by concern (still one test binary for the crate): credentials in registry URLs, closed output
//! streams, colour, `verify --all`'s parallelism and connection reuse, and the locks the command line writes.

mod locks;
mod parallel;
mod pipes;
mod publishers;
mod secrets;
mod terminal;
