//! `registry-server`'s integration tests, one test binary with modules by concern: black-box tests of the registry
//! over real HTTP on loopback, each run on the embedded SQLite store and on a real Postgres that the harness
//! (`postgres`) starts itself; the browser UI's pages (`ui`); the `registry-server` binary as a process (`binary`);
//! and the Postgres harness itself (`postgres_harness`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unreachable_pub
)] // test code

mod postgres;

mod admin;
mod audit;
mod bad_input;
mod binary;
mod compat;
mod concurrency;
mod downloads_read;
mod edge;
mod governance;
mod helpers;
mod id_versions;
mod lifecycle;
mod listing_plans;
mod log;
mod log_backfill;
mod log_id;
mod log_oracle;
mod log_receipts;
mod log_records;
mod log_replicas;
mod me;
mod me_profile;
mod migration;
mod openapi;
mod outage;
mod ownership;
mod postgres_harness;
mod publish;
mod publishers;
mod rate_limit;
mod reads;
mod replica;
mod replica_bulk;
mod replica_lies;
mod replica_resume;
mod replica_state;
mod reports;
mod search;
mod store_setup;
mod templates;
mod tls;
mod ui;
mod ui_publishers;
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
