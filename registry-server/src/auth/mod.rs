//! Who is asking and what they may do: scoped publisher tokens (`anip_pat_…`), the legacy global token, scopes,
//! and the ownership rules a publish is held to (reference §1.2, §2.8; DESIGN §7).

pub mod authenticate;
pub mod bootstrap;
pub mod client;
pub mod limits;
pub mod ownership;
pub mod rate;
pub mod scopes;
pub mod summary;
pub mod token;

pub use authenticate::{Grant, authenticate_publish, authenticate_scoped};
