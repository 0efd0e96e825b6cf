//! Rows of the publisher tables (reference §1.4 shapes, serialised with ANIP's field names) and what a publish
//! claims.

use serde::Serialize;

use super::Kind;
use crate::auth::scopes::Scopes;

/// `RegistryPublisher`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PublisherRow {
    /// Id (namespace syntax).
    pub publisher_id: String,
    /// `individual`, `organization` or `official`.
    pub publisher_type: String,
    /// Shown name.
    pub display_name: String,
    /// Free text.
    pub description: String,
    /// Website, or empty.
    pub website_url: String,
    /// `active`, `pending_review` or `suspended`.
    pub status: String,
    /// `unverified`, `verified` or `official`.
    pub trust_level: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

/// `Namespace`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NamespaceRow {
    /// The namespace.
    pub namespace: String,
    /// Its owner.
    pub publisher_id: String,
    /// `package` and/or `template`.
    pub artifact_kinds: Vec<String>,
    /// `pending_verification`, `active`, `reserved`, `suspended` or `rejected`.
    pub status: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl NamespaceRow {
    /// Whether the namespace is active and holds artifacts of `kind`.
    pub fn serves(&self, kind: Kind) -> bool {
        let kind = crate::auth::scopes::kind_name(kind);
        self.status == "active" && self.artifact_kinds.iter().any(|k| k == kind)
    }
}

/// `ArtifactOwnership` (plus the owner, which `/me/artifacts` leaves implicit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OwnershipRow {
    /// `package` or `template`.
    pub artifact_kind: String,
    /// The id.
    pub artifact_id: String,
    /// The namespace it was claimed in, or empty (claimed outside any namespace).
    pub namespace: String,
    /// `active`, `transferred` or `suspended`.
    pub status: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// Owner.
    #[serde(skip)]
    pub publisher_id: String,
}

/// `TokenSummary` (never the secret or its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TokenRow {
    /// UUID.
    pub token_id: String,
    /// Owner.
    pub publisher_id: String,
    /// Label.
    pub label: String,
    /// Scopes.
    pub scopes: Scopes,
    /// RFC 3339, if it expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
    /// RFC 3339, once revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// Lowercase hex SHA-256 of the secret (compared, never served).
    #[serde(skip)]
    pub token_hash: String,
}

/// An audit event to write with a change: who (publisher, token, actor label), what, on which target, when.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditEvent {
    /// Acting publisher, if any.
    pub actor_publisher_id: Option<String>,
    /// The publisher the event concerns (whose `/me/audit` shows it); the acting publisher when `None`.
    pub subject_publisher_id: Option<String>,
    /// Token used, if any.
    pub token_id: Option<String>,
    /// `registry-admin`, `publisher:<id>` or `legacy-token`.
    pub actor: String,
    /// `publisher.created`, `token.created`, `package.published`, ...
    pub event_type: String,
    /// `publisher`, `namespace`, `token`, `package`, `template`.
    pub target_type: String,
    /// The target's id (`id@version` for versions).
    pub target_id: String,
    /// JSON object text.
    pub metadata: String,
    /// SHA-256 (hex) of the client address, if known.
    pub ip_hash: Option<String>,
    /// RFC 3339.
    pub created_at: String,
}

/// A new publisher with its namespaces and first token, written in one transaction.
#[derive(Debug, Clone)]
pub struct NewPublisher {
    /// The publisher.
    pub publisher: PublisherRow,
    /// Its namespaces (active).
    pub namespaces: Vec<NamespaceRow>,
    /// Its first token.
    pub token: TokenRow,
    /// Events to write with it.
    pub audit: Vec<AuditEvent>,
}

/// What a publish claims and records, checked and written in the publish transaction.
#[derive(Debug, Clone)]
pub struct Claim {
    /// Package or template.
    pub kind: Kind,
    /// The id published.
    pub artifact_id: String,
    /// The publishing identity (owner of a fresh claim; a claim is only made when a publisher row exists).
    pub publisher_id: String,
    /// The namespace a fresh claim records (the longest active one of the publisher covering the id), if any.
    pub namespace: Option<String>,
    /// The event written with a new version.
    pub audit: AuditEvent,
}

/// One stored audit event, as `GET /admin/audit` and `GET /me/audit` serve it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditRow {
    /// Position in the trail (increasing).
    pub seq: i64,
    /// UUID.
    pub event_id: String,
    /// `registry-admin`, `publisher:<id>` or `legacy-token`.
    pub actor: String,
    /// Acting publisher.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_publisher_id: Option<String>,
    /// Token used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    /// What happened.
    pub event_type: String,
    /// Kind of target.
    pub target_type: String,
    /// Target id.
    pub target_id: String,
    /// Details (JSON text as stored).
    #[serde(serialize_with = "as_json")]
    #[schema(value_type = Value)]
    pub metadata: String,
    /// The client address, hashed with the registry's salt (`ANIP_REGISTRY_AUDIT_IP_SALT`), if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_hash: Option<String>,
    /// RFC 3339.
    pub created_at: String,
}

fn as_json<S: serde::Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    let value: serde_json::Value = serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
    serde::Serialize::serialize(&value, s)
}
