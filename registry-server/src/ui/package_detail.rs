//! One package version's page: identity, lifecycle banner, the receipt verified on the server with `verifier`,
//! digests, capabilities, the README as safe Markdown, links, lineage, downloads and the `registry resolve` command.

use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use verifier::record::{Lifecycle, PackageRecord};

use super::html::{Html, esc, external_link, fill, is_http_url};
use super::packages::{DETAIL, VERSIONS_PER_ID};
use super::verdict::Verdict;
use super::{
    Page, Section, api_href, artifact_href, code, kv, lifecycle_badge, markdown, origin, plural,
    publisher, time,
};
use crate::error::Error;
use crate::reads;
use crate::state::AppState;
use crate::store::{PackageState, PublicationSummary, StoredPackage};

struct Computed {
    record: PackageRecord,
    readme: Html,
}

/// What a page shows of the documents: lineage, links, materials, manifest and definition, and the README rendered.
/// Each part is parsed from its own stored text (work proportional to this version's documents only).
fn compute(package: &StoredPackage) -> Computed {
    let record = PackageRecord {
        lineage: serde_json::from_str(&package.lineage_json).unwrap_or_default(),
        source_links: serde_json::from_str(&package.source_links_json).unwrap_or_default(),
        implementation_materials: serde_json::from_str(&package.implementation_materials_json)
            .unwrap_or_default(),
        manifest: serde_json::from_str(&package.manifest_json).unwrap_or_default(),
        service_definition: serde_json::from_str(&package.service_definition_json)
            .unwrap_or_default(),
        ..PackageRecord::default()
    };
    Computed {
        readme: markdown::render(&package.readme),
        record,
    }
}

/// `GET /registry/packages/{id}/{version}`: bounded reads (the version, its state, its stored verdict and the
/// most recent versions of its id); the page is rendered on the UI's threads.
pub async fn detail(
    state: &AppState,
    id: &str,
    version: &str,
    headers: &HeaderMap,
) -> Result<Page, Error> {
    let Some((package, current)) = reads::current_package(state, id, version).await? else {
        return Ok(Page::not_found(&format!(
            "No package version {id}@{version} is published on this registry."
        )));
    };
    if current.lifecycle.status == "takedown" {
        return Ok(taken_down(id, version, &current.lifecycle));
    }
    let verdict = super::verdict::of_package(state, &package).await?;
    let mut siblings: Vec<PublicationSummary> = state
        .store
        .package_versions(&[id.to_owned()], VERSIONS_PER_ID)
        .await?
        .into_iter()
        .map(|v| v.summary)
        .collect();
    siblings.sort_by(|a, b| verifier::version::compare(&b.package_version, &a.package_version));
    let origin = origin(state, headers);
    let worker_state = state.clone();
    state
        .ui
        .run(move || {
            let computed = compute(&package);
            render_detail(
                &worker_state,
                &package,
                &current,
                &computed,
                &verdict,
                &siblings,
                &origin,
            )
        })
        .await
}

fn taken_down(id: &str, version: &str, lifecycle: &Lifecycle) -> Page {
    let mut extra = Html::new();
    let reason = if lifecycle.reason.is_empty() {
        "No reason was recorded.".to_owned()
    } else {
        lifecycle.reason.clone()
    };
    extra.push_trusted(&format!(
        "<dl class=\"kv\"><div><dt>Package</dt><dd><code>{}@{}</code></dd></div>\
         <div><dt>Status</dt><dd>{}</dd></div><div><dt>Reason</dt><dd class=\"reason\">{}</dd></div>",
        esc(id),
        esc(version),
        lifecycle_badge(&lifecycle.status),
        esc(&reason)
    ));
    if !lifecycle.updated_at.is_empty() {
        extra.push_trusted(&format!(
            "<div><dt>Since</dt><dd>{}</dd></div>",
            time(&lifecycle.updated_at)
        ));
    }
    extra.push_trusted("</dl>");
    if let Some(link) = replacement_link(lifecycle) {
        extra.push_trusted(&format!("<p>Use {link} instead.</p>"));
    }
    extra.push_trusted(
        "<p>Its contents are no longer served. Its receipt stays available to auditors at the JSON API.</p>\
         <p><a href=\"/registry/packages\">Browse packages</a></p>",
    );
    let mut page = Page::message(
        StatusCode::GONE,
        "This version has been taken down",
        &format!("{id}@{version} was taken down by the registry and is no longer available."),
        extra,
    );
    page.title = format!("{id}@{version} taken down");
    page.section = Section::Packages;
    page
}

/// A link to the replacement a lifecycle names, when it is a well-formed id and version.
fn replacement_link(lifecycle: &Lifecycle) -> Option<Html> {
    let r = lifecycle.replacement.as_ref()?;
    if r.package_id.is_empty() {
        return None;
    }
    let label = format!("{}@{}", r.package_id, r.package_version);
    if verifier::validate::is_valid_artifact_id(&r.package_id)
        && verifier::validate::is_valid_version(&r.package_version)
    {
        Some(Html::trusted(format!(
            "<a href=\"{}\"><code>{}</code></a>",
            esc(&artifact_href(
                "packages",
                &r.package_id,
                &r.package_version
            )),
            esc(&label)
        )))
    } else {
        Some(Html::trusted(format!("<code>{}</code>", esc(&label))))
    }
}

fn lifecycle_banner(lifecycle: &Lifecycle) -> Html {
    let (class, what) = match lifecycle.status.as_str() {
        "active" => return Html::new(),
        "superseded" => ("banner-warn", "This version is superseded by a newer one."),
        "deprecated" => ("banner-warn", "This version is deprecated."),
        "yanked" => (
            "banner-danger",
            "This version has been yanked: its downloads and locks are refused unless a client explicitly \
             allows yanked versions.",
        ),
        _ => ("banner-warn", "This version is not active."),
    };
    let mut out = Html::trusted(format!(
        "<div class=\"banner {class}\" role=\"status\" id=\"lifecycle\"><p><strong>{}</strong> {}</p>",
        lifecycle_badge(&lifecycle.status),
        esc(what)
    ));
    if !lifecycle.reason.is_empty() {
        out.push_trusted(&format!(
            "<p>Reason: <span class=\"reason\">{}</span></p>",
            esc(&lifecycle.reason)
        ));
    }
    if let Some(link) = replacement_link(lifecycle) {
        out.push_trusted(&format!("<p>Use {link} instead.</p>"));
    }
    if !lifecycle.updated_at.is_empty() {
        out.push_trusted(&format!(
            "<p class=\"muted\">Since {}",
            time(&lifecycle.updated_at)
        ));
        if !lifecycle.updated_by.is_empty() {
            out.push_trusted(&format!(" by {}", esc(&lifecycle.updated_by)));
        }
        out.push_trusted("</p>");
    }
    out.push_trusted("</div>");
    out
}

fn verdict_html(verification: &Verdict, receipt_key: &str, state: &AppState) -> (Html, Html) {
    let keys = &state.settings.signing.keys;
    let dev_key = keys
        .get(receipt_key)
        .is_some_and(verifier::keys::is_dev_public_key);
    let mut out = Html::new();
    let still_trusted = keys.get(&verification.key_id).is_some();
    match verification.outcome.as_str() {
        "verified" | "legacy" if verification.all_passed() && !still_trusted => {
            out.push_trusted(&format!(
                "<p class=\"verdict verdict-fail\"><strong>✗ Key no longer trusted</strong>: the receipt was \
                 signed with key <code>{}</code>, which this registry no longer lists.</p>",
                esc(&verification.key_id)
            ));
        }
        "verified" if verification.all_passed() => {
            out.push_trusted(&format!(
                "<p class=\"verdict verdict-ok\"><strong>✓ Receipt verifies</strong> against this registry's key \
                 <code>{}</code>: the signature, every digest and the execution signature were recomputed from \
                 the stored documents on the server and match.</p>",
                esc(&verification.key_id)
            ));
        }
        "legacy" if verification.all_passed() => {
            out.push_trusted(&format!(
                "<p class=\"verdict verdict-warn\"><strong>Legacy receipt</strong>: key <code>{}</code> signed \
                 the digests but not the package execution signature.</p>",
                esc(&verification.key_id)
            ));
        }
        _ => {
            let reasons: Vec<String> = verification
                .checks
                .iter()
                .filter(|c| c.status == "fail")
                .map(|c| format!("{}: {}", c.name, c.detail))
                .collect();
            let reason = if reasons.is_empty() {
                verification.reason.clone()
            } else {
                reasons.join("; ")
            };
            out.push_trusted(&format!(
                "<p class=\"verdict verdict-fail\"><strong>✗ Receipt does not verify</strong>: {}</p>",
                esc(&reason)
            ));
        }
    }
    if dev_key {
        out.push_trusted(
            "<p class=\"verdict verdict-warn\"><strong>Development key.</strong> This receipt is signed with the \
             public development key: anyone can sign with it, so it proves nothing about who published this \
             package.</p>",
        );
    }
    let mut checks = Html::trusted(format!(
        "<details class=\"checks\"><summary>{} checks</summary><ul>",
        verification.checks.len()
    ));
    for check in &verification.checks {
        let (class, mark) = match check.status.as_str() {
            "pass" => ("pass", "✓"),
            "warn" => ("warn", "!"),
            _ => ("fail", "✗"),
        };
        checks.push_trusted(&format!(
            "<li class=\"{class}\"><span class=\"mark\" aria-hidden=\"true\">{mark}</span> <code>{}</code> \
             <span class=\"detail\">{}</span></li>",
            esc(&check.name),
            esc(&check.detail)
        ));
    }
    checks.push_trusted("</ul></details>");
    (out, checks)
}

fn capabilities(definition: &Value) -> (usize, Html) {
    let items = definition
        .get("capability_formalizations")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if items.is_empty() {
        return (
            0,
            Html::trusted("<p class=\"muted\">No capabilities are declared.</p>"),
        );
    }
    let text = |c: &Value, key: &str| c.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
    let mut out = Html::trusted("<ul class=\"capabilities\">");
    for c in items {
        let kind = text(c, "kind");
        let effect = text(c, "side_effect_level");
        out.push_trusted(&format!(
            "<li><div class=\"cap-head\"><code class=\"cap-id\">{}</code> <strong>{}</strong></div>",
            esc(&text(c, "capability_id")),
            esc(&text(c, "title"))
        ));
        out.push_trusted("<p class=\"tags\">");
        if !kind.is_empty() {
            out.push_trusted(&format!("<span class=\"tag\">kind: {}</span> ", esc(&kind)));
        }
        if !effect.is_empty() {
            let class = match effect.as_str() {
                "read" | "none" => "tag",
                _ => "tag tag-warn",
            };
            out.push_trusted(&format!(
                "<span class=\"{class}\">side effect: {}</span>",
                esc(&effect)
            ));
        }
        out.push_trusted("</p>");
        let summary = text(c, "summary");
        if !summary.is_empty() {
            out.push_trusted(&format!("<p>{}</p>", esc(&summary)));
        }
        out.push_trusted("</li>");
    }
    out.push_trusted("</ul>");
    (items.len(), out)
}

fn json_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

fn lineage(record: &PackageRecord) -> Html {
    if record.lineage.is_empty() {
        return Html::trusted("<p class=\"muted\">No lineage recorded.</p>");
    }
    let mut out = Html::trusted("<dl class=\"kv\">");
    for (key, value) in &record.lineage {
        let shown = if value.is_string() {
            Html::text(&json_text(value))
        } else {
            Html::trusted(format!(
                "<pre class=\"json\"><code>{}</code></pre>",
                esc(&json_text(value))
            ))
        };
        out.push(&kv(key, &shown));
    }
    out.push_trusted("</dl>");
    out
}

fn sources(record: &PackageRecord) -> Html {
    if record.source_links.is_empty() {
        return Html::trusted("<p class=\"muted\">No source links.</p>");
    }
    let mut out = Html::trusted("<ul class=\"links\">");
    for link in &record.source_links {
        let title = if link.title.is_empty() {
            &link.url
        } else {
            &link.title
        };
        let shown = if is_http_url(&link.url) {
            external_link(&link.url, &Html::text(title))
        } else {
            Html::text(title)
        };
        out.push_trusted(&format!(
            "<li>{shown}<br><span class=\"url\">{}</span></li>",
            esc(&link.url)
        ));
    }
    out.push_trusted("</ul>");
    out
}

fn materials(record: &PackageRecord) -> Html {
    let materials = record.effective_materials();
    if materials.is_empty() {
        return Html::trusted("<p class=\"muted\">None: the package is generated code only.</p>");
    }
    let mut out = Html::trusted("<ul class=\"links\">");
    for m in &materials {
        out.push_trusted("<li>");
        if !m.title.is_empty() {
            out.push_trusted(&format!("<strong>{}</strong><br>", esc(&m.title)));
        }
        out.push_trusted(&format!(
            "<code class=\"hash\">{}</code>",
            esc(&m.reference)
        ));
        if !m.bundle_tree_sha256.is_empty() {
            out.push_trusted(&format!(
                "<br><span class=\"muted\">tree</span> <code class=\"hash\">{}</code>",
                esc(&m.bundle_tree_sha256)
            ));
        }
        out.push_trusted("</li>");
    }
    out.push_trusted("</ul>");
    out
}

fn versions_list(siblings: &[PublicationSummary], current: &str) -> Html {
    let mut out = Html::trusted("<ul class=\"version-list\">");
    for v in siblings {
        let here = v.package_version == current;
        let link = if here {
            format!(
                "<strong aria-current=\"page\">{}</strong>",
                esc(&v.package_version)
            )
        } else {
            format!(
                "<a href=\"{}\">{}</a>",
                esc(&artifact_href(
                    "packages",
                    &v.package_id,
                    &v.package_version
                )),
                esc(&v.package_version)
            )
        };
        let badge = if v.lifecycle.status == "active" {
            Html::new()
        } else {
            lifecycle_badge(&v.lifecycle.status)
        };
        out.push_trusted(&format!(
            "<li>{link} {badge}<span class=\"muted\">{} · {}</span></li>",
            time(&v.published_at),
            esc(&plural(
                usize::try_from(v.download_count).unwrap_or(0),
                "download",
                "downloads"
            ))
        ));
    }
    out.push_trusted("</ul>");
    out
}

fn render_detail(
    state: &AppState,
    package: &StoredPackage,
    current: &PackageState,
    computed: &Computed,
    verification: &Verdict,
    siblings: &[PublicationSummary],
    origin: &str,
) -> Page {
    let record = &computed.record;
    let id = &package.package_id;
    let version = &package.package_version;
    let brief = package
        .card
        .clone()
        .unwrap_or_else(|| crate::cards::package_card(package));
    let name = if brief.name.is_empty() {
        id.clone()
    } else {
        brief.name.clone()
    };
    let description = if brief.description.is_empty() {
        Html::new()
    } else {
        Html::trusted(format!("<p class=\"lede\">{}</p>", esc(&brief.description)))
    };
    let badge = lifecycle_badge(&current.lifecycle.status);
    let resolve = format!(
        "registry resolve {id}@{version} --registry-url {origin} --lock-file anip.lock.json --write-lock"
    );
    let yanked = current.lifecycle.status == "yanked";
    let gate = if yanked { "?allow_yanked=true" } else { "" };
    let lock_href = format!("{}/lock{gate}", api_href("packages", id, version));
    let record_href = format!("{}/download{gate}", api_href("packages", id, version));
    let suffix = if yanked { " (yanked)" } else { "" };
    let downloads_links = Html::trusted(format!(
        "<a class=\"button\" id=\"lock-link\" href=\"{}\">Download lock{suffix}</a> \
         <a class=\"button secondary\" id=\"record-link\" href=\"{}\">Download record{suffix}</a> \
         <a class=\"button secondary\" href=\"{}\">Receipt (JSON)</a>",
        esc(&lock_href),
        esc(&record_href),
        esc(&format!("{}/receipt", api_href("packages", id, version))),
    ));
    let receipt = &package.receipt;
    let (verdict, checks) = verdict_html(verification, &receipt.key_id, state);
    let mut receipt_rows = Html::new();
    for (label, value) in [
        ("Key id", code(&receipt.key_id)),
        ("Issued at", time(&receipt.issued_at)),
        ("Algorithm", code(&receipt.signature_algorithm)),
        ("Receipt id", code(&receipt.receipt_id)),
        ("Signature", code(&receipt.registry_signature)),
    ] {
        receipt_rows.push(&kv(label, &value));
    }
    let mut digests = Html::new();
    for (label, value) in [
        ("Definition digest", &package.definition_digest),
        ("Manifest digest", &package.manifest_digest),
        ("Lock digest", &package.lock_digest),
        ("Execution signature", &package.package_execution_signature),
        ("Contract signature", &package.contract_signature),
    ] {
        digests.push(&kv(label, &code(value)));
    }
    let mut project = Html::new();
    for (label, value) in [
        ("Project", &package.project_ref),
        ("Product revision", &package.product_revision_ref),
        ("Developer revision", &package.developer_revision_ref),
    ] {
        project.push(&kv(label, &code(value)));
    }
    let (capability_count, capability_list) = capabilities(&record.service_definition);
    let readme = if package.readme.trim().is_empty() {
        Html::trusted("<p class=\"muted\">No README.</p>")
    } else {
        computed.readme.clone()
    };
    let crumb = Html::text(&format!("{id}@{version}"));
    let content = fill(
        DETAIL,
        &[
            ("crumb", &crumb),
            ("name", &Html::text(&name)),
            ("id", &Html::text(id)),
            ("version", &Html::text(version)),
            ("badge", &badge),
            ("description", &description),
            (
                "publisher",
                &publisher(&package.publisher_id, &package.publisher_type),
            ),
            ("published", &time(&package.published_at)),
            (
                "downloads",
                &Html::text(&current.download_count.to_string()),
            ),
            (
                "capability_count",
                &Html::text(&capability_count.to_string()),
            ),
            ("schema", &Html::text(&package.schema_version)),
            ("lifecycle", &lifecycle_banner(&current.lifecycle)),
            ("resolve", &Html::text(&resolve)),
            ("downloads_links", &downloads_links),
            ("verdict", &verdict),
            ("receipt", &receipt_rows),
            ("checks", &checks),
            ("digests", &digests),
            ("capabilities", &capability_list),
            ("readme", &readme),
            ("versions", &versions_list(siblings, version)),
            ("sources", &sources(record)),
            ("project", &project),
            ("lineage", &lineage(record)),
            ("materials", &materials(record)),
        ],
    );
    Page::ok(format!("{id}@{version}"), Section::Packages, content)
}
