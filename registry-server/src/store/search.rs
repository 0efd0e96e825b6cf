//! Search and listing filters without scans: the SQL of the per-id search text (kept current by the store at
//! publish, lifecycle change and card fill-in) and of the conditions that find ids through its index — a `pg_trgm`
//! GIN index on Postgres, an FTS5 `trigram` table on SQLite (migration 0007).
//!
//! **Query rules.** `q` is split on whitespace into at most [`MAX_TERMS`] lower-cased terms; an id matches when it
//! matches every term. A term of 3 characters or more matches anywhere in the id's search text (id, version, refs,
//! publisher, name, description, capabilities; the content of taken-down versions is not searched). A shorter term
//! cannot use a trigram index, so it matches the start of the id only (a range on the id's primary key).

use super::Kind;

/// The most terms a query is split into (further ones are ignored).
pub const MAX_TERMS: usize = 8;

/// Terms shorter than this (in characters) match id prefixes only.
pub const TRIGRAM: usize = 3;

/// Which SQL dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Postgres (`pg_trgm`).
    Postgres,
    /// SQLite (FTS5 `trigram`).
    Sqlite,
}

impl Backend {
    /// From [`super::Store::backend`]'s name.
    pub fn of(name: &str) -> Backend {
        if name == "sqlite" {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }
}

/// A parsed search: substring terms and id-prefix terms, lower-cased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Terms {
    /// Terms of [`TRIGRAM`] characters or more.
    pub substrings: Vec<String>,
    /// Shorter terms.
    pub prefixes: Vec<String>,
}

impl Terms {
    /// The terms of `q` (see the module's query rules).
    pub fn of(q: &str) -> Terms {
        let mut terms = Terms::default();
        for term in q.split_whitespace().take(MAX_TERMS).map(str::to_lowercase) {
            if term.chars().count() >= TRIGRAM {
                terms.substrings.push(term);
            } else {
                terms.prefixes.push(term);
            }
        }
        terms
    }

    /// Whether there is nothing to search for.
    pub fn is_empty(&self) -> bool {
        self.substrings.is_empty() && self.prefixes.is_empty()
    }
}

/// The per-id table's search-text refresh for one id ($1): the most recent version's identifying text and the most
/// recent not-taken-down version's content, each read through the `(id, seq)` index.
pub fn refresh_search_sql(kind: Kind) -> String {
    let (ids, versions, id) = match kind {
        Kind::Package => ("package_ids", "packages", "package_id"),
        Kind::Template => ("template_ids", "templates", "template_id"),
    };
    let shown = match kind {
        Kind::Package => " AND v.lifecycle_status <> 'takedown'",
        Kind::Template => "",
    };
    format!(
        "UPDATE {ids} SET search_text = {id} || ' ' || \
         COALESCE((SELECT v.search_ident FROM {versions} v WHERE v.{id} = $1 AND v.search_ident IS NOT NULL \
         ORDER BY v.seq DESC LIMIT 1), '') || ' ' || \
         COALESCE((SELECT v.search_content FROM {versions} v WHERE v.{id} = $1{shown} \
         AND v.search_content IS NOT NULL ORDER BY v.seq DESC LIMIT 1), '') \
         WHERE {id} = $1"
    )
}

/// The condition on the per-id table (alias `n`) that `terms` match, with placeholders from `$first`, and the
/// values to bind in order. `None` when there are no terms.
pub fn id_match(
    backend: Backend,
    kind: Kind,
    terms: &Terms,
    first: usize,
) -> Option<(String, Vec<String>)> {
    if terms.is_empty() {
        return None;
    }
    let (table, id) = super::sql::ids_table(kind);
    let mut n = first;
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    if !terms.substrings.is_empty() {
        match backend {
            Backend::Postgres => {
                for term in &terms.substrings {
                    conditions.push(format!("n.search_text LIKE ${n} ESCAPE '\\'"));
                    values.push(super::sql::like_pattern(term));
                    n += 1;
                }
            }
            Backend::Sqlite => {
                conditions.push(format!(
                    "n.rowid IN (SELECT rowid FROM {table}_search WHERE {table}_search MATCH ${n})"
                ));
                values.push(fts_phrases(&terms.substrings));
                n += 1;
            }
        }
    }
    for prefix in &terms.prefixes {
        conditions.push(format!("n.{id} >= ${n} AND n.{id} < ${}", n + 1));
        values.push(prefix.clone());
        values.push(format!("{prefix}\u{7f}"));
        n += 2;
    }
    Some((conditions.join(" AND "), values))
}

/// An FTS5 query matching every term as a substring: each term a quoted phrase (quotes doubled), implicitly ANDed.
fn fts_phrases(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a paged listing is narrowed to (every field optional; all given must hold).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Exactly this id.
    pub id: Option<String>,
    /// Versions published by this publisher.
    pub publisher_id: Option<String>,
    /// Versions in this lifecycle state (packages only).
    pub lifecycle: Option<String>,
    /// Ids matching the search.
    pub terms: Terms,
}

/// The `WHERE` conditions of a paged listing of `kind` (version alias `alias`, placeholders from `$first`) for
/// `filter`, each prefixed with ` AND `, and the values to bind in order.
pub(super) fn listing_conditions(
    backend: Backend,
    kind: Kind,
    alias: &str,
    filter: &ListFilter,
    first: usize,
) -> (String, Vec<String>) {
    let (_, id) = super::sql::ids_table(kind);
    let mut out = String::new();
    let mut values = Vec::new();
    let mut n = first;
    let mut exact = |column: &str, value: &Option<String>, out: &mut String| {
        if let Some(v) = value {
            out.push_str(&format!(" AND {alias}.{column} = ${n}"));
            values.push(v.clone());
            n += 1;
        }
    };
    exact(id, &filter.id, &mut out);
    exact("publisher_id", &filter.publisher_id, &mut out);
    exact("lifecycle_status", &filter.lifecycle, &mut out);
    if let Some((condition, more)) = id_match(backend, kind, &filter.terms, n) {
        let (table, _) = super::sql::ids_table(kind);
        out.push_str(&format!(
            " AND {alias}.{id} IN (SELECT n.{id} FROM {table} n WHERE {condition})"
        ));
        values.extend(more);
    }
    (out, values)
}

/// The UI list's two statements for `terms` (Postgres placeholders): the totals of every matching id (values from
/// `$1`) and one page of them, most downloaded first (`$1` limit, `$2` offset, values from `$3`); with the values
/// each binds after those.
pub fn id_page_sql(backend: Backend, kind: Kind, terms: &Terms) -> (String, String, Vec<String>) {
    let (table, id) = super::sql::ids_table(kind);
    let filter = |first| match id_match(backend, kind, terms, first) {
        Some((condition, values)) => (format!("WHERE {condition}"), values),
        None => (String::new(), Vec::new()),
    };
    let (condition, values) = filter(1);
    let totals = format!(
        "SELECT COUNT(*) AS ids, CAST(COALESCE(SUM(version_count), 0) AS BIGINT) AS versions FROM {table} n \
         {condition}"
    );
    let (condition, _) = filter(3);
    let page = format!(
        "SELECT {id} AS id, version_count, downloads FROM {table} n {condition} \
         ORDER BY downloads DESC, latest_published_at DESC, {id} ASC LIMIT $1 OFFSET $2"
    );
    (totals, page, values)
}

/// A paged listing of at most `limit` rows of `kind` passing `filter` (Postgres placeholders: `$1` after this
/// sequence number, then the values returned), in publication order.
///
/// The limit is written into the text, not bound: with a bound limit, Postgres's plan cache never finds its generic
/// plan as cheap as a custom one (it cannot know the limit is small) and plans the four-table join again on every
/// execution, which was 38 % of its CPU per page. With the limit in the text it plans once per connection and limit.
pub fn page_sql(
    backend: Backend,
    kind: Kind,
    filter: &ListFilter,
    limit: u32,
) -> (String, Vec<String>) {
    use super::sql::{
        COUNT, OWNER_COLUMNS, PACKAGE_DOWNLOADS_JOIN, PACKAGE_OWNER_JOIN, SUMMARY_ROW,
        TEMPLATE_DOWNLOADS_JOIN, TEMPLATE_OWNER_JOIN, TEMPLATE_ROW,
    };
    match kind {
        Kind::Package => {
            let (conditions, values) = listing_conditions(backend, kind, "p", filter, 2);
            let sql = format!(
                "SELECT {SUMMARY_ROW}, {COUNT}, {OWNER_COLUMNS} FROM packages p {PACKAGE_DOWNLOADS_JOIN} \
                 {PACKAGE_OWNER_JOIN} WHERE p.seq > $1{conditions} ORDER BY p.seq LIMIT {limit}"
            );
            (sql, values)
        }
        Kind::Template => {
            let filter = ListFilter {
                lifecycle: None,
                ..filter.clone()
            };
            let (conditions, values) = listing_conditions(backend, kind, "t", &filter, 2);
            let sql = format!(
                "SELECT {TEMPLATE_ROW}, {COUNT}, {OWNER_COLUMNS}, 'null' AS template, 'null' AS package \
                 FROM templates t {TEMPLATE_DOWNLOADS_JOIN} {TEMPLATE_OWNER_JOIN} WHERE t.seq > $1{conditions} \
                 ORDER BY t.seq LIMIT {limit}"
            );
            (sql, values)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_terms_match_id_prefixes_and_quotes_are_doubled() {
        let terms = Terms::of("  Ledger ab \"x\"y ");
        assert_eq!(terms.substrings, ["ledger", "\"x\"y"]);
        assert_eq!(terms.prefixes, ["ab"]);
        let (sql, values) = id_match(Backend::Sqlite, Kind::Package, &terms, 3).unwrap();
        assert!(
            sql.contains("MATCH $3") && sql.contains("n.package_id >= $4"),
            "{sql}"
        );
        assert_eq!(values, ["\"ledger\" \"\"\"x\"\"y\"", "ab", "ab\u{7f}"]);
        let (sql, values) = id_match(Backend::Postgres, Kind::Template, &terms, 1).unwrap();
        assert!(sql.contains("LIKE $2 ESCAPE"), "{sql}");
        assert_eq!(values[0], "%ledger%");
        assert!(id_match(Backend::Postgres, Kind::Package, &Terms::of(" "), 1).is_none());
    }
}
