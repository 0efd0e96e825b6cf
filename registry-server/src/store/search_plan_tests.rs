//! Search reads the matching ids through the search index, never a scan of every id or version: SQLite's own
//! query plans of the UI list's statements and of the filtered listings (Postgres: `tests/api/search.rs`).

use super::search::{Backend, ListFilter, Terms, id_page_sql, page_sql};
use super::sqlite::SqliteStore;
use super::{Kind, Store};

async fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("s.db")).await.unwrap();
    store.migrate().await.unwrap();
    (dir, store)
}

/// SQLite's plan of `text` (`$n` placeholders), bound with `before` integers and then `values`.
async fn plan(store: &SqliteStore, text: &str, before: usize, values: &[String]) -> Vec<String> {
    let text = format!("EXPLAIN QUERY PLAN {}", super::rows::for_sqlite(text));
    let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(&text);
    for _ in 0..before {
        query = query.bind(10_i64);
    }
    for v in values {
        query = query.bind(v);
    }
    query
        .fetch_all(store.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.3)
        .collect()
}

fn scans(plan: &[String], table: &str) -> bool {
    plan.iter().any(|l| {
        l.starts_with("SCAN") && !l.contains("VIRTUAL TABLE") && format!("{l} ").contains(table)
    })
}

#[tokio::test]
async fn the_ui_list_finds_ids_through_the_trigram_table() {
    let (_dir, store) = store().await;
    for (kind, fts) in [
        (Kind::Package, "package_ids_search"),
        (Kind::Template, "template_ids_search"),
    ] {
        let (totals, page, values) = id_page_sql(Backend::Sqlite, kind, &Terms::of("ledger entry"));
        for (text, before) in [(totals, 0), (page, 2)] {
            let plan = plan(&store, &text, before, &values).await;
            assert!(
                plan.iter()
                    .any(|l| l.contains(fts) && l.contains("VIRTUAL TABLE INDEX")),
                "the search table's index answers: {plan:?}"
            );
            assert!(
                plan.iter()
                    .any(|l| l.contains("SEARCH n USING INTEGER PRIMARY KEY")),
                "each matching id is read by rowid: {plan:?}"
            );
            assert!(!scans(&plan, " n "), "no scan of every id: {plan:?}");
        }
        // Short terms: a range on the id's primary key.
        let (_, page, values) = id_page_sql(Backend::Sqlite, kind, &Terms::of("le"));
        let plan = plan(&store, &page, 2, &values).await;
        assert!(plan.iter().any(|l| l.starts_with("SEARCH n")), "{plan:?}");
        assert!(!scans(&plan, " n "), "{plan:?}");
    }
}

#[tokio::test]
async fn filtered_listings_read_through_an_index() {
    let (_dir, store) = store().await;
    let filters = [
        ListFilter {
            terms: Terms::of("ledger"),
            ..ListFilter::default()
        },
        ListFilter {
            id: Some("a".into()),
            ..ListFilter::default()
        },
        ListFilter {
            publisher_id: Some("p".into()),
            ..ListFilter::default()
        },
        ListFilter {
            lifecycle: Some("yanked".into()),
            ..ListFilter::default()
        },
    ];
    for filter in &filters {
        let (text, values) = page_sql(Backend::Sqlite, Kind::Package, filter, 10);
        let plan = plan(&store, &text, 1, &values).await;
        assert!(!scans(&plan, " p "), "{filter:?}: {plan:?}");
        assert!(!scans(&plan, " n "), "{filter:?}: {plan:?}");
    }
}
