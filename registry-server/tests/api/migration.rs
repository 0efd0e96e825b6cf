//! Migration 0004 moves data stored under the earlier layout (documents and counts in the package row): counts,
//! lifecycle, documents and receipts survive, every version gets a publication number and its id a UI row.

use clap::Parser as _;
use registry_server::config::Config;
use registry_server::extract::Publisher;
use reqwest::StatusCode;
use sqlx::migrate::Migrator;

use crate::helpers::{Backend, TestApp, demo};

/// The project's migrations for `backend` up to `last` (inclusive): the schema as an older release left it.
pub(crate) async fn migrator_up_to(backend: Backend, last: i64) -> Migrator {
    let folder = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let mut migrator = Migrator::new(std::path::PathBuf::from(format!(
        "{}/../migrations/{folder}",
        env!("CARGO_MANIFEST_DIR")
    )))
    .await
    .unwrap();
    migrator.migrations = migrator
        .migrations
        .iter()
        .filter(|m| m.version <= last)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    migrator
}

/// A store with only migrations 0001–0002 applied and one real (signed) version inserted as they stored it, with 41
/// downloads and deprecated.
pub(crate) async fn legacy_store(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    let (url, dir) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("registry.db").display());
            (url, Some(dir))
        }
        Backend::Postgres => (crate::postgres::cluster().fresh_database(), None),
    };
    let settings = Config::try_parse_from([
        "registry-server",
        "--database-url",
        &url,
        "--run-migrations",
        "false",
    ])
    .unwrap()
    .settings()
    .unwrap();
    let state = registry_server::prepare(settings).await.unwrap();
    let publisher = Publisher {
        id: "legacy-publisher".into(),
        kind: "organization".into(),
    };
    let p =
        registry_server::publish::prepare(&demo("legacy", "1.0.0"), &publisher, &state).unwrap();
    let migrator = crate::migration::migrator_up_to(backend, 2).await;
    let insert = "INSERT INTO packages (package_id, package_version, project_ref, product_revision_ref, \
        developer_revision_ref, contract_signature, publisher_id, publisher_type, schema_version, definition_digest, \
        manifest_digest, lock_digest, package_execution_signature, lineage, readme, source_links, \
        implementation_materials, manifest, service_definition, recommended_lock, published_at, download_count, \
        lifecycle_status, lifecycle_reason, receipt_id, registry_signature, receipt_issued_at) VALUES ";
    let texts: [&str; 21] = [
        &p.package_id,
        &p.package_version,
        &p.project_ref,
        &p.product_revision_ref,
        &p.developer_revision_ref,
        &p.contract_signature,
        &p.publisher_id,
        &p.publisher_type,
        &p.schema_version,
        &p.definition_digest,
        &p.manifest_digest,
        &p.lock_digest,
        &p.package_execution_signature,
        p.lineage_json.as_str(),
        &p.readme,
        p.source_links_json.as_str(),
        p.implementation_materials_json.as_str(),
        p.manifest_json.as_str(),
        p.service_definition_json.as_str(),
        p.recommended_lock_json.as_str(),
        &p.published_at,
    ];
    macro_rules! insert_into {
        ($pool:expr, $placeholder:expr) => {{
            migrator.run(&$pool).await.unwrap();
            let marks: Vec<String> = (1..=27).map($placeholder).collect();
            let sql = format!("{insert}({})", marks.join(", "));
            let mut query = sqlx::query(&sql);
            for text in texts {
                query = query.bind(text);
            }
            query
                .bind(41_i64)
                .bind("deprecated")
                .bind("use 2.x")
                .bind(&p.receipt.receipt_id)
                .bind(&p.receipt.registry_signature)
                .bind(&p.receipt.issued_at)
                .execute(&$pool)
                .await
                .unwrap();
        }};
    }
    match backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            insert_into!(pool, |i| format!("?{i}"));
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            insert_into!(pool, |i| format!("${i}"));
        }
    }
    (url, dir)
}

async fn legacy_data_is_moved_over(backend: Backend) {
    let (url, _dir) = legacy_store(backend).await;
    let app = TestApp::spawn_on(&url, &[]).await;
    let record = app.get_json("/packages/legacy/1.0.0", StatusCode::OK).await;
    assert_eq!(record["download_count"], 41);
    assert_eq!(record["lifecycle"]["status"], "deprecated");
    assert!(record["manifest"].is_object());
    let receipt = app
        .get_json("/packages/legacy/1.0.0/receipt", StatusCode::OK)
        .await;
    assert_eq!(receipt["publisher_id"], "legacy-publisher");
    let downloaded = app
        .get_json("/packages/legacy/1.0.0/download", StatusCode::OK)
        .await;
    assert_eq!(downloaded["download_count"], 42);
    // A new version gets the next publication number: pages list the old one first.
    assert_eq!(
        app.publish(demo("legacy", "2.0.0")).await.status(),
        StatusCode::CREATED
    );
    let page = app.get_json("/publications?limit=1", StatusCode::OK).await;
    assert_eq!(page["items"][0]["package_version"], "1.0.0");
    let next = page["next_cursor"].as_str().unwrap();
    let page = app
        .get_json(
            &format!("/publications?limit=1&cursor={next}"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(page["items"][0]["package_version"], "2.0.0");
    // The UI lists the id with both versions and the moved counts, and the old version's page verifies.
    let list = app
        .client
        .get(format!("{}/registry/packages", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("1 package · 2 versions"), "{list}");
    assert!(list.contains("<dt>Downloads</dt><dd>42</dd>") || list.contains("<dd>41</dd>"));
    let detail = app
        .client
        .get(format!("{}/registry/packages/legacy/1.0.0", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(detail.contains("Receipt verifies"), "{detail}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_legacy_data_is_moved_over() {
    legacy_data_is_moved_over(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_legacy_data_is_moved_over() {
    legacy_data_is_moved_over(Backend::Postgres).await;
}
