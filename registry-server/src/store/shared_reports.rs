//! The [`super::governance::ReportStore`] body both backends expand: abuse reports, takedowns and the official
//! publisher bootstrap.

/// Implements `ReportStore` for `$store`.
macro_rules! report_ops {
    ($store:ty, $sql:path) => {
        #[async_trait::async_trait]
        impl $crate::store::governance::ReportStore for $store {
            async fn create_report(
                &self,
                report: &$crate::store::governance::AbuseReportRow,
                audit: &$crate::store::AuditEvent,
            ) -> Result<(), Error> {
                let mut tx = $crate::store::shared_governance::write_tx!(self);
                sqlx::query(&$sql(&format!(
                    "INSERT INTO abuse_reports ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    $crate::store::shared_governance::REPORT_COLUMNS
                )))
                .bind(&report.report_id)
                .bind(&report.target_kind)
                .bind(&report.target_id)
                .bind(&report.category)
                .bind(&report.reason)
                .bind(&report.reporter_contact)
                .bind(&report.status)
                .bind(&report.resolution)
                .bind(&report.created_at)
                .bind(&report.updated_at)
                .execute(&mut *tx)
                .await?;
                $crate::store::shared_publishers::insert_audit!($sql, &mut *tx, audit);
                tx.commit().await?;
                Ok(())
            }

            async fn list_reports(
                &self,
                filter: &$crate::store::governance::ListFilter,
            ) -> Result<$crate::store::AdminPage<$crate::store::governance::AbuseReportRow>, Error> {
                $crate::store::shared_governance::admin_page!(
                    $sql, &self.pool, "abuse_reports", "target_id || ' ' || category",
                    "updated_at DESC, report_id", $crate::store::shared_governance::REPORT_COLUMNS,
                    $crate::store::shared_governance::report_from_row,
                    &filter.search, &filter.status, filter.limit, filter.offset
                )
            }

            async fn set_report_status(
                &self,
                report_id: &str,
                status: &str,
                resolution: &str,
                audit: &$crate::store::AuditEvent,
            ) -> Result<Option<$crate::store::governance::AbuseReportRow>, Error> {
                let mut tx = $crate::store::shared_governance::write_tx!(self);
                let row = sqlx::query(&$sql(&format!(
                    "UPDATE abuse_reports SET status = $2, resolution = $3, updated_at = $4 WHERE report_id = $1 \
                     RETURNING {}",
                    $crate::store::shared_governance::REPORT_COLUMNS
                )))
                .bind(report_id)
                .bind(status)
                .bind(resolution)
                .bind(&audit.created_at)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let report = $crate::store::shared_governance::report_from_row(&row)?;
                $crate::store::shared_publishers::insert_audit!($sql, &mut *tx, audit);
                tx.commit().await?;
                Ok(Some(report))
            }

            async fn takedown(
                &self,
                report_id: &str,
                audit: &$crate::store::AuditEvent,
            ) -> Result<Option<$crate::store::governance::AbuseReportRow>, Error> {
                use $crate::store::shared_governance as g;
                let mut tx = $crate::store::shared_governance::write_tx!(self);
                let row = sqlx::query(&$sql(&format!(
                    "SELECT {} FROM abuse_reports WHERE report_id = $1",
                    g::REPORT_COLUMNS
                )))
                .bind(report_id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let report = g::report_from_row(&row)?;
                let at = &audit.created_at;
                let owner: Option<String> = match report.target_kind.as_str() {
                    "publisher" => sqlx::query_scalar(&$sql(
                        "UPDATE publishers SET status = 'suspended', updated_at = $2 WHERE publisher_id = $1 \
                         RETURNING publisher_id",
                    ))
                    .bind(&report.target_id)
                    .bind(at)
                    .fetch_optional(&mut *tx)
                    .await?,
                    "namespace" => sqlx::query_scalar(&$sql(
                        "UPDATE namespaces SET status = 'suspended', updated_at = $2 WHERE namespace = $1 \
                         RETURNING publisher_id",
                    ))
                    .bind(&report.target_id)
                    .bind(at)
                    .fetch_optional(&mut *tx)
                    .await?,
                    kind => sqlx::query_scalar(&$sql(
                        "UPDATE artifact_ownership SET status = 'suspended', updated_at = $3 \
                         WHERE artifact_kind = $1 AND artifact_id = $2 RETURNING publisher_id",
                    ))
                    .bind(kind)
                    .bind(&report.target_id)
                    .bind(at)
                    .fetch_optional(&mut *tx)
                    .await?,
                };
                let Some(owner) = owner else {
                    return Err(g::refused(
                        400,
                        "target_not_suspendable",
                        "abuse report target cannot be suspended (it does not exist or has no owner)".into(),
                        "target_id",
                        &report.target_id,
                    ));
                };
                let updated = sqlx::query(&$sql(&format!(
                    "UPDATE abuse_reports SET status = 'reviewing', updated_at = $2 WHERE report_id = $1 RETURNING {}",
                    g::REPORT_COLUMNS
                )))
                .bind(report_id)
                .bind(at)
                .fetch_one(&mut *tx)
                .await?;
                let mut audit = audit.clone();
                audit.subject_publisher_id = Some(owner);
                $crate::store::shared_publishers::insert_audit!($sql, &mut *tx, &audit);
                tx.commit().await?;
                Ok(Some(g::report_from_row(&updated)?))
            }

            async fn bootstrap(
                &self,
                publisher: &$crate::store::PublisherRow,
                namespace: &str,
                legacy_ids: &[String],
                audit: &$crate::store::AuditEvent,
            ) -> Result<u64, Error> {
                let p = publisher;
                let mut tx = $crate::store::shared_governance::write_tx!(self);
                let created = $crate::store::shared_publishers::insert_publisher!($sql, &mut *tx, p);
                sqlx::query(&$sql(&format!(
                    "INSERT INTO namespaces ({}) SELECT $1, $2, '[\"package\",\"template\"]', 'active', $3, $3 \
                     WHERE NOT EXISTS (SELECT 1 FROM namespaces WHERE namespace = $1)",
                    $crate::store::shared_publishers::NAMESPACE_COLUMNS
                )))
                .bind(namespace)
                .bind(&p.publisher_id)
                .bind(&p.created_at)
                .execute(&mut *tx)
                .await?;
                let mut assigned = 0;
                for (kind, table, column) in [("package", "packages", "package_id"), ("template", "templates", "template_id")] {
                    let ids: Vec<String> = sqlx::query_scalar(&$sql(&format!(
                        "SELECT DISTINCT v.{column} FROM {table} v WHERE NOT EXISTS (SELECT 1 FROM artifact_ownership o \
                         WHERE o.artifact_kind = $1 AND o.artifact_id = v.{column}) ORDER BY v.{column}"
                    )))
                    .bind(kind)
                    .fetch_all(&mut *tx)
                    .await?;
                    for id in ids {
                        // Only ids every version of which was published under a legacy id.
                        let others: Option<String> = sqlx::query_scalar(&$sql(&format!(
                            "SELECT publisher_id FROM {table} WHERE {column} = $1"
                        )))
                        .bind(&id)
                        .fetch_all(&mut *tx)
                        .await?
                        .into_iter()
                        .find(|p: &String| !legacy_ids.contains(p));
                        if others.is_some() {
                            continue;
                        }
                        let ns = $crate::auth::scopes::covers(namespace, &id).then_some(namespace);
                        let inserted = sqlx::query(&$sql(
                            "INSERT INTO artifact_ownership (artifact_kind, artifact_id, folded_id, publisher_id, \
                             namespace, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'active', $6, $6) \
                             ON CONFLICT DO NOTHING",
                        ))
                        .bind(kind)
                        .bind(&id)
                        .bind($crate::auth::scopes::fold(&id))
                        .bind(&p.publisher_id)
                        .bind(ns)
                        .bind(&audit.created_at)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        if inserted == 1 {
                            let entry = $crate::log::entry::ownership(
                                kind, &id, &p.publisher_id, "claim", &audit.created_at,
                            )?;
                            $crate::store::shared_log::pending_step!($sql, tx, entry, "ownership", kind, &id, "");
                        }
                        assigned += inserted;
                    }
                }
                if created + assigned > 0 {
                    let mut audit = audit.clone();
                    audit.metadata = serde_json::json!({"assigned": assigned, "namespace": namespace}).to_string();
                    $crate::store::shared_publishers::insert_audit!($sql, &mut *tx, &audit);
                }
                tx.commit().await?;
                Ok(assigned)
            }
        }
    };
}

pub(super) use report_ops;
