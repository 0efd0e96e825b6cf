//! The receipt verdict the UI shows, computed once per version (at its first page view, on the UI's own threads, so
//! publishing pays nothing for it), then stored with the version's row: later views, on any replica, never
//! recompute digests. A verdict records the key that signed; a page checks that key is
//! still trusted, so retiring a key changes what pages say without recomputing anything.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use verifier::keys::KeySet;
use verifier::receipt::ReceiptOutcome;
use verifier::record::PackageRecord;
use verifier::report::CheckStatus;

use crate::error::Error;
use crate::reads;
use crate::state::AppState;
use crate::store::{Kind, StoredPackage, StoredTemplate};

/// One stored check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCheck {
    /// Check name.
    pub name: String,
    /// `pass`, `warn` or `fail`.
    pub status: String,
    /// What was compared.
    #[serde(default)]
    pub detail: String,
}

/// What verification found, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// `verified`, `legacy` (signed the digests, not the execution signature) or `failed`.
    pub outcome: String,
    /// The key that signed (for `verified` and `legacy`).
    #[serde(default)]
    pub key_id: String,
    /// Why it failed (for `failed`).
    #[serde(default)]
    pub reason: String,
    /// Every check, in order.
    #[serde(default)]
    pub checks: Vec<StoredCheck>,
}

impl Verdict {
    fn failed(reason: impl Into<String>) -> Self {
        Verdict {
            outcome: "failed".into(),
            key_id: String::new(),
            reason: reason.into(),
            checks: Vec::new(),
        }
    }

    /// Whether every check passed or warned.
    pub fn all_passed(&self) -> bool {
        self.checks.iter().all(|c| c.status != "fail")
    }
}

fn status_name(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Pass => "pass",
        CheckStatus::Warn => "warn",
        CheckStatus::Fail => "fail",
    }
}

fn from_outcome(outcome: &ReceiptOutcome, checks: &verifier::report::Checks) -> Verdict {
    let (name, key_id, reason) = match outcome {
        ReceiptOutcome::Verified { key_id } => ("verified", key_id.clone(), String::new()),
        ReceiptOutcome::Legacy { key_id } => ("legacy", key_id.clone(), String::new()),
        other => ("failed", String::new(), other.to_string()),
    };
    Verdict {
        outcome: name.into(),
        key_id,
        reason,
        checks: checks
            .0
            .iter()
            .map(|c| StoredCheck {
                name: c.name.clone(),
                status: status_name(c.status).into(),
                detail: c.detail.clone(),
            })
            .collect(),
    }
}

/// Verifies a stored package (every digest and the execution signature recomputed, the receipt checked) — CPU
/// work proportional to its documents.
pub fn verify_package(package: &StoredPackage, keys: &KeySet) -> Verdict {
    let text = crate::views::record_json(package);
    let record = verifier::json::parse_strict(text.as_bytes())
        .and_then(|v| verifier::record::object_into::<PackageRecord>(v, "a package record"));
    match record {
        Ok(record) => {
            let v = verifier::verify::verify_package(&record, &package.receipt, keys);
            from_outcome(&v.receipt, &v.checks)
        }
        Err(e) => Verdict::failed(format!("the stored record could not be read back: {e}")),
    }
}

/// Verifies a stored template with the rule the CLI's `registry verify --template` applies
/// ([`verifier::template_verify`]): its documents re-read from the stored text (strictly), digests recomputed, the
/// package checked to carry the validated manifest and template, and the template receipt checked over them.
pub fn verify_template(t: &StoredTemplate, keys: &KeySet) -> Verdict {
    let read = |text: &str| verifier::json::parse_strict(text.as_bytes());
    let (manifest, template, package) = match (
        read(&t.manifest_json),
        read(&t.template_json),
        read(&t.package_json),
    ) {
        (Ok(m), Ok(t), Ok(p)) => (m, t, p),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            return Verdict::failed(format!("the stored record could not be read back: {e}"));
        }
    };
    let parts = verifier::template_verify::TemplateParts {
        template_id: &t.template_id,
        template_version: &t.template_version,
        publisher_id: &t.publisher_id,
        publisher_type: &t.publisher_type,
        digests: [&t.manifest_digest, &t.template_digest, &t.package_digest],
        documents: [&manifest, &template, &package],
    };
    let v = verifier::template_verify::verify_template(
        &t.template_id,
        &t.template_version,
        &parts,
        &t.receipt,
        keys,
    );
    from_outcome(&v.receipt, &v.checks)
}

fn parse(stored: Option<&String>) -> Option<Verdict> {
    serde_json::from_str(stored?).ok()
}

/// The package's verdict: stored, else computed on a UI thread, stored and cached.
pub async fn of_package(state: &AppState, package: &Arc<StoredPackage>) -> Result<Verdict, Error> {
    if let Some(v) = parse(package.verification.as_ref()) {
        return Ok(v);
    }
    let keys = state.settings.signing.keys.clone();
    let for_worker = Arc::clone(package);
    let verdict = state
        .ui
        .run(move || verify_package(&for_worker, &keys))
        .await?;
    remember_package(state, package, &verdict).await?;
    Ok(verdict)
}

async fn remember_package(
    state: &AppState,
    package: &StoredPackage,
    verdict: &Verdict,
) -> Result<(), Error> {
    let text = serde_json::to_string(verdict).unwrap_or_default();
    state
        .store
        .set_verification(
            Kind::Package,
            &package.package_id,
            &package.package_version,
            &text,
        )
        .await?;
    let mut updated = package.clone();
    updated.verification = Some(text);
    reads::remember_package(state, updated);
    Ok(())
}

/// The template's verdict: stored, else computed on a UI thread, stored and cached.
pub async fn of_template(
    state: &AppState,
    template: &Arc<StoredTemplate>,
) -> Result<Verdict, Error> {
    if let Some(v) = parse(template.verification.as_ref()) {
        return Ok(v);
    }
    let keys = state.settings.signing.keys.clone();
    let for_worker = Arc::clone(template);
    let verdict = state
        .ui
        .run(move || verify_template(&for_worker, &keys))
        .await?;
    let text = serde_json::to_string(&verdict).unwrap_or_default();
    state
        .store
        .set_verification(
            Kind::Template,
            &template.template_id,
            &template.template_version,
            &text,
        )
        .await?;
    let mut updated = template.as_ref().clone();
    updated.verification = Some(text);
    reads::remember_template(state, updated);
    Ok(verdict)
}

impl StoredCheck {
    /// Its list item's class: `pass`, `warn` or `fail`.
    pub fn class(&self) -> &'static str {
        match self.status.as_str() {
            "pass" => "pass",
            "warn" => "warn",
            _ => "fail",
        }
    }

    /// Its mark: ✓, ! or ✗.
    pub fn mark(&self) -> &'static str {
        match self.status.as_str() {
            "pass" => "✓",
            "warn" => "!",
            _ => "✗",
        }
    }
}

/// What a page says about a receipt (`verdict.html`).
#[derive(Debug, Clone)]
pub enum Said {
    /// It verified with a key this registry no longer lists.
    Untrusted,
    /// It verifies.
    Verified,
    /// A legacy package receipt: the digests signed, not the execution signature.
    Legacy,
    /// It does not verify, and why.
    Failed(String),
}

/// A verdict as a page shows it: what it says, under which key, whether that key is the public development key,
/// and every check.
#[derive(Debug, Clone)]
pub struct Shown {
    /// The verdict.
    pub said: Said,
    /// The key that signed.
    pub key_id: String,
    /// What "verified" recomputed, in words.
    pub what_matched: &'static str,
    /// Whether the receipt's key is the public development key.
    pub dev_key: bool,
    /// A package's receipt (else a template's).
    pub is_package: bool,
    /// Every check, in order.
    pub checks: Vec<StoredCheck>,
}

fn failures(verdict: &Verdict, with_names: bool) -> Vec<String> {
    verdict
        .checks
        .iter()
        .filter(|c| c.status == "fail")
        .map(|c| {
            if with_names {
                format!("{}: {}", c.name, c.detail)
            } else {
                c.detail.clone()
            }
        })
        .collect()
}

impl Shown {
    /// A package's verdict, for a receipt signed by `receipt_key`.
    pub fn package(verdict: &Verdict, receipt_key: &str, keys: &KeySet) -> Self {
        let trusted = keys.get(&verdict.key_id).is_some();
        let said = match verdict.outcome.as_str() {
            "verified" | "legacy" if verdict.all_passed() && !trusted => Said::Untrusted,
            "verified" if verdict.all_passed() => Said::Verified,
            "legacy" if verdict.all_passed() => Said::Legacy,
            _ => {
                let reasons = failures(verdict, true);
                Said::Failed(if reasons.is_empty() {
                    verdict.reason.clone()
                } else {
                    reasons.join("; ")
                })
            }
        };
        Shown {
            said,
            key_id: verdict.key_id.clone(),
            what_matched: "the signature, every digest and the execution signature",
            dev_key: keys
                .get(receipt_key)
                .is_some_and(verifier::keys::is_dev_public_key),
            is_package: true,
            checks: verdict.checks.clone(),
        }
    }

    /// A template's verdict, for a receipt signed by `receipt_key`.
    pub fn template(verdict: &Verdict, receipt_key: &str, keys: &KeySet) -> Self {
        let trusted = keys.get(&verdict.key_id).is_some();
        let said = if verdict.outcome == "verified" && verdict.all_passed() && trusted {
            Said::Verified
        } else {
            let reasons = failures(verdict, false);
            Said::Failed(if !reasons.is_empty() {
                reasons.join("; ")
            } else if verdict.outcome == "verified" && !trusted {
                format!(
                    "key {} is no longer trusted by this registry",
                    verdict.key_id
                )
            } else {
                verdict.reason.clone()
            })
        };
        Shown {
            said,
            key_id: verdict.key_id.clone(),
            what_matched: "the manifest, template and package digests",
            dev_key: keys
                .get(receipt_key)
                .is_some_and(verifier::keys::is_dev_public_key),
            is_package: false,
            checks: verdict.checks.clone(),
        }
    }
}
