//! The OpenAPI schemas of answers the handlers build as JSON text (the row types derive theirs where they live).
//!
//! These types only describe shapes for the document: nothing constructs them.
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::scopes::Scopes;
use crate::store::governance::AbuseReportRow;
use crate::store::{AuditRow, NamespaceRow, PublisherRow, TokenRow};

/// Every refusal and failure: `{"error": message, "code": stable_code, ...}`, with `problems` for a package or
/// template that breaks a rule, and other members (identity, digests, limits) where a refusal has context.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What is wrong, in words.
    pub error: String,
    /// Stable snake_case code.
    pub code: String,
    /// Every broken rule of a refused package or template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<Problem>>,
}

/// One broken rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Stable snake_case code of the rule.
    pub code: String,
    /// JSON path of the value.
    pub path: String,
    /// What is wrong, in words.
    pub message: String,
}

/// A JSON object whose members are ANIP's (a package or template record, a lock, a receipt).
#[derive(Debug, Serialize, ToSchema)]
pub struct AnipObject(pub BTreeMap<String, Value>);

/// `GET /healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// `anip-registry`.
    pub service: String,
    /// `dev` or `production`.
    pub signing_mode: String,
    /// The key receipts are signed with.
    pub active_key_id: String,
    /// Whether that key is the dev key.
    pub dev_key: bool,
}

/// `GET /readyz`: `status` `ok`, or `error` with `error` and `code`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ok` or `error`.
    pub status: String,
    /// `anip-registry`.
    pub service: String,
    /// `sqlite` or `postgres`.
    pub store: String,
}

/// One trusted public key.
#[derive(Debug, Serialize, ToSchema)]
pub struct SigningKey {
    /// Key id.
    pub key_id: String,
    /// `ed25519`.
    pub algorithm: String,
    /// Standard base64 of the 32-byte key.
    pub public_key: String,
}

/// `GET /keys`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Keys {
    /// `dev` or `production`.
    pub signing_mode: String,
    /// The key receipts are signed with.
    pub active_key_id: String,
    /// Whether that key is the dev key.
    pub dev_key: bool,
    /// Every trusted key, the active one first.
    pub items: Vec<SigningKey>,
    /// The log's origin and note verifier keys.
    pub log: BTreeMap<String, Value>,
}

/// `GET /log/proof/inclusion`.
#[derive(Debug, Serialize, ToSchema)]
pub struct InclusionProof {
    /// Leaf index.
    pub index: u64,
    /// Tree size the proof is for.
    pub tree_size: u64,
    /// Standard base64 root hash.
    pub root_hash: String,
    /// Standard base64 hashes, leaf to root.
    pub hashes: Vec<String>,
}

/// `GET /log/proof/consistency`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsistencyProof {
    /// Older tree size.
    pub old: u64,
    /// Newer tree size.
    pub new: u64,
    /// Standard base64 hashes.
    pub hashes: Vec<String>,
}

/// A paged listing: `{items, next_cursor?}` (the cursor absent on the last page).
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordPage {
    /// Records in publication order.
    pub items: Vec<AnipObject>,
    /// Opaque cursor of the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A listing: every record (unpaged, ANIP's order) or a page.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Listing {
    /// Without `limit` and `cursor`: every record.
    All(Vec<AnipObject>),
    /// With `limit` and/or `cursor`.
    Page(RecordPage),
}

/// `GET /packages/{id}` and `GET /templates/{id}`: the id's member (`package_id` or `template_id`), `latest`,
/// `versions` (highest SemVer first) and `next_cursor` (null on the last page).
#[derive(Debug, Serialize, ToSchema)]
pub struct Versions {
    /// The highest version.
    pub latest: Option<String>,
    /// One page of versions.
    pub versions: Vec<AnipObject>,
    /// Opaque cursor of the next page, or null.
    pub next_cursor: Option<String>,
}

/// `{package: record}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageAnswer {
    /// The version's record after the change.
    pub package: AnipObject,
}

/// `{publisher}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublisherAnswer {
    /// The publisher.
    pub publisher: PublisherRow,
}

/// `GET /me/publisher`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MePublisher {
    /// The caller's publisher.
    pub publisher: PublisherRow,
    /// The calling token's scopes.
    pub scopes: Scopes,
}

/// `POST /admin/publishers`: the publisher, its namespaces and a first token, whose bearer text is shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedPublisher {
    /// The publisher.
    pub publisher: PublisherRow,
    /// Its namespaces.
    pub namespaces: Vec<NamespaceRow>,
    /// Its first token.
    pub token: TokenRow,
    /// The token's secret, shown once.
    pub bearer_token: String,
}

/// `POST /me/tokens`: the token and its secret, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    /// The token.
    pub token: TokenRow,
    /// The secret, shown once.
    pub bearer_token: String,
}

/// `{token}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenAnswer {
    /// The token.
    pub token: TokenRow,
}

/// `{namespace}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct NamespaceAnswer {
    /// The namespace.
    pub namespace: NamespaceRow,
}

/// An ownership row with its owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct Artifact {
    /// `package` or `template`.
    pub artifact_kind: String,
    /// The id.
    pub artifact_id: String,
    /// The namespace it was claimed in, or empty.
    pub namespace: String,
    /// `active`, `transferred` or `suspended`.
    pub status: String,
    /// Owner.
    pub publisher_id: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

/// `{artifact}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArtifactAnswer {
    /// The artifact.
    pub artifact: Artifact,
}

/// `{report}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportAnswer {
    /// The report.
    pub report: AbuseReportRow,
}

/// `{items}` of the caller's rows.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeItems<T> {
    /// Rows.
    pub items: Vec<T>,
}

/// An admin listing: `{items, total, limit, offset}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminPage<T> {
    /// This page's rows.
    pub items: Vec<T>,
    /// Rows matching the filter in all.
    pub total: i64,
    /// Page size.
    pub limit: i64,
    /// Rows skipped.
    pub offset: i64,
}

/// An audit page: `{items, next_after}` (null on the last page).
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// Events in trail order.
    pub items: Vec<AuditRow>,
    /// `after` of the next page, or null.
    pub next_after: Option<i64>,
}

/// `…/receipt?proof=1`: the receipt, its log entry and a proof against the newest checkpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptWithProof {
    /// The signed receipt.
    pub receipt: SignedReceipt,
    /// The entry's index.
    pub log_index: u64,
    /// Standard base64 of the entry.
    pub log_entry: String,
    /// The proof text.
    pub tlog_proof: String,
}

/// A signed receipt (package or template): these members, and the version's identity and digests.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedReceipt {
    /// `sha256:<hex>` of the receipt's signed bytes.
    pub receipt_id: String,
    /// The publisher.
    pub publisher_id: String,
    /// The signing key.
    pub key_id: String,
    /// `ed25519`.
    pub signature_algorithm: String,
    /// `ed25519:<key_id>:<base64 signature>`.
    pub registry_signature: String,
    /// RFC 3339.
    pub issued_at: String,
}

/// A receipt, or with `?proof=1` the receipt with its log proof.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Receipt {
    /// With `?proof=1`.
    Proved(ReceiptWithProof),
    /// The signed receipt alone.
    Plain(SignedReceipt),
}

/// One route of the index.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndexRoute {
    /// Methods, comma-separated (`GET, POST`).
    pub methods: String,
    /// Full path template (`/registry-api/v1/packages/{id}`).
    pub path: String,
    /// What it does.
    pub description: String,
}

/// `GET /registry-api/v1`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiIndex {
    /// `anip-registry/v1`.
    pub api: String,
    /// `/registry-api/v1`.
    pub base: String,
    /// Every route, as the OpenAPI document lists them.
    pub routes: Vec<IndexRoute>,
}
