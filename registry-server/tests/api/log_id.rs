//! Each log's default origin carries its random id (migration 0010): two development registries are two logs, a
//! restarted one keeps its origin, and a log that had entries before log ids keeps the origin its checkpoints and
//! proofs were signed under.

use clap::Parser as _;
use registry_server::config::Config;
use registry_server::extract::Publisher;
use registry_server::state::AppState;
use reqwest::StatusCode;
use verifier::tlog::{Policy, TlogProof, VerifierKey};

use crate::helpers::{Backend, TestApp, demo};
use crate::log::verified_checkpoint;

const LEGACY_ORIGIN: &str = "localhost/anip-registry";

/// A fresh database URL of `backend` (the temp dir holds a SQLite file).
fn fresh(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("registry.db").display());
            (url, Some(dir))
        }
        Backend::Postgres => (crate::postgres::cluster().fresh_database(), None),
    }
}

/// `/keys`'s log origin.
async fn origin_of(app: &TestApp) -> String {
    let keys = app.get_json("/keys", StatusCode::OK).await;
    keys["log"]["origin"].as_str().unwrap().to_owned()
}

/// `/keys`'s log verifier keys as a policy.
async fn policy_of(app: &TestApp) -> Policy {
    let keys = app.get_json("/keys", StatusCode::OK).await;
    let vkeys = keys["log"]["verifier_keys"].as_array().unwrap();
    Policy::from_log_keys(
        vkeys
            .iter()
            .map(|k| VerifierKey::parse(k.as_str().unwrap()).unwrap())
            .collect(),
    )
    .unwrap()
}

/// The id part of a development origin (`localhost/anip-registry/<16 hex>`).
fn id_of(origin: &str) -> &str {
    let id = origin
        .strip_prefix("localhost/anip-registry/")
        .unwrap_or_else(|| panic!("{origin} is not a development origin with an id"));
    assert!(
        id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{origin}"
    );
    id
}

/// The server state on `url` as `prepare` makes it, without serving (migrations run when `migrate`).
async fn state_on(url: &str, migrate: bool) -> AppState {
    let migrate = if migrate { "true" } else { "false" };
    let settings = Config::try_parse_from([
        "registry-server",
        "--database-url",
        url,
        "--run-migrations",
        migrate,
    ])
    .unwrap()
    .settings()
    .unwrap();
    registry_server::prepare(settings).await.unwrap()
}

/// Applies migrations up to 0009 only: the schema before log ids.
async fn migrate_to_0009(backend: Backend, url: &str) {
    let migrator = crate::migration::migrator_up_to(backend, 9).await;
    match backend {
        Backend::Sqlite => migrator
            .run(&sqlx::SqlitePool::connect(url).await.unwrap())
            .await
            .unwrap(),
        Backend::Postgres => migrator
            .run(&sqlx::PgPool::connect(url).await.unwrap())
            .await
            .unwrap(),
    }
}

/// A store at 0009 run as the server ran before log ids: its log signed under `localhost/anip-registry`, with
/// `versions` of `old-log` published and sequenced.
async fn log_before_ids(backend: Backend, url: &str, versions: &[&str]) {
    // `prepare` first opens (creates) the store; nothing is migrated yet.
    drop(state_on(url, false).await);
    migrate_to_0009(backend, url).await;
    let state = state_on(url, false).await;
    assert_eq!(state.log.name().unwrap().origin, LEGACY_ORIGIN);
    let publisher = Publisher {
        id: "old-publisher".into(),
        kind: "organization".into(),
    };
    for v in versions {
        let p = registry_server::publish::prepare(&demo("old-log", v), &publisher, &state).unwrap();
        state.store.insert_package(&p).await.unwrap();
    }
    registry_server::log::integrator::run(&state.log, &state.store)
        .await
        .unwrap();
    let cp = state.store.log_latest_checkpoint().await.unwrap().unwrap();
    assert_eq!(cp.tree_size, versions.len() as u64);
    assert!(
        cp.note.starts_with("localhost/anip-registry\n"),
        "{}",
        cp.note
    );
}

async fn two_registries_are_two_logs_and_a_restart_keeps_its_origin(backend: Backend) {
    let ((url_a, _dir_a), (url_b, _dir_b)) = (fresh(backend), fresh(backend));
    let a = TestApp::spawn_on(&url_a, &[]).await;
    let b = TestApp::spawn_on(&url_b, &[]).await;
    let (origin_a, origin_b) = (origin_of(&a).await, origin_of(&b).await);
    assert_ne!(id_of(&origin_a), id_of(&origin_b), "two logs, two origins");
    for app in [&a, &b] {
        assert_eq!(
            app.publish(demo("same-name", "1.0.0")).await.status(),
            StatusCode::CREATED
        );
    }
    let (size, root, note) = verified_checkpoint(&a).await;
    a.stop().await;
    b.stop().await;

    let a = TestApp::spawn_on(&url_a, &[]).await;
    assert_eq!(origin_of(&a).await, origin_a, "a restart keeps the origin");
    assert_eq!(verified_checkpoint(&a).await, (size, root, note.clone()));
    policy_of(&a)
        .await
        .verify_checkpoint(&note)
        .expect("the checkpoint from before the restart verifies");
    let b = TestApp::spawn_on(&url_b, &[]).await;
    assert_eq!(origin_of(&b).await, origin_b);

    // An explicit origin still wins over the id.
    a.stop().await;
    let a = TestApp::spawn_on(&url_a, &["--log-origin", "named.example/log"]).await;
    assert_eq!(origin_of(&a).await, "named.example/log");
}

async fn a_log_with_entries_before_log_ids_keeps_its_origin_and_proofs(backend: Backend) {
    let (url, _dir) = fresh(backend);
    log_before_ids(backend, &url, &["1.0.0"]).await;
    let old = state_on(&url, false)
        .await
        .store
        .log_latest_checkpoint()
        .await
        .unwrap()
        .unwrap();

    let app = TestApp::spawn_on(&url, &[]).await;
    assert_eq!(
        origin_of(&app).await,
        LEGACY_ORIGIN,
        "the origin is unchanged"
    );
    let policy = policy_of(&app).await;
    policy
        .verify_checkpoint(&old.note)
        .expect("the checkpoint signed before the migration verifies under /keys");
    assert_eq!(
        app.publish(demo("old-log", "2.0.0")).await.status(),
        StatusCode::CREATED
    );
    let (size, root, _) = verified_checkpoint(&app).await;
    assert_eq!(size, 2);
    let consistency = app
        .get_json("/log/proof/consistency?old=1&new=2", StatusCode::OK)
        .await;
    let hashes: Vec<String> = serde_json::from_value(consistency["hashes"].clone()).unwrap();
    verifier::tlog::check_consistency(
        &verifier::tlog::proof::decode_hashes(&hashes).unwrap(),
        1,
        tlog_tiles::Hash(old.root_hash),
        size,
        root,
    )
    .expect("the old checkpoint is a prefix of the new one");
    let proved = app
        .get_json("/packages/old-log/1.0.0/receipt?proof=1", StatusCode::OK)
        .await;
    let entry = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        proved["log_entry"].as_str().unwrap(),
    )
    .unwrap();
    let verified = TlogProof::parse(proved["tlog_proof"].as_str().unwrap())
        .unwrap()
        .verify(&entry, &policy)
        .unwrap();
    assert_eq!(verified.checkpoint.origin, LEGACY_ORIGIN);
}

async fn an_empty_log_from_before_log_ids_gets_an_id(backend: Backend) {
    let (url, _dir) = fresh(backend);
    log_before_ids(backend, &url, &[]).await;
    let state = state_on(&url, false).await;
    let unmigrated = state.log.resolve(state.store.as_ref()).await.unwrap();
    assert_eq!(unmigrated.origin, LEGACY_ORIGIN);
    // Migration 0010 runs (as another replica of this server would): the empty checkpoint signed under the old
    // origin goes, this server takes the new origin, and its integrator signs a new checkpoint.
    state.store.migrate().await.unwrap();
    let name = state
        .log
        .resolve(state.store.as_ref())
        .await
        .unwrap()
        .clone();
    id_of(&name.origin);
    registry_server::log::integrator::run(&state.log, &state.store)
        .await
        .unwrap();
    let cp = state.store.log_latest_checkpoint().await.unwrap().unwrap();
    assert_eq!(cp.tree_size, 0);
    let keys = name
        .verifier_keys
        .iter()
        .map(|k| VerifierKey::parse(k).unwrap())
        .collect();
    let verified = Policy::from_log_keys(keys)
        .unwrap()
        .verify_checkpoint(&cp.note)
        .expect("the newest checkpoint is signed under the new origin");
    assert_eq!(verified.checkpoint.origin, name.origin);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_started_while_the_store_is_down_takes_its_origin_once_it_is_up() {
    let cluster = crate::postgres::cluster();
    let direct = cluster.fresh_database();
    let expected = state_on(&direct, true)
        .await
        .log
        .name()
        .unwrap()
        .origin
        .clone();
    id_of(&expected);
    // The server reaches the database through an address nothing listens on yet.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = probe.local_addr().unwrap();
    drop(probe);
    let database = direct.rsplit('/').next().unwrap();
    let url = format!("postgres://postgres@{listen}/{database}");
    let app = TestApp::spawn_on(&url, &["--run-migrations", "false"]).await;
    let keys = app.get_json("/keys", StatusCode::OK).await;
    assert!(keys.get("log").is_none(), "no log name yet: {keys}");
    assert!(keys["items"][0]["public_key"].is_string());

    let upstream = format!("127.0.0.1:{}", cluster.port()).parse().unwrap();
    let _relay = crate::outage::Relay::start(listen, upstream).await;
    assert_eq!(origin_of(&app).await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_two_registries_are_two_logs_and_a_restart_keeps_its_origin() {
    two_registries_are_two_logs_and_a_restart_keeps_its_origin(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_registries_are_two_logs_and_a_restart_keeps_its_origin() {
    two_registries_are_two_logs_and_a_restart_keeps_its_origin(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_log_with_entries_before_log_ids_keeps_its_origin_and_proofs() {
    a_log_with_entries_before_log_ids_keeps_its_origin_and_proofs(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_log_with_entries_before_log_ids_keeps_its_origin_and_proofs() {
    a_log_with_entries_before_log_ids_keeps_its_origin_and_proofs(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_an_empty_log_from_before_log_ids_gets_an_id() {
    an_empty_log_from_before_log_ids_gets_an_id(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_empty_log_from_before_log_ids_gets_an_id() {
    an_empty_log_from_before_log_ids_gets_an_id(Backend::Postgres).await;
}
