//! The admin's governance of namespaces, artifacts and abuse reports (reference routes 27–36) and a publisher's
//! namespace claim: every change and its audit event in one transaction, refusals with stable codes and no
//! partial rows. Both backends expand one body (`shared_governance`).

use async_trait::async_trait;
use serde::Serialize;

use super::{AdminPage, AuditEvent, Kind, NamespaceRow, OwnershipRow};
use crate::error::Error;

/// `AbuseReport`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AbuseReportRow {
    /// UUID.
    pub report_id: String,
    /// `package`, `template`, `publisher` or `namespace`.
    pub target_kind: String,
    /// The reported id.
    pub target_id: String,
    /// Free-form category (`malware`, `impersonation`, ...).
    pub category: String,
    /// Why.
    pub reason: String,
    /// How to reach the reporter, if given.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reporter_contact: String,
    /// `open`, `reviewing`, `resolved` or `rejected`.
    pub status: String,
    /// How it was resolved, if it was.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resolution: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

/// An admin listing's filter: `search` (a lower-case substring of the id), `status`, and the page.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Substring of the id (and, for publishers, display name), matched case-insensitively.
    pub search: String,
    /// Exact status, or empty for any.
    pub status: String,
    /// Page size.
    pub limit: u32,
    /// Rows skipped.
    pub offset: u32,
}

/// Governance writes and admin listings.
#[async_trait]
pub trait GovernanceStore: Send + Sync {
    /// Namespaces matching `filter`, by name.
    async fn list_namespaces(&self, filter: &ListFilter) -> Result<AdminPage<NamespaceRow>, Error>;
    /// Records a namespace a publisher claims (status `pending_verification` until the admin activates it). 404
    /// `publisher_not_found`; 409 `namespace_taken` when it, or one covering or covered by it, has another owner
    /// or it exists already.
    async fn claim_namespace(&self, row: &NamespaceRow, audit: &AuditEvent) -> Result<(), Error>;
    /// Sets a namespace's status; `None` if there is no such namespace.
    async fn set_namespace_status(
        &self,
        namespace: &str,
        status: &str,
        audit: &AuditEvent,
    ) -> Result<Option<NamespaceRow>, Error>;
    /// Gives a namespace, and the artifacts claimed in it, to `target`. `None` without the namespace; 404
    /// `publisher_not_found` without the target.
    async fn transfer_namespace(
        &self,
        namespace: &str,
        target: &str,
        audit: &AuditEvent,
    ) -> Result<Option<NamespaceRow>, Error>;
    /// At most `limit` of a publisher's namespaces (by name) and of its active artifacts (by kind and id), for
    /// its public page.
    async fn publisher_page(
        &self,
        publisher_id: &str,
        limit: u32,
    ) -> Result<(Vec<NamespaceRow>, Vec<OwnershipRow>), Error>;
    /// Ownership rows matching `filter`, by kind and id (with their owner).
    async fn list_artifacts(&self, filter: &ListFilter) -> Result<AdminPage<OwnershipRow>, Error>;
    /// Sets an ownership row's status; `None` if `id` of `kind` has none.
    async fn set_artifact_status(
        &self,
        kind: Kind,
        id: &str,
        status: &str,
        audit: &AuditEvent,
    ) -> Result<Option<OwnershipRow>, Error>;
    /// Gives `id` of `kind` to `target` under `namespace` (or none), active, creating the ownership row when the
    /// id had none but has versions. `None` when the id has neither; 404 `publisher_not_found`; 400
    /// `invalid_namespace` when the namespace is not the target's or does not cover the id.
    async fn transfer_artifact(
        &self,
        kind: Kind,
        id: &str,
        target: &str,
        namespace: Option<&str>,
        audit: &AuditEvent,
    ) -> Result<Option<OwnershipRow>, Error>;
}

/// Abuse reports and the official publisher bootstrap.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Files a report.
    async fn create_report(&self, report: &AbuseReportRow, audit: &AuditEvent)
    -> Result<(), Error>;
    /// Reports matching `filter`, newest change first.
    async fn list_reports(&self, filter: &ListFilter) -> Result<AdminPage<AbuseReportRow>, Error>;
    /// Sets a report's status and resolution; `None` if there is no such report.
    async fn set_report_status(
        &self,
        report_id: &str,
        status: &str,
        resolution: &str,
        audit: &AuditEvent,
    ) -> Result<Option<AbuseReportRow>, Error>;
    /// Suspends the report's target (an ownership row, a publisher or a namespace) and marks the report
    /// `reviewing`. `None` if there is no such report; 400 `target_not_suspendable` when the target does not exist.
    async fn takedown(
        &self,
        report_id: &str,
        audit: &AuditEvent,
    ) -> Result<Option<AbuseReportRow>, Error>;
    /// Assigns every package and template whose stored publisher id is in `legacy_ids` and which has no
    /// ownership row to `publisher` in `namespace` (created active if missing, with the publisher), with one
    /// audit event; returns how many artifacts were assigned. Idempotent.
    async fn bootstrap(
        &self,
        publisher: &super::PublisherRow,
        namespace: &str,
        legacy_ids: &[String],
        audit: &AuditEvent,
    ) -> Result<u64, Error>;
}
