//! The [`super::ReplicaStore`] body both backends expand (see `store::replica`).

/// Implements `ReplicaStore` for `$store`; `$package_seq` / `$template_seq` are the next publication numbers' SQL.
macro_rules! replica_ops {
    ($store:ty, $sql:path, $package_seq:expr, $template_seq:expr) => {
        #[async_trait::async_trait]
        impl $crate::store::ReplicaStore for $store {
            async fn replica_apply(&self, batch: &$crate::store::ReplicaBatch) -> Result<(), Error> {
                use $crate::store::log_sql as ls;
                let mut tx = $crate::store::shared_governance::write_tx!(self);
                // The coordination row, as the integrator takes it: one writer of the log at a time.
                let size: i64 = sqlx::query_scalar(
                    "UPDATE log_state SET tree_size = tree_size WHERE id = 1 RETURNING tree_size",
                )
                .fetch_one(&mut *tx)
                .await?;
                let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_pending")
                    .fetch_one(&mut *tx)
                    .await?;
                if ls::unsigned(size)? != batch.old_size || pending != 0 {
                    return Err(Error::Internal(format!(
                        "replica: the store's log is at size {size} with {pending} pending entries, the batch \
                         extends size {}",
                        batch.old_size
                    )));
                }
                for p in &batch.packages {
                    let sql = $sql(&sql::insert_package_sql($package_seq));
                    let mut query = sqlx::query(&sql);
                    for value in sql::insert_package_values(p) {
                        query = query.bind(value);
                    }
                    query
                        .bind(sql::precedence_key(&p.package_version))
                        .execute(&mut *tx)
                        .await?;
                    let docs = $sql(sql::INSERT_PACKAGE_DOCUMENTS);
                    let mut query = sqlx::query(&docs);
                    for value in sql::package_document_values(p) {
                        query = query.bind(value);
                    }
                    query.execute(&mut *tx).await?;
                    sqlx::query(&$sql(&sql::upsert_id_sql(Kind::Package)))
                        .bind(&p.package_id)
                        .bind(&p.published_at)
                        .execute(&mut *tx)
                        .await?;
                }
                for t in &batch.templates {
                    let sql = $sql(&sql::insert_template_sql($template_seq));
                    let mut query = sqlx::query(&sql);
                    for value in sql::insert_template_values(t) {
                        query = query.bind(value);
                    }
                    query
                        .bind(sql::precedence_key(&t.template_version))
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(&$sql(sql::INSERT_TEMPLATE_DOCUMENTS))
                        .bind(&t.template_id)
                        .bind(&t.template_version)
                        .bind(t.template_json.as_str())
                        .bind(t.package_json.as_str())
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(&$sql(&sql::upsert_id_sql(Kind::Template)))
                        .bind(&t.template_id)
                        .bind(&t.published_at)
                        .execute(&mut *tx)
                        .await?;
                }
                for (id, version, l) in &batch.lifecycles {
                    let replacement_id = l.replacement.as_ref().map(|r| r.package_id.as_str());
                    let replacement_version = l.replacement.as_ref().map(|r| r.package_version.as_str());
                    sqlx::query(&$sql(&sql::update_lifecycle_sql()))
                        .bind(id)
                        .bind(version)
                        .bind(l.status.as_str())
                        .bind(&l.reason)
                        .bind(replacement_id)
                        .bind(replacement_version)
                        .bind(&l.updated_at)
                        .bind(&l.updated_by)
                        .fetch_optional(&mut *tx)
                        .await?;
                }
                for o in &batch.owners {
                    let kind = $crate::auth::scopes::kind_name(o.kind);
                    let now = $crate::time::now_rfc3339();
                    match &o.summary {
                        Some(p) => {
                            sqlx::query(&$sql(
                                "INSERT INTO publishers (publisher_id, publisher_type, display_name, website_url, \
                                 status, trust_level, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                                 ON CONFLICT (publisher_id) DO UPDATE SET publisher_type = EXCLUDED.publisher_type, \
                                 display_name = EXCLUDED.display_name, website_url = EXCLUDED.website_url, \
                                 status = EXCLUDED.status, trust_level = EXCLUDED.trust_level, \
                                 updated_at = EXCLUDED.updated_at",
                            ))
                            .bind(&p.publisher_id)
                            .bind(&p.publisher_type)
                            .bind(&p.display_name)
                            .bind(&p.website_url)
                            .bind(&p.status)
                            .bind(&p.trust_level)
                            .bind(&now)
                            .execute(&mut *tx)
                            .await?;
                            sqlx::query(&$sql(
                                "INSERT INTO artifact_ownership (artifact_kind, artifact_id, folded_id, publisher_id, \
                                 status, created_at, updated_at) VALUES ($1, $2, $3, $4, 'active', $5, $5) \
                                 ON CONFLICT (artifact_kind, artifact_id) DO UPDATE SET \
                                 publisher_id = EXCLUDED.publisher_id, status = 'active', updated_at = EXCLUDED.updated_at",
                            ))
                            .bind(kind)
                            .bind(&o.id)
                            .bind($crate::auth::scopes::fold(&o.id))
                            .bind(&p.publisher_id)
                            .bind(&now)
                            .execute(&mut *tx)
                            .await?;
                        }
                        None => {
                            sqlx::query(&$sql(
                                "UPDATE artifact_ownership SET status = 'suspended', updated_at = $3 \
                                 WHERE artifact_kind = $1 AND artifact_id = $2",
                            ))
                            .bind(kind)
                            .bind(&o.id)
                            .bind(&now)
                            .execute(&mut *tx)
                            .await?;
                        }
                    }
                }
                // What the ids' cards show and search may change with new versions and lifecycles.
                let mut ids = std::collections::BTreeSet::new();
                ids.extend(batch.packages.iter().map(|p| (Kind::Package, p.package_id.as_str())));
                ids.extend(batch.lifecycles.iter().map(|(id, _, _)| (Kind::Package, id.as_str())));
                ids.extend(batch.templates.iter().map(|t| (Kind::Template, t.template_id.as_str())));
                for (kind, id) in ids {
                    sqlx::query(&$sql(&$crate::store::search::refresh_search_sql(kind)))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                for chunk in batch.entries.chunks(ls::CHUNK / 8) {
                    let sql = $sql(&ls::insert_entries_sql(chunk.len()));
                    let mut q = sqlx::query(&sql);
                    for e in chunk {
                        // Negative pending ids: never one of this store's own (positive) pending ids.
                        let index = ls::signed(e.index)?;
                        q = q
                            .bind(index)
                            .bind(-index - 1)
                            .bind(e.kind)
                            .bind(&e.artifact)
                            .bind(&e.id)
                            .bind(&e.version)
                            .bind(&e.entry);
                    }
                    q.execute(&mut *tx).await?;
                }
                for chunk in batch.hashes.chunks(ls::CHUNK / 2) {
                    let sql = $sql(&ls::insert_hashes_sql(chunk.len()));
                    let mut q = sqlx::query(&sql);
                    for (i, h) in chunk {
                        q = q.bind(ls::signed(*i)?).bind(h.to_vec());
                    }
                    q.execute(&mut *tx).await?;
                }
                let cp = &batch.checkpoint;
                let now = $crate::time::now_rfc3339();
                sqlx::query(&$sql(
                    "INSERT INTO log_checkpoints (tree_size, root_hash, note, cosigned, created_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tree_size) DO UPDATE SET note = EXCLUDED.note, \
                     cosigned = EXCLUDED.cosigned",
                ))
                .bind(ls::signed(cp.tree_size)?)
                .bind(cp.root_hash.to_vec())
                .bind(&cp.note)
                .bind(cp.cosigned.as_deref())
                .bind(&now)
                .execute(&mut *tx)
                .await?;
                sqlx::query(&$sql("UPDATE log_state SET tree_size = $1 WHERE id = 1"))
                    .bind(ls::signed(cp.tree_size)?)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(&$sql(
                    "INSERT INTO mirror_state (id, origin_url, keys_json, synced_at) VALUES (1, $1, $2, $3) \
                     ON CONFLICT (id) DO UPDATE SET origin_url = EXCLUDED.origin_url, \
                     keys_json = EXCLUDED.keys_json, synced_at = EXCLUDED.synced_at",
                ))
                .bind(&batch.origin_url)
                .bind(&batch.keys_json)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn replica_state(&self) -> Result<Option<$crate::store::MirrorState>, Error> {
                use sqlx::Row as _;
                let row = sqlx::query("SELECT origin_url, keys_json, synced_at FROM mirror_state WHERE id = 1")
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| -> Result<_, Error> {
                    Ok($crate::store::MirrorState {
                        origin_url: r.try_get("origin_url")?,
                        keys_json: r.try_get("keys_json")?,
                        synced_at: r.try_get("synced_at")?,
                    })
                })
                .transpose()
            }

            async fn replica_refusal(&self) -> Result<Option<$crate::replica::status::Refusal>, Error> {
                use sqlx::Row as _;
                let row = sqlx::query("SELECT code, evidence, refused_at FROM mirror_refusal WHERE id = 1")
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| -> Result<_, Error> {
                    Ok($crate::replica::status::Refusal {
                        code: r.try_get("code")?,
                        evidence: r.try_get("evidence")?,
                        refused_at: r.try_get("refused_at")?,
                    })
                })
                .transpose()
            }

            async fn replica_set_refusal(
                &self,
                refusal: Option<&$crate::replica::status::Refusal>,
            ) -> Result<(), Error> {
                match refusal {
                    None => {
                        sqlx::query("DELETE FROM mirror_refusal WHERE id = 1")
                            .execute(&self.pool)
                            .await?;
                    }
                    Some(r) => {
                        sqlx::query(&$sql(
                            "INSERT INTO mirror_refusal (id, code, evidence, refused_at) VALUES (1, $1, $2, $3) \
                             ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, evidence = EXCLUDED.evidence, \
                             refused_at = EXCLUDED.refused_at",
                        ))
                        .bind(&r.code)
                        .bind(&r.evidence)
                        .bind(&r.refused_at)
                        .execute(&self.pool)
                        .await?;
                    }
                }
                Ok(())
            }

            async fn replica_logged_owner(&self, artifact: &str, id: &str) -> Result<Option<Vec<u8>>, Error> {
                Ok(sqlx::query_scalar(&$sql(
                    "SELECT entry FROM log_entries WHERE artifact = $1 AND artifact_id = $2 \
                     AND artifact_version = '' AND entry_kind = 'ownership' ORDER BY idx DESC LIMIT 1",
                ))
                .bind(artifact)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?)
            }
        }
    };
}

pub(super) use replica_ops;
