//! The one read path for a published version: immutable parts from the byte-bounded cache, else from the store
//! (then cached); changing parts (download count, lifecycle) from the store every time, plus this replica's
//! downloads not yet flushed. Every API route and UI page reads versions through here.

use std::sync::Arc;

use verifier::receipt::Receipt;
use verifier::record::Lifecycle;
use verifier::template_receipt::TemplateReceipt;

use crate::cache::{Cached, Part};
use crate::error::Error;
use crate::state::AppState;
use crate::store::{Kind, PackageState, StoredPackage, StoredTemplate, downloadable};

/// A package version with its documents.
pub async fn package(
    state: &AppState,
    id: &str,
    version: &str,
) -> Result<Option<Arc<StoredPackage>>, Error> {
    if let Some(Cached::Package(p)) = state.cache.get(Part::Whole(Kind::Package), id, version) {
        return Ok(Some(p));
    }
    Ok(state
        .store
        .get_package(id, version)
        .await?
        .map(|p| remember_package(state, p)))
}

/// Caches `package` (replacing an older copy) and returns it shared.
pub fn remember_package(state: &AppState, package: StoredPackage) -> Arc<StoredPackage> {
    let package = Arc::new(package);
    state.cache.insert(
        Part::Whole(Kind::Package),
        &package.package_id,
        &package.package_version,
        Cached::Package(Arc::clone(&package)),
    );
    package
}

/// A package receipt alone: never reads or caches the documents.
pub async fn receipt(
    state: &AppState,
    id: &str,
    version: &str,
) -> Result<Option<Arc<Receipt>>, Error> {
    if let Some(Cached::Receipt(r)) = state.cache.get(Part::Receipt(Kind::Package), id, version) {
        return Ok(Some(r));
    }
    if let Some(Cached::Package(p)) = state.cache.get(Part::Whole(Kind::Package), id, version) {
        return Ok(Some(Arc::new(p.receipt.clone())));
    }
    let Some(receipt) = state.store.get_receipt(id, version).await? else {
        return Ok(None);
    };
    let receipt = Arc::new(receipt);
    state.cache.insert(
        Part::Receipt(Kind::Package),
        id,
        version,
        Cached::Receipt(Arc::clone(&receipt)),
    );
    Ok(Some(receipt))
}

/// A package's current state: stored count plus this replica's unflushed downloads, and lifecycle.
pub async fn package_state(
    state: &AppState,
    id: &str,
    version: &str,
) -> Result<Option<PackageState>, Error> {
    let read = || state.store.get_state(id, version);
    Ok(state
        .downloads
        .read(Kind::Package, id, version, read, |_| false)
        .await?
        .map(|(s, local)| with_local(s, local)))
}

fn with_local(mut s: PackageState, local: i64) -> PackageState {
    s.download_count += local;
    s
}

/// A package version with its documents and current state.
pub async fn current_package(
    state: &AppState,
    id: &str,
    version: &str,
) -> Result<Option<(Arc<StoredPackage>, PackageState)>, Error> {
    let Some(package) = package(state, id, version).await? else {
        return Ok(None);
    };
    Ok(package_state(state, id, version)
        .await?
        .map(|current| (package, current)))
}

/// What a package download found.
#[derive(Debug)]
pub enum Download {
    /// Served (and counted when asked): the version and its state after this download.
    Served(Arc<StoredPackage>, PackageState),
    /// Its lifecycle forbids downloading it.
    Refused(Lifecycle),
    /// No such version.
    NotFound,
}

/// A package download: the documents first (so nothing is counted for a response that then fails), then the
/// lifecycle from the store, counting one download only when `count` (a `GET`, not a `HEAD`) and the lifecycle
/// allows it.
pub async fn download_package(
    state: &AppState,
    id: &str,
    version: &str,
    allow_yanked: bool,
    count: bool,
) -> Result<Download, Error> {
    let Some(package) = package(state, id, version).await? else {
        return Ok(Download::NotFound);
    };
    let read = || state.store.get_state(id, version);
    let allowed = |s: &PackageState| downloadable(&s.lifecycle.status, allow_yanked);
    let found = state
        .downloads
        .read(Kind::Package, id, version, read, |s| count && allowed(s))
        .await?;
    Ok(match found {
        None => Download::NotFound,
        Some((current, _)) if !allowed(&current) => Download::Refused(current.lifecycle),
        Some((current, local)) => Download::Served(package, with_local(current, local)),
    })
}

/// A template version with its documents.
pub async fn template(
    state: &AppState,
    id: &str,
    version: &str,
) -> Result<Option<Arc<StoredTemplate>>, Error> {
    if let Some(Cached::Template(t)) = state.cache.get(Part::Whole(Kind::Template), id, version) {
        return Ok(Some(t));
    }
    Ok(state
        .store
        .get_template(id, version)
        .await?
        .map(|t| remember_template(state, t)))
}

/// Caches `template` (replacing an older copy) and returns it shared.
pub fn remember_template(state: &AppState, template: StoredTemplate) -> Arc<StoredTemplate> {
    let template = Arc::new(template);
    state.cache.insert(
        Part::Whole(Kind::Template),
        &template.template_id,
        &template.template_version,
        Cached::Template(Arc::clone(&template)),
    );
    template
}

/// A template receipt alone: never reads the template or package documents.
pub async fn template_receipt(
    state: &AppState,
    id: &str,
    version: &str,
) -> Result<Option<Arc<TemplateReceipt>>, Error> {
    if let Some(Cached::TemplateReceipt(r)) =
        state.cache.get(Part::Receipt(Kind::Template), id, version)
    {
        return Ok(Some(r));
    }
    if let Some(Cached::Template(t)) = state.cache.get(Part::Whole(Kind::Template), id, version) {
        return Ok(Some(Arc::new(t.receipt.clone())));
    }
    let Some(row) = state.store.get_template_row(id, version).await? else {
        return Ok(None);
    };
    let receipt = Arc::new(row.receipt);
    state.cache.insert(
        Part::Receipt(Kind::Template),
        id,
        version,
        Cached::TemplateReceipt(Arc::clone(&receipt)),
    );
    Ok(Some(receipt))
}

/// A template version with its current download count (stored plus unflushed), counting one more when `count`.
pub async fn current_template(
    state: &AppState,
    id: &str,
    version: &str,
    count: bool,
) -> Result<Option<(Arc<StoredTemplate>, i64)>, Error> {
    let Some(template) = template(state, id, version).await? else {
        return Ok(None);
    };
    let read = || state.store.get_template_count(id, version);
    Ok(state
        .downloads
        .read(Kind::Template, id, version, read, |_| count)
        .await?
        .map(|(stored, local)| (template, stored + local)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use clap::Parser as _;

    use super::*;
    use crate::config::Config;
    use crate::extract::Publisher;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_receipt_read_loads_only_the_receipt() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("r.db").display());
        let config = Config::try_parse_from(["registry-server", "--database-url", &url]).unwrap();
        let state = crate::prepare(config.settings().unwrap()).await.unwrap();
        let body = serde_json::to_vec(&crate::demo::demo_request("only-receipt", "1.0.0").unwrap())
            .unwrap();
        let publisher = Publisher {
            id: "p".into(),
            kind: "organization".into(),
        };
        let package = crate::publish::prepare(&body, &publisher, &state).unwrap();
        state.store.insert_package(&package).await.unwrap();

        let receipt = receipt(&state, "only-receipt", "1.0.0")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(receipt.receipt_id, package.receipt.receipt_id);
        let whole = Part::Whole(Kind::Package);
        assert!(state.cache.get(whole, "only-receipt", "1.0.0").is_none());
        assert!(matches!(
            state
                .cache
                .get(Part::Receipt(Kind::Package), "only-receipt", "1.0.0"),
            Some(Cached::Receipt(_))
        ));
        // A receipt weighs about a kilobyte; the whole package is many times that.
        assert!(state.cache.weight() < 4096, "{}", state.cache.weight());
    }
}
