//! The [`super::LogStore`] body both backends expand, and the pending-entry step a storing transaction runs.
//!
//! Coordination: the integrator's first statement updates the one `log_state` row, which takes the row lock on
//! Postgres (other replicas' integrators wait for the commit) and the database write lock on SQLite.

/// Inserts a pending log entry in transaction `$tx` (the entry is sequenced after the commit).
macro_rules! pending_step {
    ($sql:path, $tx:expr, $entry:expr, $kind:expr, $artifact:expr, $id:expr, $version:expr) => {
        sqlx::query(&$sql(
            "INSERT INTO log_pending (entry, entry_kind, artifact, artifact_id, artifact_version) \
             VALUES ($1, $2, $3, $4, $5)",
        ))
        .bind($entry)
        .bind($kind)
        .bind($artifact)
        .bind($id)
        .bind($version)
        .execute(&mut *$tx)
        .await?;
    };
}

/// Implements `LogStore` for `$store`.
macro_rules! log_ops {
    ($store:ty, $sql:path) => {
        impl $store {
            /// The entry of a version stored before the log existed, built from its stored receipt.
            async fn log_backfill_entry(
                &self,
                artifact: &str,
                id: &str,
                version: &str,
            ) -> Result<Vec<u8>, Error> {
                let missing = || Error::Internal(format!("log backfill: {artifact} {id}@{version} is not stored"));
                match artifact {
                    "package" => {
                        let p = self.get_package(id, version).await?.ok_or_else(missing)?;
                        $crate::log::entry::package(&p)
                    }
                    _ => {
                        let t = self.t_get(id, version, false).await?.ok_or_else(missing)?;
                        $crate::log::entry::template(&t)
                    }
                }
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::LogStore for $store {
            async fn log_integrate(
                &self,
                batch_max: u32,
                sign: $crate::store::CheckpointSigner<'_>,
            ) -> Result<$crate::store::Integrated, Error> {
                use $crate::log::tree;
                use $crate::store::log_sql as ls;
                let mut tx = $crate::store::shared_governance::write_tx!(self);
                let size: i64 = sqlx::query_scalar(
                    "UPDATE log_state SET tree_size = tree_size WHERE id = 1 RETURNING tree_size",
                )
                .fetch_one(&mut *tx)
                .await?;
                let old_size = ls::unsigned(size)?;
                let rows = sqlx::query(&$sql(
                    "SELECT pending_id, entry, entry_kind, artifact, artifact_id, artifact_version \
                     FROM log_pending ORDER BY pending_id LIMIT $1",
                ))
                .bind(i64::from(batch_max))
                .fetch_all(&mut *tx)
                .await?;
                let latest: Option<i64> = sqlx::query_scalar("SELECT MAX(tree_size) FROM log_checkpoints")
                    .fetch_one(&mut *tx)
                    .await?;
                if rows.is_empty() && latest == Some(size) {
                    tx.rollback().await?;
                    return Ok($crate::store::Integrated { old_size, ..Default::default() });
                }
                let mut pending = Vec::with_capacity(rows.len());
                for r in &rows {
                    let mut p = ls::pending_from_row(r)?;
                    if p.entry.is_empty() {
                        p.entry = self.log_backfill_entry(&p.artifact, &p.id, &p.version).await?;
                    }
                    pending.push(p);
                }
                let wanted = tree::frontier(old_size);
                let mut known = std::collections::HashMap::new();
                for chunk in wanted.chunks(ls::CHUNK) {
                    let sql = $sql(&ls::select_hashes_sql(chunk.len()));
                    let mut q = sqlx::query(&sql);
                    for i in chunk {
                        q = q.bind(ls::signed(*i)?);
                    }
                    for r in q.fetch_all(&mut *tx).await? {
                        let (i, h) = ls::hash_from_row(&r)?;
                        known.insert(i, tlog_tiles::Hash(h));
                    }
                }
                if known.len() != wanted.len() {
                    return Err(Error::Internal(format!(
                        "log: {} of the {} frontier hashes of size {old_size} are stored",
                        known.len(),
                        wanted.len()
                    )));
                }
                let leaves: Vec<Vec<u8>> = pending.iter().map(|p| p.entry.clone()).collect();
                let (stored, root) = tree::append(old_size, &tree::Hashes::new(known), &leaves)
                    .map_err(|e| Error::Internal(format!("log append: {e}")))?;
                for (k, chunk) in pending.chunks(ls::CHUNK / 8).enumerate() {
                    let first = old_size + (k * (ls::CHUNK / 8)) as u64;
                    let sql = $sql(&ls::insert_entries_sql(chunk.len()));
                    let mut q = sqlx::query(&sql);
                    for (j, p) in chunk.iter().enumerate() {
                        q = q
                            .bind(ls::signed(first + j as u64)?)
                            .bind(p.pending_id)
                            .bind(&p.kind)
                            .bind(&p.artifact)
                            .bind(&p.id)
                            .bind(&p.version)
                            .bind(&p.entry);
                    }
                    q.execute(&mut *tx).await?;
                    let sql = $sql(&ls::delete_pending_sql(chunk.len()));
                    let mut q = sqlx::query(&sql);
                    for p in chunk {
                        q = q.bind(p.pending_id);
                    }
                    q.execute(&mut *tx).await?;
                }
                for chunk in stored.chunks(ls::CHUNK / 2) {
                    let sql = $sql(&ls::insert_hashes_sql(chunk.len()));
                    let mut q = sqlx::query(&sql);
                    for (i, h) in chunk {
                        q = q.bind(ls::signed(*i)?).bind(h.0.to_vec());
                    }
                    q.execute(&mut *tx).await?;
                }
                let new_size = old_size + pending.len() as u64;
                let note = sign(new_size, &root.0)?;
                sqlx::query(&$sql(
                    "INSERT INTO log_checkpoints (tree_size, root_hash, note, cosigned, created_at) \
                     VALUES ($1, $2, $3, NULL, $4) ON CONFLICT (tree_size) DO NOTHING",
                ))
                .bind(ls::signed(new_size)?)
                .bind(root.0.to_vec())
                .bind(&note)
                .bind($crate::time::now_rfc3339())
                .execute(&mut *tx)
                .await?;
                sqlx::query(&$sql("UPDATE log_state SET tree_size = $1 WHERE id = 1"))
                    .bind(ls::signed(new_size)?)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok($crate::store::Integrated {
                    moved: pending.len() as u64,
                    more: rows.len() as u64 == u64::from(batch_max),
                    checkpoint: Some($crate::store::StoredCheckpoint {
                        tree_size: new_size,
                        root_hash: root.0,
                        note,
                        cosigned: None,
                    }),
                    old_size,
                })
            }

            async fn log_latest_checkpoint(
                &self,
            ) -> Result<Option<$crate::store::StoredCheckpoint>, Error> {
                let row = sqlx::query(
                    "SELECT tree_size, root_hash, note, cosigned FROM log_checkpoints \
                     ORDER BY tree_size DESC LIMIT 1",
                )
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| $crate::store::log_sql::checkpoint_from_row(&r)).transpose()
            }

            async fn log_checkpoint(
                &self,
                tree_size: u64,
            ) -> Result<Option<$crate::store::StoredCheckpoint>, Error> {
                let row = sqlx::query(&$sql(
                    "SELECT tree_size, root_hash, note, cosigned FROM log_checkpoints WHERE tree_size = $1",
                ))
                .bind($crate::store::log_sql::signed(tree_size)?)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| $crate::store::log_sql::checkpoint_from_row(&r)).transpose()
            }

            async fn log_set_cosigned(&self, tree_size: u64, cosigned: &str) -> Result<(), Error> {
                sqlx::query(&$sql("UPDATE log_checkpoints SET cosigned = $1 WHERE tree_size = $2"))
                    .bind(cosigned)
                    .bind($crate::store::log_sql::signed(tree_size)?)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<(u64, [u8; 32])>, Error> {
                use $crate::store::log_sql as ls;
                let mut out = Vec::with_capacity(indexes.len());
                for chunk in indexes.chunks(ls::CHUNK) {
                    let sql = $sql(&ls::select_hashes_sql(chunk.len()));
                    let mut q = sqlx::query(&sql);
                    for i in chunk {
                        q = q.bind(ls::signed(*i)?);
                    }
                    for r in q.fetch_all(&self.pool).await? {
                        out.push(ls::hash_from_row(&r)?);
                    }
                }
                Ok(out)
            }

            async fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, Error> {
                use $crate::store::log_sql as ls;
                Ok(sqlx::query_scalar(&$sql(
                    "SELECT entry FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                ))
                .bind(ls::signed(start)?)
                .bind(ls::signed(end)?)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn log_packages(
                &self,
                start: u64,
                end: u64,
            ) -> Result<Vec<(u64, StoredPackage, PackageState)>, Error> {
                use sqlx::Row as _;
                use $crate::store::{log_sql as ls, rows, sql};
                let query = format!(
                    "SELECT le.idx, {}, {}, {} FROM log_entries le \
                     JOIN packages p ON p.package_id = le.artifact_id AND p.package_version = le.artifact_version \
                     JOIN package_documents doc \
                     ON doc.package_id = p.package_id AND doc.package_version = p.package_version {} \
                     WHERE le.idx >= $1 AND le.idx < $2 AND le.artifact = 'package' AND le.entry_kind = 'version' \
                     ORDER BY le.idx",
                    sql::PACKAGE_ROW, sql::PACKAGE_DOCUMENTS, sql::COUNT, sql::PACKAGE_DOWNLOADS_JOIN
                );
                let rows = sqlx::query(&$sql(&query))
                    .bind(ls::signed(start)?)
                    .bind(ls::signed(end)?)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| -> Result<_, Error> {
                        Ok((
                            ls::unsigned(r.try_get("idx")?)?,
                            rows::package_from_row(r)?,
                            rows::state_from_row(r)?,
                        ))
                    })
                    .collect()
            }

            async fn log_version_entry(
                &self,
                artifact: &str,
                id: &str,
                version: &str,
            ) -> Result<Option<$crate::store::LogEntry>, Error> {
                use sqlx::Row as _;
                let row = sqlx::query(&$sql(
                    "SELECT idx, entry FROM log_entries WHERE artifact = $1 AND artifact_id = $2 \
                     AND artifact_version = $3 AND entry_kind = 'version' ORDER BY idx LIMIT 1",
                ))
                .bind(artifact)
                .bind(id)
                .bind(version)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| -> Result<_, Error> {
                    Ok($crate::store::LogEntry {
                        index: $crate::store::log_sql::unsigned(r.try_get("idx")?)?,
                        entry: r.try_get("entry")?,
                    })
                })
                .transpose()
            }

            async fn log_id(&self) -> Result<Option<String>, Error> {
                Ok(sqlx::query_scalar("SELECT log_id FROM log_state WHERE id = 1")
                    .fetch_optional(&self.pool)
                    .await?
                    .flatten())
            }

            async fn log_pending_count(&self) -> Result<i64, Error> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM log_pending")
                    .fetch_one(&self.pool)
                    .await?)
            }
        }
    };
}

pub(super) use log_ops;
pub(super) use pending_step;
