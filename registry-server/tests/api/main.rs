//! Black-box tests of the registry over real HTTP on loopback, each run on the embedded SQLite store and on a real
//! Postgres that the harness starts itself. One test binary; modules by concern.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unreachable_pub
)] // test code

#[path = "../support/postgres.rs"]
mod postgres;

mod admin;
mod audit;
mod bad_input;
mod compat;
mod concurrency;
mod edge;
mod helpers;
mod lifecycle;
mod me;
mod me_profile;
mod migration;
mod outage;
mod ownership;
mod publish;
mod publishers;
mod reads;
mod store_setup;
mod templates;
mod versions;

/// Generates `sqlite::<name>` and `postgres::<name>` tests that run `<name>(&TestApp)` on each store.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await;
                    super::$name(&app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await;
                    super::$name(&app).await;
                }
            )*
        }
    };
}
