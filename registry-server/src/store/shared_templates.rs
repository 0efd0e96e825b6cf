//! The template operations both backends share, as inherent methods the `Store` impl delegates to.

/// Inherent template methods for `$store` (see [`super::shared::impl_store`]).
macro_rules! template_ops {
    ($store:ty, $sql:path, $template_seq:expr, $prepare_listing:path) => {
        impl $store {
            async fn t_insert(
                &self,
                template: &StoredTemplate,
                claim: Option<&$crate::store::Claim>,
            ) -> Result<Insert<StoredTemplate>, Error> {
                let mut tx = $crate::store::shared_governance::write_tx!(self);
                $crate::store::shared_publishers::claim_step!($sql, tx, claim, "templates", "template_id");
                let sql = $sql(&sql::insert_template_sql($template_seq));
                let mut query = sqlx::query(&sql);
                for value in sql::insert_template_values(template) {
                    query = query.bind(value);
                }
                let key = sql::precedence_key(&template.template_version);
                // As for packages: the UNIQUE (template_id, version_key) index admits one version per precedence.
                if query.bind(&key).execute(&mut *tx).await?.rows_affected() == 1 {
                    sqlx::query(&$sql(sql::INSERT_TEMPLATE_DOCUMENTS))
                        .bind(&template.template_id)
                        .bind(&template.template_version)
                        .bind(template.template_json.as_str())
                        .bind(template.package_json.as_str())
                        .execute(&mut *tx)
                        .await?;
                    let entry = $crate::log::entry::template(template)?;
                    $crate::store::shared_log::pending_step!(
                        $sql, tx, entry, "version", "template", &template.template_id, &template.template_version
                    );
                    sqlx::query(&$sql(&sql::upsert_id_sql(Kind::Template)))
                        .bind(&template.template_id)
                        .bind(&template.published_at)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(&$sql(&$crate::store::search::refresh_search_sql(Kind::Template)))
                        .bind(&template.template_id)
                        .execute(&mut *tx)
                        .await?;
                    if let Some(c) = claim {
                        $crate::store::shared_publishers::insert_audit!($sql, &mut *tx, &c.audit);
                    }
                    tx.commit().await?;
                    return Ok(Insert::Created);
                }
                tx.rollback().await?;
                let version = match self
                    .t_get(&template.template_id, &template.template_version, true)
                    .await?
                {
                    Some(existing) => return Ok(Insert::Existing(Box::new(existing))),
                    None => {
                        let sql = "SELECT template_version FROM templates WHERE template_id = $1 AND version_key = $2";
                        sqlx::query_scalar::<_, String>(&$sql(sql))
                            .bind(&template.template_id)
                            .bind(&key)
                            .fetch_optional(&self.pool)
                            .await?
                    }
                };
                let existing = match version {
                    Some(version) => self.t_get(&template.template_id, &version, true).await?,
                    None => None,
                };
                match existing {
                    Some(existing) => Ok(Insert::Existing(Box::new(existing))),
                    None => Err(Error::Internal(
                        "template insert conflicted but no row is there".into(),
                    )),
                }
            }

            /// One template row with its count, and its documents when `documents`.
            async fn t_get(
                &self,
                template_id: &str,
                version: &str,
                documents: bool,
            ) -> Result<Option<StoredTemplate>, Error> {
                let sql = if documents {
                    format!(
                        "SELECT {}, {}, doc.template, doc.package FROM templates t JOIN template_documents doc \
                         ON doc.template_id = t.template_id AND doc.template_version = t.template_version {} \
                         WHERE t.template_id = $1 AND t.template_version = $2",
                        sql::TEMPLATE_ROW,
                        sql::COUNT,
                        sql::TEMPLATE_DOWNLOADS_JOIN
                    )
                } else {
                    format!(
                        "SELECT {}, {}, 'null' AS template, 'null' AS package FROM templates t {} \
                         WHERE t.template_id = $1 AND t.template_version = $2",
                        sql::TEMPLATE_ROW,
                        sql::COUNT,
                        sql::TEMPLATE_DOWNLOADS_JOIN
                    )
                };
                let row = sqlx::query(&$sql(&sql))
                    .bind(template_id)
                    .bind(version)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|r| template_from_row(&r)).transpose()?)
            }

            async fn t_count(&self, template_id: &str, version: &str) -> Result<Option<i64>, Error> {
                let sql = format!(
                    "SELECT {} FROM templates t {} WHERE t.template_id = $1 AND t.template_version = $2",
                    sql::COUNT,
                    sql::TEMPLATE_DOWNLOADS_JOIN
                );
                Ok(sqlx::query_scalar(&$sql(&sql))
                    .bind(template_id)
                    .bind(version)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn t_page(
                &self,
                after: Option<i64>,
                limit: u32,
                filter: &$crate::store::search::ListFilter,
            ) -> Result<Vec<(i64, StoredTemplate)>, Error> {
                use $crate::store::search;
                let backend = search::Backend::of(self.backend());
                let (sql, values) = search::page_sql(backend, Kind::Template, filter, limit);
                let sql = $sql(&sql);
                let mut query = sqlx::query(&sql).bind(after.unwrap_or(0));
                for value in &values {
                    query = query.bind(value);
                }
                let rows = query
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| Ok((r.try_get::<i64, _>("seq")?, template_from_row(r)?)))
                    .collect::<Result<_, sqlx::Error>>()
                    .map_err(Error::from)
            }

            fn t_stream(&self, timeout: std::time::Duration) -> RowStream<StoredTemplate> {
                $crate::store::shared::spawn_row_stream!(
                    self.pool, $prepare_listing, timeout,
                    $sql(&format!(
                    "SELECT {}, {}, {}, 'null' AS template, 'null' AS package FROM templates t {} {} {}",
                    sql::TEMPLATE_ROW,
                    sql::COUNT,
                    sql::OWNER_COLUMNS,
                    sql::TEMPLATE_DOWNLOADS_JOIN,
                    sql::TEMPLATE_OWNER_JOIN,
                    sql::TEMPLATE_ANIP_ORDER
                )),
                    64, template_from_row
                )
            }
        }
    };
}

pub(super) use template_ops;
