//! The store operations both backends run with the same SQL: one body, expanded into each backend's `impl Store`
//! (SQL is written with `$n` placeholders and passed through the backend's `$sql` function; `$limit` turns "no
//! limit" into what the backend's `LIMIT` accepts).

/// Implements [`super::Store`] for `$store`: the shared operations plus the backend's own `{ ... }` methods.
macro_rules! impl_store {
    ($store:ty, $backend:literal, $sql:path, $limit:path, { $($specific:tt)* }) => {
        #[async_trait::async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn migrate(&self) -> Result<(), Error> {
                // On Postgres sqlx holds an advisory lock while migrating, so replicas starting together take
                // turns; SQLite serialises writers by itself.
                MIGRATOR.run(&self.pool).await?;
                Ok(())
            }

            async fn insert_package(&self, package: &StoredPackage) -> Result<Insert, Error> {
                let sql = $sql(&insert_sql());
                let mut query = sqlx::query(&sql);
                for value in insert_values(package) {
                    query = query.bind(value);
                }
                let key = precedence_key(&package.package_version);
                // ON CONFLICT DO NOTHING waits for a racing insert of the same version, or of one with the same
                // precedence (the UNIQUE (package_id, version_key) index), to commit, so the read below always finds
                // the winner: racing publishes never fail.
                let inserted = query.bind(&key).execute(&self.pool).await?.rows_affected() == 1;
                if inserted {
                    return Ok(Insert::Created);
                }
                let version = match self
                    .get_package(&package.package_id, &package.package_version)
                    .await?
                {
                    Some(existing) => return Ok(Insert::Existing(Box::new(existing))),
                    None => {
                        let sql = "SELECT package_version FROM packages WHERE package_id = $1 AND version_key = $2";
                        sqlx::query_scalar::<_, String>(&$sql(sql))
                            .bind(&package.package_id)
                            .bind(&key)
                            .fetch_optional(&self.pool)
                            .await?
                    }
                };
                let existing = match version {
                    Some(version) => self.get_package(&package.package_id, &version).await?,
                    None => None,
                };
                match existing {
                    Some(existing) => Ok(Insert::Existing(Box::new(existing))),
                    None => Err(Error::Internal(
                        "insert conflicted but no row is there".into(),
                    )),
                }
            }

            async fn get_package(
                &self,
                package_id: &str,
                version: &str,
            ) -> Result<Option<StoredPackage>, Error> {
                let sql = format!(
                    "SELECT {PACKAGE_COLUMNS} FROM packages WHERE package_id = $1 AND package_version = $2"
                );
                let row = sqlx::query(&$sql(&sql))
                    .bind(package_id)
                    .bind(version)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|r| package_from_row(&r)).transpose()?)
            }

            async fn get_state(
                &self,
                package_id: &str,
                version: &str,
            ) -> Result<Option<PackageState>, Error> {
                let sql = format!(
                    "SELECT download_count, {LIFECYCLE_COLUMNS} FROM packages WHERE package_id = $1 AND package_version = $2"
                );
                let row = sqlx::query(&$sql(&sql))
                    .bind(package_id)
                    .bind(version)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|r| state_from_row(&r)).transpose()?)
            }

            async fn download_package(
                &self,
                package_id: &str,
                version: &str,
                allow_yanked: bool,
            ) -> Result<Download, Error> {
                let sql = format!(
                    "UPDATE packages SET download_count = download_count + 1 \
                     WHERE package_id = $1 AND package_version = $2 AND {DOWNLOADABLE} \
                     RETURNING download_count, {LIFECYCLE_COLUMNS}"
                );
                let row = sqlx::query(&$sql(&sql))
                    .bind(package_id)
                    .bind(version)
                    .bind(allow_yanked)
                    .fetch_optional(&self.pool)
                    .await?;
                if let Some(row) = row {
                    return Ok(Download::Counted(state_from_row(&row)?));
                }
                let sql = format!(
                    "SELECT {LIFECYCLE_COLUMNS} FROM packages WHERE package_id = $1 AND package_version = $2"
                );
                let row = sqlx::query(&$sql(&sql))
                    .bind(package_id)
                    .bind(version)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(match row {
                    Some(row) => Download::Refused(lifecycle_only(&row)?),
                    None => Download::NotFound,
                })
            }

            async fn list_publications(
                &self,
                cursor: Option<&Cursor>,
                limit: Option<u32>,
            ) -> Result<Vec<PublicationSummary>, Error> {
                let limit = $limit(limit);
                let rows = match cursor {
                    None => {
                        let sql =
                            format!("SELECT {SUMMARY_COLUMNS} FROM packages {LISTING_ORDER} LIMIT $1");
                        sqlx::query(&$sql(&sql)).bind(limit).fetch_all(&self.pool).await?
                    }
                    Some(c) => {
                        let sql = format!(
                            "SELECT {SUMMARY_COLUMNS} FROM packages WHERE {AFTER_CURSOR} {LISTING_ORDER} LIMIT $5"
                        );
                        sqlx::query(&$sql(&sql))
                            .bind(c.download_count)
                            .bind(&c.published_at)
                            .bind(&c.package_id)
                            .bind(&c.package_version)
                            .bind(limit)
                            .fetch_all(&self.pool)
                            .await?
                    }
                };
                rows.iter()
                    .map(|r| summary_from_row(r).map_err(Error::from))
                    .collect()
            }

            async fn package_count(&self) -> Result<i64, Error> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM packages")
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn insert_template(
                &self,
                template: &StoredTemplate,
            ) -> Result<Insert<StoredTemplate>, Error> {
                let sql = $sql(&insert_template_sql());
                let mut query = sqlx::query(&sql);
                for value in insert_template_values(template) {
                    query = query.bind(value);
                }
                let key = precedence_key(&template.template_version);
                if query.bind(&key).execute(&self.pool).await?.rows_affected() == 1 {
                    return Ok(Insert::Created);
                }
                let version = match self
                    .get_template(&template.template_id, &template.template_version)
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
                    Some(version) => self.get_template(&template.template_id, &version).await?,
                    None => None,
                };
                match existing {
                    Some(existing) => Ok(Insert::Existing(Box::new(existing))),
                    None => Err(Error::Internal(
                        "template insert conflicted but no row is there".into(),
                    )),
                }
            }

            async fn get_template(
                &self,
                template_id: &str,
                version: &str,
            ) -> Result<Option<StoredTemplate>, Error> {
                let sql = format!(
                    "SELECT {TEMPLATE_COLUMNS} FROM templates WHERE template_id = $1 AND template_version = $2"
                );
                let row = sqlx::query(&$sql(&sql))
                    .bind(template_id)
                    .bind(version)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|r| template_from_row(&r)).transpose()?)
            }

            async fn download_template(
                &self,
                template_id: &str,
                version: &str,
            ) -> Result<Option<StoredTemplate>, Error> {
                let sql = format!(
                    "UPDATE templates SET download_count = download_count + 1 \
                     WHERE template_id = $1 AND template_version = $2 RETURNING {TEMPLATE_COLUMNS}"
                );
                let row = sqlx::query(&$sql(&sql))
                    .bind(template_id)
                    .bind(version)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|r| template_from_row(&r)).transpose()?)
            }

            async fn list_templates(
                &self,
                offset: u32,
                limit: Option<u32>,
            ) -> Result<Vec<StoredTemplate>, Error> {
                let sql = format!(
                    "SELECT {TEMPLATE_SUMMARY_COLUMNS} FROM templates {TEMPLATE_ORDER} LIMIT $1 OFFSET $2"
                );
                let rows = sqlx::query(&$sql(&sql))
                    .bind($limit(limit))
                    .bind(i64::from(offset))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| template_from_row(r).map_err(Error::from))
                    .collect()
            }

            $($specific)*
        }
    };
}

pub(super) use impl_store;
