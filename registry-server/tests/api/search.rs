//! Search and filters on the paged listings (`?q=`, `?package_id=`, `?template_id=`, `?publisher_id=`,
//! `?lifecycle=`) through the per-id search index: what matches, paging under a filter, refusals, ids stored before
//! migration 0007, pg_trgm under a database owner without superuser, and Postgres's plans.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection as _;

use crate::helpers::{ADMIN_TOKEN, Backend, TestApp, error_of};
use crate::templates::{publish_template, small_template};

/// The demo request with its capabilities renamed (`work_item.*` → `<prefix>.*`).
fn demo_with(id: &str, version: &str, prefix: &str) -> Vec<u8> {
    let request = registry_server::demo::demo_request(id, version).unwrap();
    serde_json::to_string(&request)
        .unwrap()
        .replace("work_item.", &format!("{prefix}."))
        .into_bytes()
}

fn ids(page: &Value, field: &str) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .iter()
        .map(|i| {
            format!(
                "{}@{}",
                i[field].as_str().unwrap(),
                i[&field.replace("_id", "_version")].as_str().unwrap()
            )
        })
        .collect()
}

async fn takedown(app: &TestApp, id: &str, version: &str) {
    let response = app
        .client
        .patch(format!(
            "{}/admin/packages/{id}/{version}/lifecycle",
            app.api
        ))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"status": "takedown", "reason": "test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

async fn ui_cards(app: &TestApp, q: &str) -> usize {
    let page = app
        .client
        .get(format!("{}/registry/packages?q={q}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    page.matches("<li class=\"card\">").count()
}

async fn search_and_filters_narrow_the_paged_listing(app: &TestApp) {
    for (id, version, prefix) in [
        ("ledger-service", "1.0.0", "ledger_entry"),
        ("ledger-service", "1.1.0", "ledger_entry"),
        ("orders-service", "2.0.0", "work_item"),
        ("acme/ab-tools", "0.1.0", "zzz_tool"),
        ("ab", "1.0.0", "work_item"),
    ] {
        let status = app.publish(demo_with(id, version, prefix)).await.status();
        assert_eq!(status, StatusCode::CREATED, "{id}@{version}");
    }
    let q = |query: &str| format!("/publications?{query}");
    // By id, by capability (content), several terms (all must match), case-folded.
    let by_id = app.get_json(&q("q=LEDGER"), StatusCode::OK).await;
    assert_eq!(
        ids(&by_id, "package_id"),
        ["ledger-service@1.0.0", "ledger-service@1.1.0"]
    );
    let by_capability = app.get_json(&q("q=zzz_tool.search"), StatusCode::OK).await;
    assert_eq!(ids(&by_capability, "package_id"), ["acme/ab-tools@0.1.0"]);
    let both = app.get_json(&q("q=work_item+orders"), StatusCode::OK).await;
    assert_eq!(ids(&both, "package_id"), ["orders-service@2.0.0"]);
    let none = app.get_json(&q("q=no-such-thing"), StatusCode::OK).await;
    assert_eq!(none["items"], json!([]));
    // A term shorter than three characters matches the start of an id only.
    let short = app.get_json(&q("q=ab"), StatusCode::OK).await;
    assert_eq!(ids(&short, "package_id"), ["ab@1.0.0"]);
    // A publisher (in every version's identifying text) matches all.
    let publisher = by_id["items"][0]["publisher_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let all = app
        .get_json(&q(&format!("q={publisher}")), StatusCode::OK)
        .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 5);
    // Filters, alone and with the search; paged with the cursor.
    let exact = app
        .get_json(&q("package_id=ledger-service&limit=1"), StatusCode::OK)
        .await;
    assert_eq!(ids(&exact, "package_id"), ["ledger-service@1.0.0"]);
    let cursor = exact["next_cursor"].as_str().unwrap();
    let next = app
        .get_json(
            &q(&format!(
                "package_id=ledger-service&limit=1&cursor={cursor}"
            )),
            StatusCode::OK,
        )
        .await;
    assert_eq!(ids(&next, "package_id"), ["ledger-service@1.1.0"]);
    let by_publisher = app
        .get_json(
            &q(&format!("publisher_id={publisher}&q=orders")),
            StatusCode::OK,
        )
        .await;
    assert_eq!(ids(&by_publisher, "package_id"), ["orders-service@2.0.0"]);
    let other = app
        .get_json(&q("publisher_id=someone-else"), StatusCode::OK)
        .await;
    assert_eq!(other["items"], json!([]));
    takedown(app, "orders-service", "2.0.0").await;
    let gone = app.get_json(&q("lifecycle=takedown"), StatusCode::OK).await;
    assert_eq!(ids(&gone, "package_id"), ["orders-service@2.0.0"]);
    // Under takedown the id and publisher still match, the content no longer does, here and in the UI.
    let content = app.get_json(&q("q=work_item+orders"), StatusCode::OK).await;
    assert_eq!(content["items"], json!([]));
    let by_id = app.get_json(&q("q=orders-service"), StatusCode::OK).await;
    assert_eq!(ids(&by_id, "package_id"), ["orders-service@2.0.0"]);
    assert_eq!(ui_cards(app, "ledger_entry").await, 1);
    assert_eq!(ui_cards(app, "orders-service").await, 1);
    assert_eq!(ui_cards(app, "work_item+orders").await, 0);
    // The unpaged listing is untouched by the filters' existence.
    let everything = app.get_json("/publications", StatusCode::OK).await;
    assert_eq!(everything["items"].as_array().unwrap().len(), 5);
}

async fn bad_search_and_filter_values_are_refused(app: &TestApp) {
    let long = "x".repeat(201);
    for (path, code) in [
        (format!("/publications?q={long}"), "invalid_search"),
        ("/publications?q=a%00b".to_owned(), "invalid_search"),
        ("/publications?package_id=Bad%20Id".to_owned(), "invalid_id"),
        ("/publications?template_id=x".to_owned(), "invalid_query"),
        (
            "/publications?publisher_id=".to_owned(),
            "invalid_publisher_id",
        ),
        (
            "/publications?lifecycle=gone".to_owned(),
            "invalid_lifecycle",
        ),
        ("/publications?lifecycle=".to_owned(), "invalid_lifecycle"),
        (
            "/templates?lifecycle=active".to_owned(),
            "invalid_lifecycle",
        ),
        ("/templates?package_id=x".to_owned(), "invalid_query"),
        ("/publications?q=x&cursor=nope".to_owned(), "invalid_cursor"),
    ] {
        let (status, got) = error_of(app.get(&path).await).await;
        assert_eq!(
            (status, got.as_str()),
            (StatusCode::BAD_REQUEST, code),
            "{path}"
        );
    }
}

async fn templates_are_searched_and_filtered(app: &TestApp) {
    for v in ["1.0.0", "1.1.0"] {
        let body = serde_json::to_vec(&small_template(v)).unwrap();
        assert_eq!(
            publish_template(app, body).await.status(),
            StatusCode::CREATED
        );
    }
    let id = small_template("1.0.0")["template_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let found = app.get_json("/templates?q=linear", StatusCode::OK).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 2, "{found}");
    let exact = app
        .get_json(
            &format!("/templates?template_id={id}&limit=1"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(exact["items"][0]["template_version"], "1.0.0");
    assert!(exact["next_cursor"].is_string());
    let none = app
        .get_json("/templates?q=no-such-template", StatusCode::OK)
        .await;
    assert_eq!(none["items"], json!([]));
}

crate::on_both_stores!(
    search_and_filters_narrow_the_paged_listing,
    bad_search_and_filter_values_are_refused,
    templates_are_searched_and_filtered
);

/// A version stored (with its card) before migration 0007 is found by its content once 0007 has run.
async fn ids_stored_before_the_search_migration_are_found(backend: Backend) {
    let (url, _dir) = crate::migration::legacy_store(backend).await;
    let migrator = crate::migration::migrator_up_to(backend, 6).await;
    let card = "UPDATE packages SET card_name = 'Legacy', card_description = '', card_capabilities = '[]', \
                search_ident = 'legacy\n1.0.0\nlegacy-publisher\n', search_content = 'legacy\nquasar_ledger.post\n'";
    match backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            migrator.run(&pool).await.unwrap();
            sqlx::query(card).execute(&pool).await.unwrap();
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            migrator.run(&pool).await.unwrap();
            sqlx::query(card).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
    let app = TestApp::spawn_on(&url, &[]).await;
    let found = app
        .get_json("/publications?q=quasar_ledger", StatusCode::OK)
        .await;
    assert_eq!(ids(&found, "package_id"), ["legacy@1.0.0"]);
    let by_publisher = app
        .get_json("/publications?q=legacy-publisher", StatusCode::OK)
        .await;
    assert_eq!(ids(&by_publisher, "package_id"), ["legacy@1.0.0"]);
    assert_eq!(ui_cards(&app, "quasar").await, 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_ids_stored_before_the_search_migration_are_found() {
    ids_stored_before_the_search_migration_are_found(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_ids_stored_before_the_search_migration_are_found() {
    ids_stored_before_the_search_migration_are_found(Backend::Postgres).await;
}

/// Migration 0007 creates pg_trgm (a trusted extension) as a database owner without superuser, and search works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_trgm_needs_no_superuser() {
    let cluster = crate::postgres::cluster();
    let name = format!("anip_owner_{}", std::process::id());
    cluster
        .psql(
            &cluster.admin_url(),
            &format!("CREATE ROLE {name} LOGIN NOSUPERUSER"),
        )
        .unwrap();
    cluster
        .psql(
            &cluster.admin_url(),
            &format!("CREATE DATABASE {name} OWNER {name}"),
        )
        .unwrap();
    let url = format!("postgres://{name}@127.0.0.1:{}/{name}", cluster.port());
    let app = TestApp::spawn_on(&url, &[]).await;
    let status = app
        .publish(demo_with("owned-pkg", "1.0.0", "owned_thing"))
        .await
        .status();
    assert_eq!(status, StatusCode::CREATED);
    let found = app
        .get_json("/publications?q=owned_thing", StatusCode::OK)
        .await;
    assert_eq!(ids(&found, "package_id"), ["owned-pkg@1.0.0"]);
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let superuser: bool =
        sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert!(!superuser);
    app.stop().await;
}

/// Postgres's plans, on 20,000 ids and versions (analyzed): the search reads the trigram index, the filters their
/// indexes; no sequential scan of ids or versions; a paged listing's statement settles on its generic plan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_plans_use_the_search_indexes() {
    use registry_server::store::Kind;
    use registry_server::store::search::{
        Backend as Dialect, ListFilter, Terms, id_page_sql, page_sql,
    };
    let app = TestApp::spawn(Backend::Postgres).await;
    let mut db = sqlx::PgConnection::connect(&app.database_url)
        .await
        .unwrap();
    let fill = "INSERT INTO package_ids (package_id, version_count, downloads, latest_published_at, search_text) \
        SELECT 'pkg-' || i, 1, i % 50, '2026-01-01T00:00:00Z', 'pkg-' || i || ' ' || md5(i::text) || ' publisher-' || (i % 40) \
        FROM generate_series(1, 20000) AS i; \
        INSERT INTO packages (package_id, package_version, project_ref, product_revision_ref, developer_revision_ref, \
        contract_signature, publisher_id, publisher_type, schema_version, definition_digest, manifest_digest, \
        lock_digest, package_execution_signature, lineage, published_at, receipt_id, registry_signature, \
        receipt_issued_at, version_key, lifecycle_status) \
        SELECT 'pkg-' || i, '1.0.0', '', '', '', '', 'publisher-' || (i % 40), 'organization', '', '', '', '', '', \
        '{}', '2026-01-01T00:00:00Z', 'r' || i, '{}', '2026-01-01T00:00:00Z', '1.0.0', \
        CASE WHEN i % 100 = 0 THEN 'yanked' ELSE 'active' END FROM generate_series(1, 20000) AS i; \
        ANALYZE package_ids; ANALYZE packages;";
    sqlx::raw_sql(fill).execute(&mut db).await.unwrap();
    let explain = |text: String, before: usize, values: Vec<String>| {
        let url = app.database_url.clone();
        async move {
            let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
            let text = format!("EXPLAIN {text}");
            let mut query = sqlx::query_scalar::<_, String>(&text);
            for _ in 0..before {
                query = query.bind(10_i64);
            }
            for v in values {
                query = query.bind(v);
            }
            query.fetch_all(&mut db).await.unwrap().join("\n")
        }
    };
    let word: String = sqlx::query_scalar("SELECT substr(md5('1234'), 3, 10)")
        .fetch_one(&mut db)
        .await
        .unwrap();
    let (totals, page, values) = id_page_sql(Dialect::Postgres, Kind::Package, &Terms::of(&word));
    for (text, before) in [(totals, 0), (page, 2)] {
        let plan = explain(text, before, values.clone()).await;
        assert!(plan.contains("package_ids_search"), "{plan}");
        assert!(!plan.contains("Seq Scan"), "{plan}");
    }
    let (_, page, values) = id_page_sql(Dialect::Postgres, Kind::Package, &Terms::of("pk"));
    let plan = explain(page, 2, values).await;
    assert!(!plan.contains("Seq Scan"), "{plan}");
    for filter in [
        ListFilter::default(),
        ListFilter {
            terms: Terms::of(&word),
            ..ListFilter::default()
        },
        ListFilter {
            id: Some("pkg-7".into()),
            ..ListFilter::default()
        },
        ListFilter {
            publisher_id: Some("publisher-3".into()),
            ..ListFilter::default()
        },
        ListFilter {
            lifecycle: Some("yanked".into()),
            ..ListFilter::default()
        },
    ] {
        let (text, values) = page_sql(Dialect::Postgres, Kind::Package, &filter, 10);
        let plan = explain(text.clone(), 1, values.clone()).await;
        assert!(!plan.contains("Seq Scan on packages"), "{filter:?}: {plan}");
        assert!(
            !plan.contains("Seq Scan on package_ids"),
            "{filter:?}: {plan}"
        );
        // Planned once per connection: a paged listing settles on a generic plan that uses the indexes too. A
        // search keeps custom plans: its pattern's selectivity is what chooses the trigram index.
        if filter.terms.is_empty() {
            crate::listing_plans::assert_generic_plan(&mut db, &app.database_url, &text, &values)
                .await;
        }
    }
    app.stop().await;
}
