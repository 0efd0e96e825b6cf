//! The browser UI: server-rendered HTML pages, usable without JavaScript, from the templates and the one stylesheet
//! under the repository's `ui/` directory (embedded in the binary at compile time).
//!
//! Pages: the package list with search and pagination, a package version (identity, lifecycle, receipt verified on
//! the server, digests, capabilities, README, links, lineage, downloads and the `registry resolve` command), the
//! template list and a template version, the signing keys, and full registry pages for 404, 410 (takedown) and 503.
//! Every response carries a Content-Security-Policy that allows nothing but this registry's own stylesheet and icon:
//! no script runs and no other host is contacted, whatever a README holds.

pub mod html;
pub mod keys;
pub mod markdown;
pub mod package_detail;
pub mod packages;
pub mod pool;
pub mod templates;
pub mod verdict;

use std::sync::OnceLock;

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, HOST, IF_NONE_MATCH,
    REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::Error;
use crate::state::AppState;
use html::{Html, esc, fill};

/// The page shell.
const LAYOUT: &str = include_str!("../../../ui/templates/layout.html");
/// The stylesheet, the UI's only asset besides the icon.
pub const STYLESHEET: &str = include_str!("../../../ui/assets/style.css");
/// The icon.
pub const FAVICON: &str = include_str!("../../../ui/assets/favicon.svg");
/// A message page (404, 410, 503).
const MESSAGE: &str = include_str!("../../../ui/templates/message.html");

/// Where the stylesheet is served.
pub const STYLESHEET_PATH: &str = "/registry/assets/style.css";
/// Where the icon is served.
pub const FAVICON_PATH: &str = "/registry/assets/favicon.svg";

/// What every page may load: its own stylesheet and icon, nothing else; no script, no frame, forms only to itself.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; \
                   frame-ancestors 'none'";

/// The navigation sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Packages.
    Packages,
    /// Templates.
    Templates,
    /// Keys.
    Keys,
    /// None of them (error pages).
    None,
}

/// A rendered page before the shell goes around it.
#[derive(Debug, Clone)]
pub struct Page {
    /// HTTP status.
    pub status: StatusCode,
    /// What the title names before ` · ANIP Registry`.
    pub title: String,
    /// Highlighted navigation entry.
    pub section: Section,
    /// The contents of `<main>`.
    pub content: Html,
}

impl Page {
    /// A 200 page.
    pub fn ok(title: impl Into<String>, section: Section, content: Html) -> Self {
        Page {
            status: StatusCode::OK,
            title: title.into(),
            section,
            content,
        }
    }

    /// A page that says what went wrong: a heading, a paragraph of (escaped) text and optional extra markup.
    pub fn message(status: StatusCode, heading: &str, text: &str, extra: Html) -> Self {
        let content = fill(
            MESSAGE,
            &[
                ("code", &Html::text(&status.as_u16().to_string())),
                ("heading", &Html::text(heading)),
                ("text", &Html::text(text)),
                ("extra", &extra),
            ],
        );
        Page {
            status,
            title: heading.to_owned(),
            section: Section::None,
            content,
        }
    }

    /// The 404 page.
    pub fn not_found(what: &str) -> Self {
        Page::message(
            StatusCode::NOT_FOUND,
            "Not found",
            what,
            Html::trusted(
                "<p><a href=\"/registry/packages\">Browse packages</a> · <a href=\"/registry/templates\">Browse \
                 templates</a></p>",
            ),
        )
    }

    /// The page for a failure of the store or the server (503 or 500), without internal details.
    pub fn error(error: &Error) -> Self {
        let status = error.status();
        if status == StatusCode::NOT_FOUND {
            return Page::not_found(&error.to_string());
        }
        let message = error
            .body()
            .get("error")
            .and_then(|m| m.as_str())
            .unwrap_or("something went wrong")
            .to_owned();
        let heading = if status == StatusCode::SERVICE_UNAVAILABLE {
            "Registry temporarily unavailable"
        } else {
            "Something went wrong"
        };
        if status.is_server_error() {
            tracing::error!(code = error.code(), cause = %error, "ui page failed");
        }
        Page::message(status, heading, &message, Html::new())
    }
}

fn nav(section: Section) -> Html {
    let mut out = Html::new();
    for (entry, href, label) in [
        (Section::Packages, "/registry/packages", "Packages"),
        (Section::Templates, "/registry/templates", "Templates"),
        (Section::Keys, "/registry/keys", "Keys"),
    ] {
        let current = if entry == section {
            " aria-current=\"page\""
        } else {
            ""
        };
        out.push_trusted(&format!("      <a href=\"{href}\"{current}>{label}</a>\n"));
    }
    out
}

fn mode_pill(state: &AppState) -> Html {
    let signing = &state.settings.signing;
    let mode = state.settings.mode.as_str();
    let class = if signing.dev_key || mode == "dev" {
        "mode mode-dev"
    } else {
        "mode mode-production"
    };
    Html::trusted(format!(
        "<a class=\"{class}\" href=\"/registry/keys\" title=\"Signing mode and keys\">signing: {}</a>",
        esc(mode)
    ))
}

/// The warning every page shows in dev mode, louder when receipts are signed with the public development key.
fn banner(state: &AppState) -> Html {
    let signing = &state.settings.signing;
    if signing.dev_key {
        Html::trusted(
            "<div class=\"banner banner-danger\" role=\"alert\"><strong>Development registry.</strong> Receipts \
             here are signed with the <strong>public development key</strong>: anyone can sign with it, so they \
             prove nothing. Do not use packages from this registry in production. <a href=\"/registry/keys\">\
             Signing keys</a></div>",
        )
    } else if state.settings.mode.as_str() == "dev" {
        Html::trusted(
            "<div class=\"banner banner-warn\" role=\"status\"><strong>Development mode.</strong> This registry \
             runs in signing mode <code>dev</code>; its receipts are signed with a real key, but its \
             configuration is not checked as in production. <a href=\"/registry/keys\">Signing keys</a></div>",
        )
    } else {
        Html::new()
    }
}

fn footer(state: &AppState) -> Html {
    let signing = &state.settings.signing;
    Html::trusted(format!(
        "ANIP trust registry · signing mode <code>{}</code> · active key <a href=\"/registry/keys\"><code>{}</code></a>",
        esc(state.settings.mode.as_str()),
        esc(signing.signer.key_id().as_str())
    ))
}

/// A short content hash, for cache-busting asset URLs and ETags.
fn asset_version(content: &'static str, cell: &'static OnceLock<String>) -> &'static str {
    cell.get_or_init(|| crate::handlers::short_hash(&[content]))
}

static STYLESHEET_VERSION: OnceLock<String> = OnceLock::new();
static FAVICON_VERSION: OnceLock<String> = OnceLock::new();

/// The whole page: the shell around `page`, with security headers.
pub fn respond(state: &AppState, page: Page) -> Response {
    let title = if page.title.is_empty() {
        "ANIP Registry".to_owned()
    } else {
        format!("{} · ANIP Registry", page.title)
    };
    let stylesheet = Html::text(&format!(
        "{STYLESHEET_PATH}?v={}",
        asset_version(STYLESHEET, &STYLESHEET_VERSION)
    ));
    let favicon = Html::text(&format!(
        "{FAVICON_PATH}?v={}",
        asset_version(FAVICON, &FAVICON_VERSION)
    ));
    let body = fill(
        LAYOUT,
        &[
            ("title", &Html::text(&title)),
            ("stylesheet", &stylesheet),
            ("favicon", &favicon),
            ("nav", &nav(page.section)),
            ("mode", &mode_pill(state)),
            ("banner", &banner(state)),
            ("content", &page.content),
            ("footer", &footer(state)),
        ],
    );
    let mut response = (page.status, body.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    security_headers(headers);
    response
}

fn security_headers(headers: &mut HeaderMap) {
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
}

/// A page, or the error page for what went wrong building it.
pub fn respond_result(state: &AppState, page: Result<Page, Error>) -> Response {
    match page {
        Ok(page) => respond(state, page),
        Err(error) => {
            let code = crate::error::ErrorCode(error.code());
            let mut response = respond(state, Page::error(&error));
            // For the request log, the metrics and the store's circuit breaker.
            response.extensions_mut().insert(code);
            response
        }
    }
}

/// The stylesheet, cached for a year (its URL carries its content hash).
pub fn stylesheet(request_headers: &HeaderMap) -> Response {
    asset(
        request_headers,
        STYLESHEET,
        "text/css; charset=utf-8",
        asset_version(STYLESHEET, &STYLESHEET_VERSION),
    )
}

/// The icon, cached for a year.
pub fn favicon(request_headers: &HeaderMap) -> Response {
    asset(
        request_headers,
        FAVICON,
        "image/svg+xml",
        asset_version(FAVICON, &FAVICON_VERSION),
    )
}

/// An embedded asset with a year-long immutable cache and an ETag.
fn asset(
    request_headers: &HeaderMap,
    content: &'static str,
    content_type: &'static str,
    version: &str,
) -> Response {
    let etag = format!("\"{version}\"");
    let matches = request_headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, content).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, v);
    }
    security_headers(headers);
    response
}

/// `<scheme>://<host>` of this registry as its users reach it: the configured public URL, else the request's host
/// (forwarded headers only when trusted), as the served locks do.
pub fn origin(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(base) = &state.settings.public_base_url {
        return base.clone();
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let trusted = state.settings.trust_forwarded_headers;
    let scheme = trusted
        .then(|| header("x-forwarded-proto"))
        .flatten()
        .unwrap_or_else(|| "http".to_owned());
    let host = trusted
        .then(|| header("x-forwarded-host"))
        .flatten()
        .or_else(|| header(HOST.as_str()))
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{scheme}://{host}")
}

/// The `{id}/{version}` after `prefix` in a UI path: two segments (a namespaced id as one `%2F`-encoded segment) or
/// three (`{ns}/{name}/{version}`), percent-decoded and checked against the id and version grammar.
pub fn artifact_from_path(path: &str, prefix: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix(prefix)?;
    let segments: Vec<String> = rest
        .split('/')
        .map(|s| html::percent_decode(s, false))
        .collect();
    let (id, version) = match segments.as_slice() {
        [id, version] => (id.clone(), version.clone()),
        [ns, name, version] if !ns.contains('/') && !name.contains('/') => {
            (format!("{ns}/{name}"), version.clone())
        }
        _ => return None,
    };
    (verifier::validate::is_valid_artifact_id(&id)
        && verifier::validate::is_valid_version(&version))
    .then_some((id, version))
}

/// Where a UI page of an artifact lives: `/registry/<kind>/{id}/{version}` (a namespaced id as two segments).
pub fn artifact_href(kind: &str, id: &str, version: &str) -> String {
    let id = id
        .split('/')
        .map(html::encode_segment)
        .collect::<Vec<_>>()
        .join("/");
    format!("/registry/{kind}/{id}/{}", html::encode_segment(version))
}

/// Where the API serves an artifact: `/registry-api/v1/<kind>/{id}/{version}` (a namespaced id as one `%2F`
/// segment, as ANIP's clients send it).
pub fn api_href(kind: &str, id: &str, version: &str) -> String {
    format!(
        "/registry-api/v1/{kind}/{}/{}",
        html::encode_segment(id),
        html::encode_segment(version)
    )
}

/// A lifecycle badge (`superseded`, `deprecated`, `yanked`, `takedown`; anything unknown is shown as it is).
pub fn lifecycle_badge(status: &str) -> Html {
    let class = match status {
        "active" => "badge-active",
        "superseded" | "deprecated" => "badge-warn",
        "yanked" | "takedown" => "badge-danger",
        _ => "badge-other",
    };
    Html::trusted(format!(
        "<span class=\"badge {class}\">{}</span>",
        esc(status)
    ))
}

/// The publisher, as `id (type)`.
pub fn publisher(id: &str, kind: &str) -> Html {
    match (id.is_empty(), kind.is_empty()) {
        (true, _) => Html::trusted("<span class=\"muted\">unknown</span>"),
        (false, true) => Html::text(id),
        (false, false) => Html::trusted(format!(
            "{} <span class=\"muted\">({})</span>",
            esc(id),
            esc(kind)
        )),
    }
}

/// One `<dt>`/`<dd>` pair.
pub fn kv(label: &str, value: &Html) -> Html {
    Html::trusted(format!(
        "<div><dt>{}</dt><dd>{value}</dd></div>",
        esc(label)
    ))
}

/// A hash or an id in `<code>` (or a muted "none").
pub fn code(text: &str) -> Html {
    if text.is_empty() {
        Html::trusted("<span class=\"muted\">none</span>")
    } else {
        Html::trusted(format!("<code class=\"hash\">{}</code>", esc(text)))
    }
}

/// `1 package`, `2 packages`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A `<time>` element for an RFC 3339 timestamp, shown as `YYYY-MM-DD HH:MM UTC`.
pub fn time(rfc3339: &str) -> Html {
    let shown = match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(day), Some(clock)) if rfc3339.ends_with('Z') => format!("{day} {clock} UTC"),
        _ => rfc3339.to_owned(),
    };
    Html::trusted(format!(
        "<time datetime=\"{}\">{}</time>",
        esc(rfc3339),
        esc(&shown)
    ))
}

/// What a list page (packages or templates) shows: search box, count line, cards or an empty note, pagination.
#[derive(Debug)]
pub(crate) struct ListView<'a> {
    /// The page's HTML template (with `query`, `clear`, `count`, `results`, `pagination`).
    pub(crate) template: &'static str,
    /// The list's path, such as `/registry/packages`.
    pub(crate) base: &'static str,
    /// The heading, such as `Packages`.
    pub(crate) heading: &'static str,
    /// Singular and plural of what is listed, such as `package` / `packages`.
    pub(crate) nouns: (&'static str, &'static str),
    /// Where in the navigation the page is.
    pub(crate) section: Section,
    /// The search query (empty for none).
    pub(crate) q: &'a str,
    /// The count line.
    pub(crate) count: String,
    /// The cards of this page.
    pub(crate) cards: Vec<Html>,
    /// The note (trusted HTML) when nothing is published at all.
    pub(crate) nothing_published: &'static str,
    /// This page and the number of pages.
    pub(crate) page: usize,
    /// Number of pages.
    pub(crate) pages: usize,
}

/// The link to `page` of a list at `base` for query `q`.
pub(crate) fn list_href(base: &str, q: &str, page: usize) -> String {
    match (q.is_empty(), page) {
        (true, 1) => base.to_owned(),
        (true, _) => format!("{base}?page={page}"),
        (false, 1) => format!("{base}?q={}", html::encode_query_value(q)),
        (false, _) => format!("{base}?q={}&page={page}", html::encode_query_value(q)),
    }
}

/// Renders a list page.
pub(crate) fn render_list(view: ListView<'_>) -> Page {
    let ListView {
        template,
        base,
        heading,
        nouns,
        section,
        q,
        count,
        cards,
        nothing_published,
        page,
        pages,
    } = view;
    let mut results = Html::new();
    if cards.is_empty() {
        results.push_trusted(&if q.is_empty() {
            nothing_published.to_owned()
        } else {
            format!(
                "<p class=\"empty\">No {} matches “{}”. <a href=\"{base}\">Show all {}</a>.</p>",
                nouns.0,
                html::esc(q),
                nouns.1
            )
        });
    } else {
        results.push_trusted("<ol class=\"cards\">\n");
        for card in &cards {
            results.push(card);
        }
        results.push_trusted("</ol>\n");
    }
    let clear = if q.is_empty() {
        Html::new()
    } else {
        Html::trusted(format!("<a class=\"clear\" href=\"{base}\">Clear</a>"))
    };
    let content = html::fill(
        template,
        &[
            ("query", &Html::text(q)),
            ("clear", &clear),
            ("count", &Html::text(&count)),
            ("results", &results),
            (
                "pagination",
                &pagination_links(page, pages, |p| list_href(base, q, p)),
            ),
        ],
    );
    let title = if q.is_empty() {
        heading.to_owned()
    } else {
        format!("{heading} matching “{q}”")
    };
    Page::ok(title, section, content)
}

/// Previous / "Page N of M" / Next, as plain links.
pub(crate) fn pagination_links(page: usize, pages: usize, href: impl Fn(usize) -> String) -> Html {
    if pages <= 1 {
        return Html::new();
    }
    let mut out = Html::trusted("<nav class=\"pagination\" aria-label=\"Pages\">");
    if page > 1 {
        out.push_trusted(&format!(
            "<a rel=\"prev\" href=\"{}\">← Previous</a>",
            esc(&href(page - 1))
        ));
    } else {
        out.push_trusted("<span class=\"disabled\">← Previous</span>");
    }
    out.push_trusted(&format!(
        "<span class=\"where\">Page {page} of {pages}</span>"
    ));
    if page < pages {
        out.push_trusted(&format!(
            "<a rel=\"next\" href=\"{}\">Next →</a>",
            esc(&href(page + 1))
        ));
    } else {
        out.push_trusted("<span class=\"disabled\">Next →</span>");
    }
    out.push_trusted("</nav>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_paths() {
        let p = "/registry/packages/";
        let got = |path: &str| artifact_from_path(path, p);
        assert_eq!(
            got("/registry/packages/a/1.0.0"),
            Some(("a".into(), "1.0.0".into()))
        );
        assert_eq!(
            got("/registry/packages/ns/a/1.0.0"),
            Some(("ns/a".into(), "1.0.0".into()))
        );
        assert_eq!(
            got("/registry/packages/ns%2Fa/1.0.0"),
            Some(("ns/a".into(), "1.0.0".into()))
        );
        assert_eq!(
            got("/registry/packages/ns%2fa/1.0.0-rc.1"),
            Some(("ns/a".into(), "1.0.0-rc.1".into()))
        );
        assert_eq!(got("/registry/packages/ns%2Fa/b/1.0.0"), None);
        assert_eq!(got("/registry/packages/a/b/c/1.0.0"), None);
        assert_eq!(got("/registry/packages/A/1.0.0"), None);
        assert_eq!(got("/registry/packages/a/latest"), None);
        assert_eq!(
            artifact_href("packages", "ns/a", "1.0.0+b"),
            "/registry/packages/ns/a/1.0.0%2Bb"
        );
        assert_eq!(
            api_href("packages", "ns/a", "1.0.0"),
            "/registry-api/v1/packages/ns%2Fa/1.0.0"
        );
    }

    #[test]
    fn times() {
        assert_eq!(
            time("2026-06-06T06:29:57Z").as_str(),
            "<time datetime=\"2026-06-06T06&#58;29&#58;57Z\">2026-06-06 06&#58;29 UTC</time>"
        );
    }
}
