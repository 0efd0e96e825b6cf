//! The UI's per-id version reads are bounded in SQL: SQLite's own query plan shows each id read through the
//! `(id, seq)` index in `seq` order with a `LIMIT`, never the id's whole version list sorted or windowed; the
//! latest's read of current versions touches the covering index only.

use super::sqlite::SqliteStore;
use super::{Kind, Store, sql};

async fn plan(store: &SqliteStore, kind: Kind) -> Vec<String> {
    let text = super::rows::for_sqlite(&sql::recent_versions_sql(kind, 2));
    assert!(
        text.contains("LIMIT ?1"),
        "each id's read carries the bound: {text}"
    );
    explain(store, &text, &[]).await
}

/// SQLite's plan of `text`, bound with `ids` (else with 50, "a" and "b").
async fn explain(store: &SqliteStore, text: &str, ids: &[&str]) -> Vec<String> {
    let text = format!("EXPLAIN QUERY PLAN {text}");
    let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(&text);
    if ids.is_empty() {
        query = query.bind(50_i64).bind("a").bind("b");
    }
    for id in ids {
        query = query.bind(*id);
    }
    query
        .fetch_all(store.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.3)
        .collect()
}

#[tokio::test]
async fn recent_versions_read_each_id_through_its_seq_index_without_sorting() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("r.db")).await.unwrap();
    store.migrate().await.unwrap();
    for (kind, table, index) in [
        (Kind::Package, " p ", "packages_id_seq"),
        (Kind::Template, " t ", "templates_id_seq"),
    ] {
        let plan = plan(&store, kind).await;
        let reads: Vec<&String> = plan
            .iter()
            .filter(|l| l.starts_with("SEARCH") || l.starts_with("SCAN"))
            .filter(|l| format!("{l} ").contains(table))
            .collect();
        assert_eq!(reads.len(), 2, "one read per id: {plan:?}");
        for line in reads {
            assert!(line.contains(index), "{line} uses {index}: {plan:?}");
        }
        assert!(
            !plan
                .iter()
                .any(|l| l.contains("TEMP B-TREE") || l.contains("WINDOW")),
            "no sort or window over an id's versions: {plan:?}"
        );
    }
}

#[tokio::test]
async fn current_versions_are_read_from_the_index_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("r.db")).await.unwrap();
    store.migrate().await.unwrap();
    for (kind, index) in [
        (Kind::Package, "COVERING INDEX packages_id_status_version"),
        (Kind::Template, "COVERING INDEX templates_id_version"),
    ] {
        let text = super::rows::for_sqlite(&sql::current_versions_sql(kind, 2));
        let plan = explain(&store, &text, &["a", "b"]).await;
        assert!(plan.iter().any(|l| l.contains(index)), "{plan:?}");
        assert!(!plan.iter().any(|l| l.starts_with("SCAN")), "{plan:?}");
    }
}
