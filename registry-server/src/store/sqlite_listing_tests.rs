//! SQLite's chunked unpaged listing and its one-row pages give the rows, in the order and with the bytes, of the
//! row-by-row queries they replaced (`summary_from_row` over `sql::ANIP_ORDER` and over `search::page_sql`), across
//! chunk boundaries, filters and cursors, and with every optional field.

use super::rows::{for_sqlite, summary_from_row};
use super::search::{self, ListFilter, Terms};
use super::sqlite::SqliteStore;
use super::{Kind, Store, sql};

/// Versions with ties on downloads and time, owners, lifecycles with and without replacements, lineage (empty, set,
/// with escapes and non-ASCII text), versions with and without a downloads row.
async fn seed(store: &SqliteStore) {
    let pool = store.pool();
    sqlx::query(
        "INSERT INTO publishers (publisher_id, publisher_type, display_name, website_url, status, trust_level, \
         created_at, updated_at) VALUES ('acme', 'organization', 'Acme \"Tools\" ✓', 'https://acme.example', \
         'active', 'verified', 't', 't'), ('solo', 'individual', 'Solo', '', 'suspended', 'unverified', 't', 't')",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO artifact_ownership (artifact_kind, artifact_id, folded_id, publisher_id, status, created_at, \
         updated_at) VALUES ('package', 'pkg_1', 'pkg-1', 'acme', 'active', 't', 't'), \
         ('package', 'pkg.2', 'pkg-2', 'solo', 'active', 't', 't'), \
         ('package', 'pkg-3', 'pkg-3', 'acme', 'transferred', 't', 't')",
    )
    .execute(pool)
    .await
    .unwrap();
    let lineages = [
        "{}",
        "{\"parent\":\"x\"}",
        "{\"note\":\"tab\\t quote\\\" \\u00e9 ✓ \\ud83d\\ude00\"}",
        "[]",
        "not json",
    ];
    let statuses = ["active", "superseded", "deprecated", "yanked", "takedown"];
    for n in 0..23_i64 {
        let id = ["pkg_1", "pkg.2", "pkg-3", "pkg-4"][(n % 4) as usize];
        let version = format!("1.{}.{}", n / 10, n % 10);
        let replaced = n % 5 == 1;
        sqlx::query(
            "INSERT INTO packages (package_id, package_version, project_ref, product_revision_ref, \
             developer_revision_ref, contract_signature, publisher_id, publisher_type, schema_version, \
             definition_digest, manifest_digest, lock_digest, package_execution_signature, lineage, published_at, \
             lifecycle_status, lifecycle_reason, replacement_package_id, replacement_package_version, \
             lifecycle_updated_at, lifecycle_updated_by, receipt_id, registry_signature, receipt_issued_at, \
             version_key, seq) VALUES (?1, ?2, 'proj \"ref\"', 'prod', 'dev', 'sig', ?3, ?4, 's', 'd', 'm', 'l', \
             'e', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'r', 't', ?2, ?14)",
        )
        .bind(id)
        .bind(&version)
        .bind(if n % 3 == 0 { "" } else { "studio-local" })
        .bind(if n % 3 == 0 { "" } else { "studio" })
        .bind(lineages[(n % 5) as usize])
        // Three versions share each time, so downloads, then time, then id, then version order them.
        .bind(format!("2026-01-0{}T00:00:00Z", 1 + n / 3 % 9))
        .bind(statuses[(n % 5) as usize])
        .bind(if n % 5 == 0 { "" } else { "because\nreasons" })
        .bind(replaced.then_some("pkg-4"))
        .bind(replaced.then_some("9.9.9"))
        .bind((n % 5 != 0).then_some("2026-02-01T00:00:00Z"))
        .bind((n % 5 != 0).then_some("admin"))
        .bind(format!("receipt-{n}"))
        .bind(n + 1)
        .execute(pool)
        .await
        .unwrap();
        if n % 2 == 0 {
            sqlx::query(
                "INSERT INTO package_downloads (package_id, package_version, download_count) VALUES (?1, ?2, ?3)",
            )
            .bind(id)
            .bind(&version)
            .bind(n % 4 * 1_000_000_000_000)
            .execute(pool)
            .await
            .unwrap();
        }
    }
}

/// The listing's JSON rows as the row-by-row query gives them.
async fn row_by_row(store: &SqliteStore) -> Vec<String> {
    let text = for_sqlite(&sql::package_listing_sql());
    sqlx::query(&text)
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::to_string(&summary_from_row(r).unwrap()).unwrap())
        .collect()
}

async fn chunked(store: &SqliteStore, rows_per_chunk: u32) -> Vec<String> {
    let mut rows = super::sqlite_listing::stream(store.pool().clone(), rows_per_chunk);
    let mut out = Vec::new();
    while let Some(row) = rows.recv().await {
        out.push(serde_json::to_string(&row.unwrap()).unwrap());
    }
    out
}

#[tokio::test]
async fn chunks_give_the_row_by_row_listing_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("l.db")).await.unwrap();
    store.migrate().await.unwrap();
    seed(&store).await;
    let expected = row_by_row(&store).await;
    assert_eq!(expected.len(), 23);
    assert!(expected.iter().any(|r| r.contains("\"publisher\":{")));
    assert!(expected.iter().any(|r| r.contains("\"replacement\":{")));
    assert!(
        expected
            .iter()
            .any(|r| r.contains("\\ud83d") || r.contains('😀'))
    );
    for rows_per_chunk in [1, 2, 5, 23, 256] {
        assert_eq!(
            chunked(&store, rows_per_chunk).await,
            expected,
            "{rows_per_chunk} rows per chunk"
        );
    }
    // Through the store's own entry point too (its chunk size).
    let mut rows = store
        .stream_publications(std::time::Duration::from_secs(5))
        .await;
    let mut all = Vec::new();
    while let Some(row) = rows.recv().await {
        all.push(serde_json::to_string(&row.unwrap()).unwrap());
    }
    assert_eq!(all, expected);
}

#[tokio::test]
async fn an_empty_catalogue_is_an_empty_listing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("e.db")).await.unwrap();
    store.migrate().await.unwrap();
    assert!(chunked(&store, 3).await.is_empty());
}

/// A page as the row-by-row query (`search::page_sql`, `summary_from_row`) gives it: `(seq, JSON row)`.
async fn page_row_by_row(
    store: &SqliteStore,
    after: Option<i64>,
    limit: u32,
    filter: &ListFilter,
) -> Vec<(i64, String)> {
    let (text, values) = search::page_sql(search::Backend::Sqlite, Kind::Package, filter, limit);
    let text = for_sqlite(&text);
    let mut query = sqlx::query(&text).bind(after.unwrap_or(0));
    for value in &values {
        query = query.bind(value);
    }
    query
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let seq: i64 = sqlx::Row::try_get(r, "seq").unwrap();
            (
                seq,
                serde_json::to_string(&summary_from_row(r).unwrap()).unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn pages_give_the_row_by_row_page_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("p.db")).await.unwrap();
    store.migrate().await.unwrap();
    seed(&store).await;
    // The per-id rows searches read (the triggers index their text).
    for (id, text) in [
        ("pkg_1", "ledger tools"),
        ("pkg.2", "ledger"),
        ("pkg-3", "x"),
        ("pkg-4", "tools"),
    ] {
        sqlx::query(
            "INSERT INTO package_ids (package_id, version_count, latest_published_at, search_text) \
             VALUES (?1, 1, 't', ?1 || ' ' || ?2)",
        )
        .bind(id)
        .bind(text)
        .execute(store.pool())
        .await
        .unwrap();
    }
    let some = |s: &str| Some(s.to_owned());
    let filters = [
        ListFilter::default(),
        ListFilter {
            id: some("pkg.2"),
            ..ListFilter::default()
        },
        ListFilter {
            publisher_id: some("studio-local"),
            ..ListFilter::default()
        },
        ListFilter {
            lifecycle: some("yanked"),
            ..ListFilter::default()
        },
        ListFilter {
            terms: Terms::of("ledger"),
            ..ListFilter::default()
        },
        ListFilter {
            terms: Terms::of("pk tools"),
            lifecycle: some("active"),
            ..ListFilter::default()
        },
        ListFilter {
            id: some("nothing"),
            ..ListFilter::default()
        },
    ];
    let mut pages = 0;
    for filter in &filters {
        for (after, limit) in [
            (None, 100),
            (None, 1),
            (Some(4), 5),
            (Some(22), 10),
            (Some(23), 3),
        ] {
            let expected = page_row_by_row(&store, after, limit, filter).await;
            let got: Vec<(i64, String)> =
                super::sqlite_listing::page(store.pool(), after, limit, filter)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|(seq, row)| (seq, serde_json::to_string(&row).unwrap()))
                    .collect();
            assert_eq!(got, expected, "{filter:?} after {after:?} limit {limit}");
            pages += usize::from(!expected.is_empty());
        }
    }
    // Most cases have rows (so the comparison is of something), and the filters narrow.
    assert!(pages >= 18, "{pages} non-empty pages");
    let all = page_row_by_row(&store, None, 100, &ListFilter::default()).await;
    assert_eq!(all.len(), 23);
    let searched = page_row_by_row(&store, None, 100, &filters[4]).await;
    assert!(!searched.is_empty() && searched.len() < all.len());
}
