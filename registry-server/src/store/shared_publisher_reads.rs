//! Inherent helpers of the publisher store (see `shared_publisher_ops`): writing a token inside a transaction,
//! the audit page and the owner summary.

/// Inherent methods for `$store`, expanded by `publisher_ops`.
macro_rules! publisher_reads {
    ($store:ty, $sql:path) => {
        impl $store {
            async fn write_token<'c>(
                &self,
                tx: &mut sqlx::Transaction<'c, <$store as $crate::store::shared_publisher_ops::Backend>::Db>,
                token: &$crate::store::TokenRow,
            ) -> Result<(), Error> {
                sqlx::query(&$sql(&format!(
                    "INSERT INTO publish_tokens ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    $crate::store::shared_publishers::TOKEN_COLUMNS
                )))
                .bind(&token.token_id)
                .bind(&token.publisher_id)
                .bind(&token.token_hash)
                .bind(&token.label)
                .bind(serde_json::to_string(&token.scopes).unwrap_or_default())
                .bind(token.expires_at.as_deref())
                .bind(token.last_used_at.as_deref())
                .bind(token.revoked_at.as_deref())
                .bind(&token.created_at)
                .bind(&token.updated_at)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            async fn pr_audit_page(
                &self,
                publisher_id: Option<&str>,
                after: i64,
                limit: u32,
            ) -> Result<Vec<$crate::store::AuditRow>, Error> {
                let rows = sqlx::query(&$sql(
                    "SELECT seq, event_id, actor, actor_publisher_id, token_id, event_type, target_type, target_id, \
                     metadata, ip_hash, created_at FROM audit_events WHERE seq > $1 \
                     AND ($2 = '' OR subject_publisher_id = $2) \
                     ORDER BY seq LIMIT $3",
                ))
                .bind(after)
                .bind(publisher_id.unwrap_or(""))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::store::AuditRow {
                            seq: r.try_get("seq")?,
                            event_id: r.try_get("event_id")?,
                            actor: r.try_get("actor")?,
                            actor_publisher_id: r.try_get("actor_publisher_id")?,
                            token_id: r.try_get("token_id")?,
                            event_type: r.try_get("event_type")?,
                            target_type: r.try_get("target_type")?,
                            target_id: r.try_get("target_id")?,
                            metadata: r.try_get("metadata")?,
                            ip_hash: r.try_get("ip_hash")?,
                            created_at: r.try_get("created_at")?,
                        })
                    })
                    .collect::<Result<_, sqlx::Error>>()
                    .map_err(Error::from)
            }

            async fn pr_summary(
                &self,
                kind: Kind,
                id: &str,
            ) -> Result<Option<$crate::auth::summary::PublisherSummary>, Error> {
                let row = sqlx::query(&$sql(
                    "SELECT p.publisher_id, p.publisher_type, p.display_name, p.website_url, p.status, p.trust_level \
                     FROM artifact_ownership o JOIN publishers p ON p.publisher_id = o.publisher_id \
                     WHERE o.artifact_kind = $1 AND o.folded_id = $2 AND o.status = 'active'",
                ))
                .bind($crate::auth::scopes::kind_name(kind))
                .bind($crate::auth::scopes::fold(id))
                .fetch_optional(&self.pool)
                .await?;
                let Some(r) = row else {
                    return Ok(None);
                };
                Ok(Some($crate::auth::summary::PublisherSummary {
                    publisher_id: r.try_get("publisher_id")?,
                    publisher_type: r.try_get("publisher_type")?,
                    display_name: r.try_get("display_name")?,
                    website_url: r.try_get("website_url")?,
                    status: r.try_get("status")?,
                    trust_level: r.try_get("trust_level")?,
                }))
            }
        }
    };
}

pub(super) use publisher_reads;
