//! The UI's per-id version reads are bounded in SQL: SQLite's own query plan shows each id read through the
//! `(id, seq)` index in `seq` order with a `LIMIT`, never the id's whole version list sorted or windowed.

use super::sqlite::SqliteStore;
use super::{Kind, Store, sql};

async fn plan(store: &SqliteStore, kind: Kind) -> Vec<String> {
    let text = super::rows::for_sqlite(&sql::recent_versions_sql(kind, 2));
    assert!(
        text.contains("LIMIT ?1"),
        "each id's read carries the bound: {text}"
    );
    sqlx::query_as::<_, (i64, i64, i64, String)>(&format!("EXPLAIN QUERY PLAN {text}"))
        .bind(50_i64)
        .bind("a")
        .bind("b")
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
