//! One id's versions in SemVer order, both backends: the id's version texts (and statuses) read from a covering
//! index, ordered here by [`verifier::version::compare`] (SQL cannot order SemVer), then the page's rows alone.

use verifier::lifecycle::LifecycleStatus;

use super::{IdVersion, Kind};

/// The id's version texts with their lifecycle status (`active` for templates) ($1 id), from the covering index.
pub(super) fn version_list_sql(kind: Kind) -> &'static str {
    match kind {
        Kind::Package => {
            "SELECT package_version, lifecycle_status FROM packages WHERE package_id = $1"
        }
        Kind::Template => {
            "SELECT template_version, 'active' AS lifecycle_status FROM templates WHERE template_id = $1"
        }
    }
}

/// The listed columns of `versions` versions of one id ($1 id, $2.. the versions).
pub(super) fn version_details_sql(kind: Kind, versions: usize) -> String {
    let list = (2..2 + versions)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    match kind {
        Kind::Package => format!(
            "SELECT p.package_version AS version, p.published_at, {}, {} FROM packages p {} \
             WHERE p.package_id = $1 AND p.package_version IN ({list})",
            super::sql::COUNT,
            super::sql::LIFECYCLE_COLUMNS,
            super::sql::PACKAGE_DOWNLOADS_JOIN
        ),
        Kind::Template => format!(
            "SELECT t.template_version AS version, t.published_at, {} FROM templates t {} \
             WHERE t.template_id = $1 AND t.template_version IN ({list})",
            super::sql::COUNT,
            super::sql::TEMPLATE_DOWNLOADS_JOIN
        ),
    }
}

/// Orders `all` (version, status) highest first, chooses the latest, and the page's versions: up to `limit`
/// below `below` (the cursor's version). Returns the page plan: (latest, page versions, more).
pub(super) fn plan_page(
    mut all: Vec<(String, String)>,
    below: Option<&str>,
    limit: u32,
) -> (Option<String>, Vec<String>, bool) {
    all.sort_by(|a, b| verifier::version::compare(&b.0, &a.0));
    let latest = all
        .iter()
        .find(|(v, status)| {
            LifecycleStatus::parse(status).is_current()
                && verifier::version::parse(v).is_ok_and(|v| v.pre.is_empty())
        })
        .map(|(v, _)| v.clone());
    let rest = all.into_iter().map(|(v, _)| v).filter(|v| {
        below.is_none_or(|b| verifier::version::compare(v, b) == std::cmp::Ordering::Less)
    });
    let mut page: Vec<String> = rest.take(limit as usize + 1).collect();
    let more = page.len() > limit as usize;
    page.truncate(limit as usize);
    (latest, page, more)
}

/// Puts `rows` in the order of `page`.
pub(super) fn in_order(page: &[String], mut rows: Vec<IdVersion>) -> Vec<IdVersion> {
    rows.sort_by_key(|r| page.iter().position(|v| *v == r.version));
    rows
}

/// Inherent version-list methods for `$store` (see [`super::shared::impl_store`]).
macro_rules! version_ops {
    ($store:ty, $sql:path) => {
        impl $store {
            async fn v_page(
                &self,
                kind: Kind,
                id: &str,
                below: Option<&str>,
                limit: u32,
            ) -> Result<Option<VersionPage>, Error> {
                use $crate::store::shared_versions as sv;
                let all: Vec<(String, String)> = sqlx::query_as(&$sql(sv::version_list_sql(kind)))
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?;
                if all.is_empty() {
                    return Ok(None);
                }
                let (latest, page, more) = sv::plan_page(all, below, limit);
                let mut versions = Vec::with_capacity(page.len());
                if !page.is_empty() {
                    let sql = $sql(&sv::version_details_sql(kind, page.len()));
                    let mut query = sqlx::query(&sql).bind(id);
                    for v in &page {
                        query = query.bind(v);
                    }
                    for row in query.fetch_all(&self.pool).await? {
                        versions.push(IdVersion {
                            version: row.try_get("version")?,
                            published_at: row.try_get("published_at")?,
                            download_count: row.try_get("download_count")?,
                            lifecycle: match kind {
                                Kind::Package => Some(lifecycle_only(&row)?),
                                Kind::Template => None,
                            },
                        });
                    }
                }
                Ok(Some(VersionPage {
                    latest,
                    versions: sv::in_order(&page, versions),
                    more,
                }))
            }
        }
    };
}

pub(super) use version_ops;

#[cfg(test)]
mod tests {
    use super::plan_page;

    fn all(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(v, s)| ((*v).into(), (*s).into()))
            .collect()
    }

    #[test]
    fn pages_run_in_semver_order_and_latest_skips_pre_releases_and_unusable() {
        let list = all(&[
            ("1.10.0", "active"),
            ("1.9.0", "active"),
            ("2.0.0-rc.1", "active"),
            ("1.11.0", "yanked"),
            ("1.2.0", "deprecated"),
        ]);
        let (latest, page, more) = plan_page(list.clone(), None, 2);
        assert_eq!(latest.as_deref(), Some("1.10.0"));
        assert_eq!(page, ["2.0.0-rc.1", "1.11.0"]);
        assert!(more);
        let (_, page, more) = plan_page(list, Some("1.11.0"), 5);
        assert_eq!(page, ["1.10.0", "1.9.0", "1.2.0"]);
        assert!(!more);
        let (latest, _, _) = plan_page(all(&[("1.0.0", "takedown")]), None, 5);
        assert_eq!(latest, None);
    }
}
