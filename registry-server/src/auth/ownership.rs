//! Publish authorisation for an artifact id (reference §2.8, token path) and the refusals of an ownership claim.

use serde_json::{Map, Value};

use super::Grant;
use super::scopes::{covers, fold, kind_name, prefixes, publish_operation};
use crate::error::Error;
use crate::extract::Publisher;
use crate::state::AppState;
use crate::store::{AuditEvent, Claim, Kind, OwnershipRow};
use crate::time::now_rfc3339;

fn refused(status: u16, code: &'static str, message: String, context: &[(&str, &str)]) -> Error {
    let mut map = Map::new();
    for (k, v) in context {
        map.insert((*k).into(), Value::from(*v));
    }
    Error::Refused {
        status: axum::http::StatusCode::from_u16(status)
            .unwrap_or(axum::http::StatusCode::FORBIDDEN),
        code,
        message,
        context: map,
    }
}

/// Why the ownership row `row` (found by folded id) refuses `claim`, if it does: another publisher's look-alike
/// id → 409 `similar_id_exists` naming it; another publisher's id → 403 `artifact_owned`; a suspended or
/// transferred row → 403 `artifact_suspended`.
pub fn refusal(row: &OwnershipRow, claim: &Claim) -> Option<Error> {
    if row.publisher_id != claim.publisher_id {
        if row.artifact_id != claim.artifact_id {
            return Some(refused(
                409,
                "similar_id_exists",
                format!(
                    "{:?} is too similar to the existing id {:?} (ids equal after folding '-', '_' and '.' \
                     have one owner)",
                    claim.artifact_id, row.artifact_id
                ),
                &[
                    ("existing_id", &row.artifact_id),
                    ("requested_id", &claim.artifact_id),
                ],
            ));
        }
        return Some(refused(
            403,
            "artifact_owned",
            format!("{:?} belongs to another publisher", claim.artifact_id),
            &[("artifact_id", &claim.artifact_id)],
        ));
    }
    (row.status != "active").then(|| {
        refused(
            403,
            "artifact_suspended",
            format!(
                "{:?} is {} and cannot be published to",
                row.artifact_id, row.status
            ),
            &[("artifact_id", &row.artifact_id), ("status", &row.status)],
        )
    })
}

/// A fresh claim of an id that already has versions by another publisher (published before ownership existed).
pub fn published_by_other(claim: &Claim) -> Error {
    refused(
        403,
        "artifact_owned",
        format!(
            "{:?} already has versions by another publisher; an admin can assign it",
            claim.artifact_id
        ),
        &[("artifact_id", &claim.artifact_id)],
    )
}

/// Checks that `grant` may publish `id` of `kind` (reference §2.8 step 3, plus: never inside another publisher's
/// namespace) and returns the claim the publish transaction makes. Refusals: 403 `insufficient_scope`,
/// `artifact_owned`, `artifact_suspended`, `foreign_namespace`, `id_not_in_scope`; 409 `similar_id_exists`.
pub async fn authorize_publish(
    state: &AppState,
    publisher: &Publisher,
    grant: &Grant,
    kind: Kind,
    id: &str,
) -> Result<Claim, Error> {
    let now = now_rfc3339();
    let (token_id, actor) = match grant {
        Grant::Legacy => (None, "legacy-token".to_owned()),
        Grant::Token(t) => (
            Some(t.token.token_id.clone()),
            format!("publisher:{}", publisher.id),
        ),
    };
    let audit = AuditEvent {
        actor_publisher_id: Some(publisher.id.clone()),
        token_id,
        actor,
        event_type: format!("{}.published", kind_name(kind)),
        target_type: kind_name(kind).into(),
        target_id: id.to_owned(),
        metadata: "{}".into(),
        subject_publisher_id: None,
        ip_hash: crate::auth::client::current_ip_hash(),
        created_at: now,
    };
    let mut claim = Claim {
        kind,
        artifact_id: id.to_owned(),
        publisher_id: publisher.id.clone(),
        namespace: None,
        audit,
    };
    let namespaces = state.store.namespaces_named(&prefixes(id)).await?;
    // The publisher's longest active namespace (holding this kind) that covers the id is the claim's namespace.
    claim.namespace = namespaces
        .iter()
        .filter(|ns| ns.publisher_id == publisher.id && ns.serves(kind))
        .max_by_key(|ns| ns.namespace.len())
        .map(|ns| ns.namespace.clone());
    let held = state.store.ownership(kind, id).await?;
    if let Some(row) = &held {
        if let Some(refusal) = refusal(row, &claim) {
            return Err(refusal);
        }
    } else if let Some(foreign) = namespaces.iter().find(|ns| ns.publisher_id != publisher.id) {
        return Err(refused(
            403,
            "foreign_namespace",
            format!(
                "{id:?} lies in namespace {:?} of another publisher",
                foreign.namespace
            ),
            &[("artifact_id", id), ("namespace", &foreign.namespace)],
        ));
    }
    let Grant::Token(t) = grant else {
        return Ok(claim);
    };
    let scopes = &t.token.scopes;
    if !scopes.allows(publish_operation(kind)) {
        return Err(refused(
            403,
            "insufficient_scope",
            format!(
                "the token does not include the {} scope",
                publish_operation(kind)
            ),
            &[("required_scope", publish_operation(kind))],
        ));
    }
    // As ANIP: an id the publisher owns (checked above) may be published with the publish operation alone.
    let owned = held.is_some();
    let listed = scopes
        .ids(kind)
        .iter()
        .any(|granted| fold(granted) == fold(id));
    let in_namespace = scopes.namespaces.iter().any(|scoped| {
        covers(scoped, id)
            && namespaces.iter().any(|ns| {
                ns.namespace == *scoped && ns.publisher_id == publisher.id && ns.serves(kind)
            })
    });
    if owned || listed || in_namespace {
        return Ok(claim);
    }
    Err(refused(
        403,
        "id_not_in_scope",
        format!(
            "the token's scopes do not cover {id:?} (neither its namespaces nor its {}_ids)",
            kind_name(kind)
        ),
        &[("artifact_id", id)],
    ))
}
