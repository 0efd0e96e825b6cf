//! The publisher part of the store (reference §7.2 governance tables): publishers, namespaces, ownership, scoped
//! tokens and the audit trail. Both backends implement it with one shared body (`shared_publishers`).

use async_trait::async_trait;

use super::{
    AuditEvent, AuditRow, NamespaceRow, NewPublisher, OwnershipRow, PublisherRow, TokenRow,
};
use super::{Claim, Insert, StoredTemplate};
use super::{Kind, StoredPackage};
use crate::error::Error;

/// A page of an admin listing: the rows and how many matched in all.
#[derive(Debug, Clone)]
pub struct AdminPage<T> {
    /// This page's rows.
    pub items: Vec<T>,
    /// Rows matching the filter in all.
    pub total: i64,
}

/// Governance operations. Refusals come back as [`Error::Refused`] with a stable code; a refused write leaves
/// nothing behind (each method is one transaction).
#[async_trait]
pub trait PublisherStore: Send + Sync {
    /// Creates a publisher, its namespaces, its first token and their audit events at once. 409
    /// `publisher_exists`, 409 `namespace_taken` (a namespace, or one covering or covered by it, has an owner).
    async fn create_publisher(&self, new: &NewPublisher) -> Result<(), Error>;
    /// One publisher.
    async fn publisher(&self, publisher_id: &str) -> Result<Option<PublisherRow>, Error>;
    /// Publishers whose id or display name contains `search` (lower case), with `status` if given, by id.
    async fn list_publishers(
        &self,
        search: Option<&str>,
        status: Option<&str>,
        limit: u32,
        offset: u32,
    ) -> Result<AdminPage<PublisherRow>, Error>;
    /// Sets a publisher's status (and trust level when given) with its audit event; `None` if unknown.
    async fn set_publisher_status(
        &self,
        publisher_id: &str,
        status: &str,
        trust_level: Option<&str>,
        audit: &AuditEvent,
    ) -> Result<Option<PublisherRow>, Error>;
    /// Updates an active publisher's profile (display name, description, website) with its audit event; `None`
    /// when there is no active publisher of that id.
    async fn update_profile(
        &self,
        publisher_id: &str,
        display_name: &str,
        description: &str,
        website_url: &str,
        audit: &AuditEvent,
    ) -> Result<Option<PublisherRow>, Error>;
    /// A publisher's namespaces, by name.
    async fn namespaces_of(&self, publisher_id: &str) -> Result<Vec<NamespaceRow>, Error>;
    /// The namespaces among `names` that exist.
    async fn namespaces_named(&self, names: &[&str]) -> Result<Vec<NamespaceRow>, Error>;
    /// The ownership row of `id` or of a look-alike of it (same folded id), if any.
    async fn ownership(&self, kind: Kind, id: &str) -> Result<Option<OwnershipRow>, Error>;
    /// The owner of `id` (or a look-alike of it) while its ownership row is active.
    async fn publisher_summary(
        &self,
        kind: Kind,
        id: &str,
    ) -> Result<Option<crate::auth::summary::PublisherSummary>, Error>;
    /// A publisher's artifacts, by kind and id.
    async fn artifacts_of(&self, publisher_id: &str) -> Result<Vec<OwnershipRow>, Error>;
    /// One token (with its hash, for the constant-time compare).
    async fn token(&self, token_id: &str) -> Result<Option<TokenRow>, Error>;
    /// Records a token's use.
    async fn touch_token(&self, token_id: &str, at: &str) -> Result<(), Error>;
    /// A publisher's tokens, newest first.
    async fn tokens_of(&self, publisher_id: &str) -> Result<Vec<TokenRow>, Error>;
    /// Stores a new token with its audit event.
    async fn insert_token(&self, token: &TokenRow, audit: &AuditEvent) -> Result<(), Error>;
    /// Revokes one of `publisher_id`'s tokens (idempotent: a revoked token keeps its first `revoked_at`), with an
    /// audit event the first time; `None` if the publisher has no such token.
    async fn revoke_token(
        &self,
        publisher_id: &str,
        token_id: &str,
        audit: &AuditEvent,
    ) -> Result<Option<TokenRow>, Error>;
    /// Up to `limit` audit events after position `after`, oldest first; only those concerning `publisher_id`
    /// when given.
    async fn audit_page(
        &self,
        publisher_id: Option<&str>,
        after: i64,
        limit: u32,
    ) -> Result<Vec<AuditRow>, Error>;
    /// Like `Store::insert_package`, with the ownership claim checked and made, and the publish audited, in the
    /// same transaction: 403 `artifact_owned` / `artifact_suspended`, 409 `similar_id_exists`.
    async fn publish_package(
        &self,
        package: &StoredPackage,
        claim: &Claim,
    ) -> Result<Insert, Error>;
    /// Like `Store::insert_template`, with the claim as for packages.
    async fn publish_template(
        &self,
        template: &StoredTemplate,
        claim: &Claim,
    ) -> Result<Insert<StoredTemplate>, Error>;
}
