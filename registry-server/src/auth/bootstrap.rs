//! The official publisher bootstrap (`ANIP_REGISTRY_BOOTSTRAP_OFFICIAL_ANIP_PUBLISHER`, as ANIP's): publisher and
//! namespace `anip`, and ownership of the artifacts published under the legacy publisher ids. Signed records are
//! untouched; running it again changes nothing.

use crate::error::Error;
use crate::state::AppState;
use crate::store::{AuditEvent, PublisherRow};
use crate::time::now_rfc3339;

/// The official publisher and namespace.
pub const OFFICIAL: &str = "anip";

/// Runs the bootstrap when it is enabled; returns how many artifacts were assigned.
pub async fn run(state: &AppState) -> Result<u64, Error> {
    let tokens = &state.settings.tokens;
    if !tokens.bootstrap_official_anip_publisher {
        return Ok(0);
    }
    let legacy: Vec<String> = tokens
        .official_anip_legacy_publisher_ids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let now = now_rfc3339();
    let publisher = PublisherRow {
        publisher_id: OFFICIAL.into(),
        publisher_type: "official".into(),
        display_name: "ANIP.dev".into(),
        description: String::new(),
        website_url: "https://anip.dev".into(),
        status: "active".into(),
        trust_level: "official".into(),
        created_at: now.clone(),
        updated_at: now.clone(),
    };
    let audit = AuditEvent {
        subject_publisher_id: Some(OFFICIAL.into()),
        actor: "registry-bootstrap".into(),
        event_type: "publisher.bootstrap".into(),
        target_type: "publisher".into(),
        target_id: OFFICIAL.into(),
        metadata: "{}".into(),
        created_at: now,
        ..AuditEvent::default()
    };
    let assigned = state
        .store
        .bootstrap(&publisher, OFFICIAL, &legacy, &audit)
        .await?;
    state.publishers.clear();
    tracing::info!(
        publisher_id = OFFICIAL,
        assigned,
        "registry_bootstrap_official_publisher"
    );
    Ok(assigned)
}
