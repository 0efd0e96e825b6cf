//! Postgres keeps a generic plan for a paged listing's statement (its limit is in the text, not bound: a bound
//! limit kept Postgres planning the four-table join on every page), and that plan reads the indexes.

use sqlx::Connection as _;

/// Runs `text` (the page statement, `$1` after this sequence number, then `values`) 8 times on `db`, then checks that
/// Postgres used a generic plan for it and that the generic plan (shown by `EXPLAIN EXECUTE` of the statement
/// prepared with `plan_cache_mode = force_generic_plan` on another connection of `url`) scans no table of versions.
pub(crate) async fn assert_generic_plan(
    db: &mut sqlx::PgConnection,
    url: &str,
    text: &str,
    values: &[String],
) {
    for _ in 0..8 {
        let mut query = sqlx::query(text).bind(0_i64);
        for v in values {
            query = query.bind(v);
        }
        query.fetch_all(&mut *db).await.unwrap();
    }
    let generic: i64 =
        sqlx::query_scalar("SELECT generic_plans FROM pg_prepared_statements WHERE statement = $1")
            .bind(text)
            .fetch_one(&mut *db)
            .await
            .unwrap();
    assert!(generic >= 1, "no generic plan in 8 pages: {text}");
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    // Postgres 15 has no `EXPLAIN (GENERIC_PLAN)`.
    let arguments: Vec<String> = std::iter::once("0".to_owned())
        .chain(
            values
                .iter()
                .map(|v| format!("'{}'", v.replace('\'', "''"))),
        )
        .collect();
    let script = format!(
        "SET plan_cache_mode = force_generic_plan; PREPARE page AS {text}; EXPLAIN EXECUTE page({})",
        arguments.join(", ")
    );
    let mut lines = Vec::new();
    for row in sqlx::raw_sql(&script).fetch_all(&mut conn).await.unwrap() {
        lines.push(sqlx::Row::get::<String, _>(&row, 0));
    }
    let plan = lines.join("\n");
    assert!(plan.contains("$1"), "not a generic plan: {plan}");
    assert!(!plan.contains("Seq Scan on packages"), "{plan}");
}
