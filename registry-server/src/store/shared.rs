//! The store operations both backends run with the same SQL: one body, expanded into each backend's `impl Store`
//! (SQL is written with `$n` placeholders and passed through the backend's `$sql` function). Template and UI
//! operations live in `shared_templates` and `shared_ui` as inherent methods this impl delegates to.

/// Implements [`super::Store`] for `$store`: the shared operations plus the backend's own `{ ... }` methods.
/// `$package_seq` / `$template_seq` are the SQL of the next publication number; `$prepare_listing` readies a
/// transaction for a long listing (a statement timeout where the backend has one).
macro_rules! impl_store {
    ($store:ty, $backend:literal, $sql:path, $package_seq:expr, $template_seq:expr, $prepare_listing:path,
     { $($specific:tt)* }) => {
        $crate::store::shared_templates::template_ops!($store, $sql, $template_seq, $prepare_listing);
        $crate::store::shared_ui::ui_ops!($store, $sql);
        $crate::store::shared_versions::version_ops!($store, $sql);
        $crate::store::shared_publisher_ops::publisher_ops!($store, $sql);
        $crate::store::shared_governance::governance_ops!($store, $sql);
        $crate::store::shared_reports::report_ops!($store, $sql);
        $crate::store::shared_log::log_ops!($store, $sql);
        $crate::store::shared_replica::replica_ops!($store, $sql, $package_seq, $template_seq);

        impl $store {
            /// Stores a new version, with `claim` (ownership checked and made, publish audited) in the same
            /// transaction when given.
            async fn insert_claimed(
                &self,
                package: &StoredPackage,
                claim: Option<&$crate::store::Claim>,
            ) -> Result<Insert, Error> {
                let mut tx = $crate::store::shared_governance::write_tx!(self);
                $crate::store::shared_publishers::claim_step!($sql, tx, claim, "packages", "package_id");
                let sql = $sql(&sql::insert_package_sql($package_seq));
                let mut query = sqlx::query(&sql);
                for value in sql::insert_package_values(package) {
                    query = query.bind(value);
                }
                let key = sql::precedence_key(&package.package_version);
                // ON CONFLICT DO NOTHING waits for a racing insert of the same version, or of one with the same
                // precedence (the UNIQUE (package_id, version_key) index), to commit, so the read below always finds
                // the winner: racing publishes never fail.
                let inserted = query.bind(&key).execute(&mut *tx).await?.rows_affected() == 1;
                if inserted {
                    let sql = $sql(sql::INSERT_PACKAGE_DOCUMENTS);
                    let mut query = sqlx::query(&sql);
                    for value in sql::package_document_values(package) {
                        query = query.bind(value);
                    }
                    query.execute(&mut *tx).await?;
                    let entry = $crate::log::entry::package(package)?;
                    $crate::store::shared_log::pending_step!(
                        $sql, tx, entry, "version", "package", &package.package_id, &package.package_version
                    );
                    sqlx::query(&$sql(&sql::upsert_id_sql(Kind::Package)))
                        .bind(&package.package_id)
                        .bind(&package.published_at)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(&$sql(&$crate::store::search::refresh_search_sql(Kind::Package)))
                        .bind(&package.package_id)
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

        }

        #[async_trait::async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn migrate(&self) -> Result<(), Error> {
                // On Postgres sqlx holds an advisory lock while migrating, so replicas starting together take
                // turns; SQLite serialises writers by itself.
                MIGRATOR.run(&self.writer).await?;
                Ok(())
            }

            async fn insert_package(&self, package: &StoredPackage) -> Result<Insert, Error> {
                self.insert_claimed(package, None).await
            }

            async fn get_package(
                &self,
                package_id: &str,
                version: &str,
            ) -> Result<Option<StoredPackage>, Error> {
                let sql = format!(
                    "SELECT {}, {}, {} FROM packages p JOIN package_documents doc \
                     ON doc.package_id = p.package_id AND doc.package_version = p.package_version {} \
                     WHERE p.package_id = $1 AND p.package_version = $2",
                    sql::PACKAGE_ROW, sql::PACKAGE_DOCUMENTS, sql::COUNT, sql::PACKAGE_DOWNLOADS_JOIN
                );
                let row = sqlx::query(&$sql(&sql))
                    .bind(package_id)
                    .bind(version)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|r| package_from_row(&r)).transpose()?)
            }

            async fn get_receipt(
                &self,
                package_id: &str,
                version: &str,
            ) -> Result<Option<Receipt>, Error> {
                let row = sqlx::query(&$sql(
                    "SELECT package_id, package_version, publisher_id, publisher_type, receipt_id, \
                     registry_signature, receipt_issued_at FROM packages \
                     WHERE package_id = $1 AND package_version = $2",
                ))
                .bind(package_id)
                .bind(version)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|r| receipt_from_row(&r)).transpose()?)
            }

            async fn get_state(
                &self,
                package_id: &str,
                version: &str,
            ) -> Result<Option<PackageState>, Error> {
                let sql = format!(
                    "SELECT {}, {} FROM packages p {} WHERE p.package_id = $1 AND p.package_version = $2",
                    sql::COUNT,
                    sql::LIFECYCLE_COLUMNS,
                    sql::PACKAGE_DOWNLOADS_JOIN
                );
                let row = sqlx::query(&$sql(&sql))
                    .bind(package_id)
                    .bind(version)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|r| state_from_row(&r)).transpose()?)
            }

            async fn add_downloads(&self, deltas: &[DownloadDelta]) -> Result<(), Error> {
                // Bounded statements: SQLite takes at most 32,766 bound values in one.
                const ROWS_PER_STATEMENT: usize = 2000;
                let mut tx = $crate::store::shared_governance::write_tx!(self);
                for kind in [Kind::Package, Kind::Template] {
                    let rows: Vec<&DownloadDelta> = deltas.iter().filter(|d| d.kind == kind).collect();
                    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                        let sql = $sql(&sql::add_downloads_sql(kind, chunk.len()));
                        let mut query = sqlx::query(&sql);
                        for d in chunk {
                            query = query.bind(&d.id).bind(&d.version).bind(d.count);
                        }
                        query.execute(&mut *tx).await?;
                    }
                    let mut by_id: std::collections::BTreeMap<&str, i64> = Default::default();
                    for d in &rows {
                        *by_id.entry(d.id.as_str()).or_default() += d.count;
                    }
                    let by_id: Vec<(&str, i64)> = by_id.into_iter().collect();
                    for chunk in by_id.chunks(ROWS_PER_STATEMENT) {
                        let sql = $sql(&sql::add_id_downloads_sql(kind, chunk.len()));
                        let mut query = sqlx::query(&sql);
                        for (id, count) in chunk {
                            query = query.bind(*id).bind(*count);
                        }
                        query.execute(&mut *tx).await?;
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            async fn list_publications_page(
                &self,
                after: Option<i64>,
                limit: u32,
                filter: &$crate::store::search::ListFilter,
            ) -> Result<Vec<(i64, PublicationSummary)>, Error> {
                self.publications_page(after, limit, filter).await
            }

            async fn stream_publications(
                &self,
                timeout: std::time::Duration,
            ) -> RowStream<PublicationSummary> {
                self.publication_stream(timeout)
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
                self.t_insert(template, None).await
            }

            async fn get_template(
                &self,
                template_id: &str,
                version: &str,
            ) -> Result<Option<StoredTemplate>, Error> {
                self.t_get(template_id, version, true).await
            }

            async fn get_template_row(
                &self,
                template_id: &str,
                version: &str,
            ) -> Result<Option<StoredTemplate>, Error> {
                self.t_get(template_id, version, false).await
            }

            async fn get_template_count(
                &self,
                template_id: &str,
                version: &str,
            ) -> Result<Option<i64>, Error> {
                self.t_count(template_id, version).await
            }

            async fn list_templates_page(
                &self,
                after: Option<i64>,
                limit: u32,
                filter: &$crate::store::search::ListFilter,
            ) -> Result<Vec<(i64, StoredTemplate)>, Error> {
                self.t_page(after, limit, filter).await
            }

            async fn stream_templates(
                &self,
                timeout: std::time::Duration,
            ) -> RowStream<StoredTemplate> {
                self.t_stream(timeout)
            }

            async fn list_ids(
                &self,
                kind: Kind,
                terms: &$crate::store::search::Terms,
                offset: u32,
                limit: u32,
            ) -> Result<IdPage, Error> {
                self.ui_list_ids(kind, terms, offset, limit).await
            }

            async fn package_versions(
                &self,
                ids: &[String],
                per_id: u32,
            ) -> Result<Vec<VersionRow>, Error> {
                self.ui_package_versions(ids, per_id).await
            }

            async fn template_versions(
                &self,
                ids: &[String],
                per_id: u32,
            ) -> Result<Vec<StoredTemplate>, Error> {
                self.ui_template_versions(ids, per_id).await
            }

            async fn set_card(
                &self,
                kind: Kind,
                id: &str,
                version: &str,
                card: &Card,
            ) -> Result<(), Error> {
                self.ui_set_card(kind, id, version, card).await
            }

            async fn set_verification(
                &self,
                kind: Kind,
                id: &str,
                version: &str,
                verdict: &str,
            ) -> Result<(), Error> {
                self.ui_set_verification(kind, id, version, verdict).await
            }

            async fn versions_page(
                &self,
                kind: Kind,
                id: &str,
                below: Option<&str>,
                limit: u32,
            ) -> Result<Option<$crate::store::VersionPage>, Error> {
                self.v_page(kind, id, below, limit).await
            }

            async fn without_card(
                &self,
                kind: Kind,
                limit: u32,
            ) -> Result<Vec<(String, String)>, Error> {
                self.ui_without_card(kind, limit).await
            }

            $($specific)*
        }
    };
}

pub(super) use impl_store;

/// A [`super::RowStream`] of `$sql_text`'s rows decoded by `$from_row`, read by a spawned task inside a transaction
/// readied by `$prepare_listing` (the listing timeout), `$capacity` rows buffered. The query stops when the receiver
/// is dropped (the client went away) or a row fails to decode (the error is the stream's last item).
macro_rules! spawn_row_stream {
    ($pool:expr, $prepare_listing:path, $timeout:expr, $sql_text:expr, $capacity:expr, $from_row:path) => {{
        let sql: String = $sql_text;
        let timeout: std::time::Duration = $timeout;
        let (sender, receiver) = tokio::sync::mpsc::channel($capacity);
        let pool = $pool.clone();
        tokio::spawn(async move {
            use futures_util::StreamExt as _;
            let mut tx = match pool.begin().await {
                Ok(tx) => tx,
                Err(e) => {
                    let _ = sender.send(Err(e.into())).await;
                    return;
                }
            };
            if let Err(e) = $prepare_listing(&mut tx, timeout).await {
                let _ = sender.send(Err(e)).await;
                return;
            }
            let mut rows = sqlx::query(&sql).fetch(&mut *tx);
            while let Some(row) = rows.next().await {
                let item = row.and_then(|r| $from_row(&r)).map_err(Error::from);
                let failed = item.is_err();
                // A closed receiver means the client went away: dropping the row stream stops the query.
                if sender.send(item).await.is_err() || failed {
                    return;
                }
            }
        });
        receiver
    }};
}
pub(super) use spawn_row_stream;
