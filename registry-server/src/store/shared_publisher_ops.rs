//! The [`super::publishers::PublisherStore`] body both backends expand (see `shared_publishers` for the rows).

/// Implements `PublisherStore` for `$store`.
macro_rules! publisher_ops {
    ($store:ty, $sql:path) => {
        #[async_trait::async_trait]
        impl $crate::store::publishers::PublisherStore for $store {
            async fn create_publisher(
                &self,
                new: &$crate::store::NewPublisher,
            ) -> Result<(), Error> {
                use $crate::store::shared_publishers as sp;
                let taken = |code: &'static str, message: String, key: &str, value: &str| {
                    let mut context = serde_json::Map::new();
                    context.insert(key.into(), serde_json::Value::from(value));
                    Error::Refused {
                        status: axum::http::StatusCode::CONFLICT,
                        code,
                        message,
                        context,
                    }
                };
                let p = &new.publisher;
                let mut tx = $crate::store::shared_governance::write_tx!(self);
                if self.backend() == "postgres" {
                    // Namespaces overlap by prefix, which no unique index sees: creations take turns. (SQLite
                    // serialises writers already; the publisher insert below takes its write lock first.)
                    sqlx::query("SELECT pg_advisory_xact_lock(2402402402)")
                        .execute(&mut *tx)
                        .await?;
                }
                let inserted = $crate::store::shared_publishers::insert_publisher!($sql, &mut *tx, p);
                if inserted != 1 {
                    return Err(taken(
                        "publisher_exists",
                        format!("publisher {:?} already exists", p.publisher_id),
                        "publisher_id",
                        &p.publisher_id,
                    ));
                }
                for ns in &new.namespaces {
                    // A namespace nested in, or holding, another publisher's namespace is taken too.
                    let clash: Option<String> = sqlx::query_scalar(&$sql(
                        "SELECT namespace FROM namespaces WHERE publisher_id <> $2 AND (namespace = $1 \
                         OR substr($1, 1, length(namespace) + 1) = namespace || '/' \
                         OR substr(namespace, 1, length($1) + 1) = $1 || '/') LIMIT 1",
                    ))
                    .bind(&ns.namespace)
                    .bind(&p.publisher_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let inserted = match clash {
                        Some(_) => 0,
                        None => sqlx::query(&$sql(&format!(
                            "INSERT INTO namespaces ({}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                            sp::NAMESPACE_COLUMNS
                        )))
                        .bind(&ns.namespace)
                        .bind(&ns.publisher_id)
                        .bind(serde_json::to_string(&ns.artifact_kinds).unwrap_or_default())
                        .bind(&ns.status)
                        .bind(&ns.created_at)
                        .bind(&ns.updated_at)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected(),
                    };
                    if inserted != 1 {
                        return Err(taken(
                            "namespace_taken",
                            format!("namespace {:?} (or one overlapping it) already has an owner", ns.namespace),
                            "namespace",
                            &ns.namespace,
                        ));
                    }
                }
                self.write_token(&mut tx, &new.token).await?;
                for event in &new.audit {
                    sp::insert_audit!($sql, &mut *tx, event);
                }
                tx.commit().await?;
                Ok(())
            }

            async fn publisher(&self, publisher_id: &str) -> Result<Option<$crate::store::PublisherRow>, Error> {
                let row = sqlx::query(&$sql(&format!(
                    "SELECT {} FROM publishers WHERE publisher_id = $1",
                    $crate::store::shared_publishers::PUBLISHER_COLUMNS
                )))
                .bind(publisher_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row
                    .map(|r| $crate::store::shared_publishers::publisher_from_row(&r))
                    .transpose()?)
            }

            async fn list_publishers(
                &self,
                search: Option<&str>,
                status: Option<&str>,
                limit: u32,
                offset: u32,
            ) -> Result<$crate::store::publishers::AdminPage<$crate::store::PublisherRow>, Error> {
                $crate::store::shared_governance::admin_page!(
                    $sql, &self.pool, "publishers", "publisher_id || ' ' || display_name", "publisher_id",
                    $crate::store::shared_publishers::PUBLISHER_COLUMNS,
                    $crate::store::shared_publishers::publisher_from_row,
                    search.unwrap_or(""), status.unwrap_or(""), limit, offset
                )
            }

            async fn set_publisher_status(
                &self,
                publisher_id: &str,
                status: &str,
                trust_level: Option<&str>,
                audit: &$crate::store::AuditEvent,
            ) -> Result<Option<$crate::store::PublisherRow>, Error> {
                if !$crate::store::shared_publishers::audited_update!(
                    $sql, self, audit,
                    "UPDATE publishers SET status = $2, trust_level = COALESCE($3, trust_level), updated_at = $4 \
                     WHERE publisher_id = $1",
                    publisher_id,
                    status,
                    trust_level,
                    &audit.created_at,
                ) {
                    return Ok(None);
                }
                self.publisher(publisher_id).await
            }

            async fn update_profile(
                &self,
                publisher_id: &str,
                display_name: &str,
                description: &str,
                website_url: &str,
                audit: &$crate::store::AuditEvent,
            ) -> Result<Option<$crate::store::PublisherRow>, Error> {
                if !$crate::store::shared_publishers::audited_update!(
                    $sql, self, audit,
                    "UPDATE publishers SET display_name = $2, description = $3, website_url = $4, updated_at = $5 \
                     WHERE publisher_id = $1 AND status = 'active'",
                    publisher_id,
                    display_name,
                    description,
                    website_url,
                    &audit.created_at,
                ) {
                    return Ok(None);
                }
                self.publisher(publisher_id).await
            }

            async fn namespaces_of(&self, publisher_id: &str) -> Result<Vec<$crate::store::NamespaceRow>, Error> {
                let rows = sqlx::query(&$sql(&format!(
                    "SELECT {} FROM namespaces WHERE publisher_id = $1 ORDER BY namespace",
                    $crate::store::shared_publishers::NAMESPACE_COLUMNS
                )))
                .bind(publisher_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .iter()
                    .map(|r| $crate::store::shared_publishers::namespace_from_row(r))
                    .collect::<Result<_, _>>()?)
            }

            async fn namespaces_named(&self, names: &[&str]) -> Result<Vec<$crate::store::NamespaceRow>, Error> {
                if names.is_empty() {
                    return Ok(Vec::new());
                }
                let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
                let sql = $sql(&format!(
                    "SELECT {} FROM namespaces WHERE namespace IN ({}) ORDER BY namespace",
                    $crate::store::shared_publishers::NAMESPACE_COLUMNS,
                    placeholders.join(", ")
                ));
                let mut query = sqlx::query(&sql);
                for name in names {
                    query = query.bind(*name);
                }
                let rows = query.fetch_all(&self.pool).await?;
                Ok(rows
                    .iter()
                    .map(|r| $crate::store::shared_publishers::namespace_from_row(r))
                    .collect::<Result<_, _>>()?)
            }

            async fn ownership(&self, kind: Kind, id: &str) -> Result<Option<$crate::store::OwnershipRow>, Error> {
                let row = sqlx::query(&$sql(&format!(
                    "SELECT {} FROM artifact_ownership WHERE artifact_kind = $1 AND folded_id = $2",
                    $crate::store::shared_publishers::OWNERSHIP_COLUMNS
                )))
                .bind($crate::auth::scopes::kind_name(kind))
                .bind($crate::auth::scopes::fold(id))
                .fetch_optional(&self.pool)
                .await?;
                Ok(row
                    .map(|r| $crate::store::shared_publishers::ownership_from_row(&r))
                    .transpose()?)
            }

            async fn publisher_summary(
                &self,
                kind: Kind,
                id: &str,
            ) -> Result<Option<$crate::auth::summary::PublisherSummary>, Error> {
                self.pr_summary(kind, id).await
            }

            async fn artifacts_of(&self, publisher_id: &str) -> Result<Vec<$crate::store::OwnershipRow>, Error> {
                let rows = sqlx::query(&$sql(&format!(
                    "SELECT {} FROM artifact_ownership WHERE publisher_id = $1 ORDER BY artifact_kind, artifact_id",
                    $crate::store::shared_publishers::OWNERSHIP_COLUMNS
                )))
                .bind(publisher_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .iter()
                    .map(|r| $crate::store::shared_publishers::ownership_from_row(r))
                    .collect::<Result<_, _>>()?)
            }

            async fn token(&self, token_id: &str) -> Result<Option<$crate::store::TokenRow>, Error> {
                let row = sqlx::query(&$sql(&format!(
                    "SELECT {} FROM publish_tokens WHERE token_id = $1",
                    $crate::store::shared_publishers::TOKEN_COLUMNS
                )))
                .bind(token_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row
                    .map(|r| $crate::store::shared_publishers::token_from_row(&r))
                    .transpose()?)
            }

            async fn touch_token(&self, token_id: &str, at: &str) -> Result<(), Error> {
                sqlx::query(&$sql(
                    "UPDATE publish_tokens SET last_used_at = $2 WHERE token_id = $1 \
                     AND (last_used_at IS NULL OR last_used_at < $2)",
                ))
                .bind(token_id)
                .bind(at)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            async fn tokens_of(&self, publisher_id: &str) -> Result<Vec<$crate::store::TokenRow>, Error> {
                let rows = sqlx::query(&$sql(&format!(
                    "SELECT {} FROM publish_tokens WHERE publisher_id = $1 ORDER BY created_at DESC, token_id",
                    $crate::store::shared_publishers::TOKEN_COLUMNS
                )))
                .bind(publisher_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .iter()
                    .map(|r| $crate::store::shared_publishers::token_from_row(r))
                    .collect::<Result<_, _>>()?)
            }

            async fn insert_token(
                &self,
                token: &$crate::store::TokenRow,
                audit: &$crate::store::AuditEvent,
            ) -> Result<(), Error> {
                let mut tx = $crate::store::shared_governance::write_tx!(self);
                self.write_token(&mut tx, token).await?;
                $crate::store::shared_publishers::insert_audit!($sql, &mut *tx, audit);
                tx.commit().await?;
                Ok(())
            }

            async fn revoke_token(
                &self,
                publisher_id: &str,
                token_id: &str,
                audit: &$crate::store::AuditEvent,
            ) -> Result<Option<$crate::store::TokenRow>, Error> {
                $crate::store::shared_publishers::audited_update!(
                    $sql, self, audit,
                    "UPDATE publish_tokens SET revoked_at = $3, updated_at = $3 \
                     WHERE token_id = $1 AND publisher_id = $2 AND revoked_at IS NULL",
                    token_id,
                    publisher_id,
                    &audit.created_at,
                );
                Ok(self.token(token_id).await?.filter(|t| t.publisher_id == publisher_id))
            }

            async fn audit_page(
                &self,
                publisher_id: Option<&str>,
                after: i64,
                limit: u32,
            ) -> Result<Vec<$crate::store::AuditRow>, Error> {
                self.pr_audit_page(publisher_id, after, limit).await
            }

            async fn publish_package(
                &self,
                package: &StoredPackage,
                claim: &$crate::store::Claim,
            ) -> Result<Insert, Error> {
                self.insert_claimed(package, Some(claim)).await
            }

            async fn publish_template(
                &self,
                template: &StoredTemplate,
                claim: &$crate::store::Claim,
            ) -> Result<Insert<StoredTemplate>, Error> {
                self.t_insert(template, Some(claim)).await
            }
        }

        $crate::store::shared_publisher_reads::publisher_reads!($store, $sql);
    };
}

pub(super) use publisher_ops;

/// Names a store's sqlx database type (for helpers that take its transaction).
pub(super) trait Backend {
    /// The sqlx database.
    type Db: sqlx::Database;
}

impl Backend for super::PostgresStore {
    type Db = sqlx::Postgres;
}

impl Backend for super::SqliteStore {
    type Db = sqlx::Sqlite;
}
