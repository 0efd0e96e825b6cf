//! Versions, keys and signed text: one SemVer rule (precedence, build metadata, numbers beyond u64), keys that
//! differ from a known field only in case, and control characters in what a receipt signs — packages and templates.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, TestApp, demo, error_of};
use crate::templates::{publish_template, small_template};

fn demo_value(id: &str, version: &str) -> Value {
    serde_json::from_slice(&demo(id, version)).unwrap()
}

fn bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

/// The `(code, path)` of every problem of a 400 `invalid_package`.
async fn problems(response: reqwest::Response) -> Vec<(String, String)> {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid_package", "{body}");
    body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let text = |k: &str| p[k].as_str().unwrap().to_owned();
            (text("code"), text("path"))
        })
        .collect()
}

/// The status, code and `path` of an error response.
async fn refusal(response: reqwest::Response) -> (StatusCode, String, String) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    let text = |k: &str| body[k].as_str().unwrap_or_default().to_owned();
    (status, text("code"), text("path"))
}

async fn control_characters_in_the_signed_lineage_are_refused(app: &TestApp) {
    // The manifest and the lock already carry a lineage, so the request's own is signed without being written back.
    let mut request = demo_value("lineage-text", "1.0.0");
    let clean =
        json!({"project_ref": "proj", "product_revision": "p1", "developer_revision": "d1"});
    request["manifest"]["lineage"] = clean.clone();
    request["recommended_lock"]["lineage"] = clean;
    request["lineage"] = json!({
        "project_ref": "proj\u{0}\u{1b}[31mred",
        "product_revision": {"ref": "p1", "artifact_id": "a\u{1b}"},
        "developer_revision": "d1",
    });
    let found = problems(app.publish(bytes(&request)).await).await;
    for path in [
        "lineage.project_ref",
        "lineage.product_revision.artifact_id",
    ] {
        assert!(
            found.contains(&("control_character".to_owned(), path.to_owned())),
            "{path}: {found:?}"
        );
    }
    // A clean request lineage is accepted and signed as sent.
    request["lineage"] =
        json!({"project_ref": "proj", "product_revision": "p1", "developer_revision": "d1"});
    let response = app.publish(bytes(&request)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let record = app
        .get_json("/packages/lineage-text/1.0.0", StatusCode::OK)
        .await;
    assert_eq!(record["lineage"]["project_ref"], "proj");
}

async fn versions_beyond_u64_are_refused(app: &TestApp) {
    let big = "18446744073709551616.0.0";
    let found = problems(app.publish(demo("huge", big)).await).await;
    assert_eq!(
        found,
        [(
            "version_out_of_range".to_owned(),
            "package_version".to_owned()
        )]
    );
    let found = problems(publish_template(app, bytes(&small_template(big))).await).await;
    assert!(
        found.contains(&(
            "version_out_of_range".to_owned(),
            "template_version".to_owned()
        )),
        "{found:?}"
    );
    // The largest representable number is a version like any other.
    let max = "18446744073709551615.0.0";
    assert_eq!(
        app.publish(demo("huge", max)).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.publish(demo("huge", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
}

async fn build_metadata_does_not_make_a_new_version(app: &TestApp) {
    assert_eq!(
        app.publish(demo("meta", "1.0.0+a")).await.status(),
        StatusCode::CREATED
    );
    // Same content, same version: idempotent as always.
    assert_eq!(
        app.publish(demo("meta", "1.0.0+a")).await.status(),
        StatusCode::OK
    );
    // Another build of the same precedence, with other content or without build metadata: 409 naming the first.
    for version in ["1.0.0+b", "1.0.0"] {
        let mut request = demo_value("meta", version);
        request["readme"] = Value::from(format!("# build {version}\n\nOther content."));
        let response = app.publish(bytes(&request)).await;
        assert_eq!(response.status(), StatusCode::CONFLICT, "{version}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "version_exists");
        assert_eq!(body["package_version"], "1.0.0+a", "{body}");
        assert_eq!(body["requested_version"], version, "{body}");
    }
    // A pre-release of the same core is another precedence.
    assert_eq!(
        app.publish(demo("meta", "1.0.0-rc.1+a")).await.status(),
        StatusCode::CREATED
    );
    app.get_json("/packages/meta/1.0.0+b", StatusCode::NOT_FOUND)
        .await;
    // Templates follow the same rule.
    let first = small_template("2.0.0+a");
    assert_eq!(
        publish_template(app, bytes(&first)).await.status(),
        StatusCode::CREATED
    );
    let response = publish_template(app, bytes(&small_template("2.0.0+b"))).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["template_version"], "2.0.0+a", "{body}");
    assert_eq!(
        publish_template(app, bytes(&first)).await.status(),
        StatusCode::OK
    );
}

async fn racing_builds_of_one_precedence(app: &TestApp) {
    let app = Arc::new(TestApp::spawn_on(&app.database_url, &[]).await);
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let app = Arc::clone(&app);
            tokio::spawn(async move {
                let status = app
                    .publish(demo("race-meta", &format!("3.0.0+b{i}")))
                    .await
                    .status();
                let template = bytes(&small_template(&format!("3.0.0+b{i}")));
                (status, publish_template(&app, template).await.status())
            })
        })
        .collect();
    let mut packages = Vec::new();
    let mut templates = Vec::new();
    for task in tasks {
        let (package, template) = task.await.unwrap();
        packages.push(package);
        templates.push(template);
    }
    for statuses in [&packages, &templates] {
        let created = statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count();
        let conflicts = statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count();
        assert_eq!((created, conflicts), (1, 23), "{statuses:?}");
    }
}

async fn keys_differing_only_in_case_are_refused(app: &TestApp) {
    let mut request = demo_value("casing", "1.0.0");
    request["PACKAGE_VERSION"] = Value::from("9.9.9");
    assert_eq!(
        refusal(app.publish(bytes(&request)).await).await,
        (
            StatusCode::BAD_REQUEST,
            "ambiguous_key".into(),
            "PACKAGE_VERSION".into()
        )
    );
    // Alone too (Go's decoder would read it), with a Kelvin sign, and inside nested structs.
    let mut request = demo_value("casing", "1.0.0");
    request["pac\u{212A}age_id"] = Value::from("other");
    let (_, code, path) = refusal(app.publish(bytes(&request)).await).await;
    assert_eq!(
        (code.as_str(), path.as_str()),
        ("ambiguous_key", "[\"pac\u{212A}age_id\"]")
    );
    let mut request = demo_value("casing", "1.0.0");
    request["source_links"] =
        json!([{"title": "a", "url": "https://example.com", "URL": "https://evil.example"}]);
    assert_eq!(
        refusal(app.publish(bytes(&request)).await).await,
        (
            StatusCode::BAD_REQUEST,
            "ambiguous_key".into(),
            "source_links[0].URL".into()
        )
    );
    let mut request = demo_value("casing", "1.0.0");
    request["lineage"] = json!({"project_ref": "p", "Project_Ref": "q", "product_revision": "r", "developer_revision": "d"});
    let found = problems(app.publish(bytes(&request)).await).await;
    assert!(
        found.contains(&("ambiguous_key".to_owned(), "lineage.Project_Ref".to_owned())),
        "{found:?}"
    );
    // Templates and admin bodies.
    let mut template = small_template("1.0.0");
    template["Template_Version"] = Value::from("2.0.0");
    assert_eq!(
        refusal(publish_template(app, bytes(&template)).await).await,
        (
            StatusCode::BAD_REQUEST,
            "ambiguous_key".into(),
            "Template_Version".into()
        )
    );
    assert_eq!(
        app.publish(demo("casing", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    let response = app
        .client
        .patch(format!("{}/admin/packages/casing/1.0.0/lifecycle", app.api))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"status": "active", "STATUS": "takedown"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        refusal(response).await,
        (
            StatusCode::BAD_REQUEST,
            "ambiguous_key".into(),
            "STATUS".into()
        )
    );
    let (status, code) = error_of(app.publish(bytes(&request)).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_package")
    );
}

crate::on_both_stores!(
    control_characters_in_the_signed_lineage_are_refused,
    versions_beyond_u64_are_refused,
    build_metadata_does_not_make_a_new_version,
    racing_builds_of_one_precedence,
    keys_differing_only_in_case_are_refused,
);

/// Statements run against a database of either store (`$n` placeholders are not used).
async fn execute(database_url: &str, sql: &str) {
    use sqlx::Connection as _;
    if database_url.starts_with("sqlite") {
        let mut db = sqlx::SqliteConnection::connect(&format!("{database_url}?mode=rwc"))
            .await
            .unwrap();
        sqlx::raw_sql(sql).execute(&mut db).await.unwrap();
    } else {
        let mut db = sqlx::PgConnection::connect(database_url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut db).await.unwrap();
    }
}

async fn keys(database_url: &str, table: &str) -> Vec<(String, String, String)> {
    use sqlx::Connection as _;
    let (id, version) = match table {
        "packages" => ("package_id", "package_version"),
        _ => ("template_id", "template_version"),
    };
    let sql = format!("SELECT {id}, {version}, version_key FROM {table} ORDER BY {id}, {version}");
    if database_url.starts_with("sqlite") {
        let mut db = sqlx::SqliteConnection::connect(database_url).await.unwrap();
        sqlx::query_as(&sql).fetch_all(&mut db).await.unwrap()
    } else {
        let mut db = sqlx::PgConnection::connect(database_url).await.unwrap();
        sqlx::query_as(&sql).fetch_all(&mut db).await.unwrap()
    }
}

/// A store made before migration 0003, holding versions that differ only in build metadata, migrates: the first
/// published of each precedence (or the plain version) takes the precedence key, the others keep their own text,
/// and no new version of that precedence can be published.
async fn migration_keys_existing_versions(backend: crate::helpers::Backend) {
    let (url, _dir) = match backend {
        crate::helpers::Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("registry.db").display());
            (url, Some(dir))
        }
        crate::helpers::Backend::Postgres => (crate::postgres::cluster().fresh_database(), None),
    };
    let store = if url.starts_with("sqlite") {
        "sqlite"
    } else {
        "postgres"
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(store);
    for file in [
        "0001_packages.sql",
        "0002_templates_and_lifecycle_audit.sql",
    ] {
        execute(&url, &std::fs::read_to_string(root.join(file)).unwrap()).await;
    }
    let package = |id: &str, version: &str, at: &str| {
        format!(
            "INSERT INTO packages (package_id, package_version, project_ref, product_revision_ref, \
             developer_revision_ref, contract_signature, publisher_id, publisher_type, schema_version, \
             definition_digest, manifest_digest, lock_digest, package_execution_signature, lineage, readme, \
             source_links, implementation_materials, manifest, service_definition, recommended_lock, published_at, \
             receipt_id, registry_signature, receipt_issued_at) VALUES ('{id}', '{version}', 'p', 'r', 'd', 'c', \
             'studio-local', 'studio', 'anip-service-definition/v1', 'sha256:00', 'sha256:00', 'sha256:00', '', '{{}}', \
             '', '[]', '[]', '{{}}', '{{}}', '{{}}', '{at}', 'receipt-{id}-{version}', 'ed25519:k:AA', '{at}');"
        )
    };
    let template = |id: &str, version: &str, at: &str| {
        format!(
            "INSERT INTO templates (template_id, template_version, template_kind, project_type, anip_spec_version, \
             domain, industry, systems, publisher_id, publisher_type, manifest_digest, template_digest, \
             package_digest, manifest, template, package, published_at, receipt_id, registry_signature, \
             receipt_issued_at) VALUES ('{id}', '{version}', 'k', 'p', 'anip/0.24', '', '', '[]', 'studio-local', \
             'studio', 'sha256:00', 'sha256:00', 'sha256:00', '{{}}', '{{}}', '{{}}', '{at}', \
             'receipt-{id}-{version}', 'ed25519:k:AA', '{at}');"
        )
    };
    let rows = [
        package("m", "1.0.0+b", "2026-01-02T00:00:00Z"),
        package("m", "1.0.0+a", "2026-01-01T00:00:00Z"),
        package("m", "1.0.0+c", "2026-01-03T00:00:00Z"),
        package("n", "2.0.0+z", "2026-01-01T00:00:00Z"),
        package("n", "2.0.0", "2026-01-05T00:00:00Z"),
        package("p", "3.0.0+q", "2026-01-01T00:00:00Z"),
        template("t", "1.0.0+y", "2026-01-02T00:00:00Z"),
        template("t", "1.0.0+x", "2026-01-01T00:00:00Z"),
    ];
    execute(&url, &rows.concat()).await;
    let app = TestApp::spawn_on(&url, &[]).await;
    let expected = |rows: &[(&str, &str, &str)]| -> Vec<(String, String, String)> {
        rows.iter()
            .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
            .collect()
    };
    assert_eq!(
        keys(&url, "packages").await,
        expected(&[
            ("m", "1.0.0+a", "1.0.0"),
            ("m", "1.0.0+b", "1.0.0+b"),
            ("m", "1.0.0+c", "1.0.0+c"),
            ("n", "2.0.0", "2.0.0"),
            ("n", "2.0.0+z", "2.0.0+z"),
            ("p", "3.0.0+q", "3.0.0"),
        ])
    );
    assert_eq!(
        keys(&url, "templates").await,
        expected(&[("t", "1.0.0+x", "1.0.0"), ("t", "1.0.0+y", "1.0.0+y")])
    );
    let response = app.publish(demo("m", "1.0.0+d")).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["package_version"], "1.0.0+a", "{body}");
    assert_eq!(
        app.publish(demo("m", "1.0.1")).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_keys_existing_versions_on_sqlite() {
    migration_keys_existing_versions(crate::helpers::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_keys_existing_versions_on_postgres() {
    migration_keys_existing_versions(crate::helpers::Backend::Postgres).await;
}
