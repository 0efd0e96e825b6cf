//! The UI's store operations both backends share: bounded queries only (a page of ids, a capped number of versions
//! per id), as inherent methods the `Store` impl delegates to.

/// Inherent UI methods for `$store` (see [`super::shared::impl_store`]).
macro_rules! ui_ops {
    ($store:ty, $sql:path) => {
        impl $store {
            async fn ui_list_ids(
                &self,
                kind: Kind,
                terms: &$crate::store::search::Terms,
                offset: u32,
                limit: u32,
            ) -> Result<IdPage, Error> {
                use $crate::store::search;
                let backend = search::Backend::of(self.backend());
                let (totals, page, patterns) = search::id_page_sql(backend, kind, terms);
                let totals = $sql(&totals);
                let mut query = sqlx::query(&totals);
                for p in &patterns {
                    query = query.bind(p);
                }
                let row = query.fetch_one(&self.pool).await?;
                let total_ids: i64 = row.try_get("ids")?;
                let total_versions: i64 = row.try_get("versions")?;
                let page = $sql(&page);
                let mut query = sqlx::query(&page)
                    .bind(i64::from(limit))
                    .bind(i64::from(offset));
                for p in &patterns {
                    query = query.bind(p);
                }
                let rows = query
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| {
                        Ok(IdRow {
                            id: r.try_get("id")?,
                            version_count: r.try_get("version_count")?,
                            downloads: r.try_get("downloads")?,
                        })
                    })
                    .collect::<Result<Vec<_>, sqlx::Error>>()?;
                Ok(IdPage {
                    total_ids,
                    total_versions,
                    rows,
                })
            }

            async fn ui_package_versions(
                &self,
                ids: &[String],
                per_id: u32,
            ) -> Result<Vec<VersionRow>, Error> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = sql::recent_versions_sql(Kind::Package, ids.len());
                let sql = $sql(&sql);
                let mut query = sqlx::query(&sql).bind(i64::from(per_id));
                for id in ids {
                    query = query.bind(id);
                }
                let mut rows = query
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| version_from_row(r).map_err(Error::from))
                    .collect::<Result<Vec<_>, Error>>()?;
                self.ui_add_latest(ids, &mut rows).await?;
                Ok(rows)
            }

            /// Each of `ids`' highest current version of `kind` (see [`sql::current_versions_sql`]).
            async fn ui_latest(&self, kind: Kind, ids: &[String]) -> Result<Vec<(String, String)>, Error> {
                let sql = $sql(&sql::current_versions_sql(kind, ids.len()));
                let mut query = sqlx::query_as::<_, (String, String)>(&sql);
                for id in ids {
                    query = query.bind(id);
                }
                let mut latest: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
                for (id, version) in query.fetch_all(&self.pool).await? {
                    let higher = latest.get(&id).is_none_or(|best| {
                        verifier::version::compare(&version, best) == std::cmp::Ordering::Greater
                    });
                    if higher {
                        latest.insert(id, version);
                    }
                }
                Ok(latest.into_iter().collect())
            }

            /// Adds to `rows` each id's highest current version when the recent versions miss it, so a card's
            /// "latest" never depends on how many versions were published after it.
            async fn ui_add_latest(&self, ids: &[String], rows: &mut Vec<VersionRow>) -> Result<(), Error> {
                let one = $sql(&sql::version_row_sql(Kind::Package));
                for (id, version) in self.ui_latest(Kind::Package, ids).await? {
                    let shown = rows
                        .iter()
                        .any(|r| r.summary.package_id == id && r.summary.package_version == version);
                    if shown {
                        continue;
                    }
                    let row = sqlx::query(&one).bind(&id).bind(&version).fetch_optional(&self.pool).await?;
                    if let Some(row) = row {
                        rows.push(version_from_row(&row)?);
                    }
                }
                Ok(())
            }

            /// [`Self::ui_add_latest`] for templates: each id's highest version.
            async fn ui_add_latest_template(
                &self,
                ids: &[String],
                rows: &mut Vec<StoredTemplate>,
            ) -> Result<(), Error> {
                let one = $sql(&sql::version_row_sql(Kind::Template));
                for (id, version) in self.ui_latest(Kind::Template, ids).await? {
                    let shown = rows.iter().any(|r| r.template_id == id && r.template_version == version);
                    if shown {
                        continue;
                    }
                    let row = sqlx::query(&one).bind(&id).bind(&version).fetch_optional(&self.pool).await?;
                    if let Some(row) = row {
                        rows.push(template_from_row(&row)?);
                    }
                }
                Ok(())
            }

            async fn ui_template_versions(
                &self,
                ids: &[String],
                per_id: u32,
            ) -> Result<Vec<StoredTemplate>, Error> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = sql::recent_versions_sql(Kind::Template, ids.len());
                let sql = $sql(&sql);
                let mut query = sqlx::query(&sql).bind(i64::from(per_id));
                for id in ids {
                    query = query.bind(id);
                }
                let mut rows = query
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| template_from_row(r).map_err(Error::from))
                    .collect::<Result<Vec<_>, Error>>()?;
                self.ui_add_latest_template(ids, &mut rows).await?;
                Ok(rows)
            }

            async fn ui_set_card(
                &self,
                kind: Kind,
                id: &str,
                version: &str,
                card: &Card,
            ) -> Result<(), Error> {
                let (table, id_column, version_column) = sql::versions_table(kind);
                let sql = format!(
                    "UPDATE {table} SET card_name = $3, card_description = $4, card_capabilities = $5, \
                     search_ident = $6, search_content = $7 WHERE {id_column} = $1 AND {version_column} = $2"
                );
                let mut tx = $crate::store::shared_governance::write_tx!(self);
                sqlx::query(&$sql(&sql))
                    .bind(id)
                    .bind(version)
                    .bind(&card.name)
                    .bind(&card.description)
                    .bind(&card.capabilities_json)
                    .bind(&card.search_ident)
                    .bind(&card.search_content)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(&$sql(&$crate::store::search::refresh_search_sql(kind)))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn ui_set_verification(
                &self,
                kind: Kind,
                id: &str,
                version: &str,
                verdict: &str,
            ) -> Result<(), Error> {
                let (table, id_column, version_column) = sql::versions_table(kind);
                let sql = format!(
                    "UPDATE {table} SET verification = $3 WHERE {id_column} = $1 AND {version_column} = $2"
                );
                sqlx::query(&$sql(&sql))
                    .bind(id)
                    .bind(version)
                    .bind(verdict)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn ui_without_card(
                &self,
                kind: Kind,
                limit: u32,
            ) -> Result<Vec<(String, String)>, Error> {
                let (table, id_column, version_column) = sql::versions_table(kind);
                let sql = format!(
                    "SELECT {id_column}, {version_column} FROM {table} WHERE card_name IS NULL ORDER BY seq LIMIT $1"
                );
                Ok(sqlx::query_as(&$sql(&sql))
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?)
            }
        }
    };
}

pub(super) use ui_ops;
