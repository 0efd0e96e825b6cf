//! The browser UI: server-rendered HTML pages, usable without JavaScript, from the `askama` templates and the one
//! stylesheet under the repository's `ui/` directory (compiled into the binary). Each page is a template (a struct
//! of plain values here, its markup in `ui/templates/<page>.html`), rendered into `layout.html`; small shared pieces
//! are macros in `macros.html` and includes. Values are escaped by default (see [`html`]).
//!
//! Pages: the package list with search and pagination, a package version (identity, lifecycle, receipt verified on
//! the server, digests, capabilities, README, links, lineage, downloads and the `registry resolve` command), the
//! template list and a template version, the signing keys, and full registry pages for 404, 410 (takedown) and 503.
//! Every response carries a Content-Security-Policy that allows nothing but this registry's own stylesheet and icon:
//! no script runs and no other host is contacted, whatever a README holds.

pub mod html;
pub mod id_versions;
pub mod keys;
pub mod log;
pub mod markdown;
pub mod package_detail;
pub mod packages;
pub mod parts;
pub mod pool;
pub mod publisher;
pub mod templates;
pub mod verdict;

use std::sync::OnceLock;

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::Error;
use crate::state::AppState;
use html::Html;
pub use parts::*;

/// The stylesheet, the UI's only asset besides the icon.
pub const STYLESHEET: &str = include_str!("../../../ui/assets/style.css");
/// The icon.
pub const FAVICON: &str = include_str!("../../../ui/assets/favicon.svg");

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
    /// The transparency log.
    Log,
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

    /// A page that says what went wrong: a heading, a paragraph of text and what follows it.
    pub fn message(status: StatusCode, heading: &str, text: &str, extra: Extra) -> Self {
        let content = render(&Message {
            code: status.as_u16(),
            heading,
            text,
            extra,
        });
        Page {
            status,
            title: heading.to_owned(),
            section: Section::None,
            content,
        }
    }

    /// The 404 page.
    pub fn not_found(what: &str) -> Self {
        Page::message(StatusCode::NOT_FOUND, "Not found", what, Extra::Browse)
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
        Page::message(status, heading, &message, Extra::None)
    }
}

#[derive(askama::Template)]
#[template(path = "message.html")]
struct Message<'a> {
    code: u16,
    heading: &'a str,
    text: &'a str,
    extra: Extra,
}

/// The navigation entries: section, link and label.
pub(crate) const NAV: [(Section, &str, &str); 4] = [
    (Section::Packages, "/registry/packages", "Packages"),
    (Section::Templates, "/registry/templates", "Templates"),
    (Section::Keys, "/registry/keys", "Keys"),
    (Section::Log, "/registry/log", "Log"),
];

/// The page shell: head, navigation, signing-mode pill and banner, the page, footer.
#[derive(askama::Template)]
#[template(path = "layout.html")]
struct Layout<'a> {
    title: &'a str,
    stylesheet: String,
    favicon: String,
    section: Section,
    mode: &'a str,
    dev_key: bool,
    key_id: &'a str,
    content: &'a Html,
}

/// Renders a template into markup (a template only fails when a value's `Display` does, which ours never do).
pub(crate) fn render(template: &impl askama::Template) -> Html {
    match template.render() {
        Ok(markup) => Html::trusted(markup),
        Err(error) => {
            tracing::error!(%error, "ui template failed to render");
            Html::default()
        }
    }
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
    let signing = &state.settings.signing;
    let body = render(&Layout {
        title: &title,
        stylesheet: format!(
            "{STYLESHEET_PATH}?v={}",
            asset_version(STYLESHEET, &STYLESHEET_VERSION)
        ),
        favicon: format!(
            "{FAVICON_PATH}?v={}",
            asset_version(FAVICON, &FAVICON_VERSION)
        ),
        section: page.section,
        mode: state.settings.mode.as_str(),
        dev_key: signing.dev_key,
        key_id: signing.signer.key_id().as_str(),
        content: &page.content,
    });
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
    let mut response = crate::handlers::with_etag(
        request_headers,
        version,
        crate::handlers::Caching::Immutable,
        || (StatusCode::OK, content).into_response(),
    );
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    security_headers(headers);
    response
}

/// `<scheme>://<host>` of this registry as its users reach it ([`AppState::public_origin`], as the served locks say).
pub fn origin(state: &AppState, headers: &HeaderMap) -> String {
    state.public_origin(headers)
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
        assert_eq!(
            got("/registry/packages/ns%2Fa/b/1.0.0"),
            Some(("ns/a/b".into(), "1.0.0".into()))
        );
        assert_eq!(
            got("/registry/packages/acme/tools/superset/1.0.0"),
            Some(("acme/tools/superset".into(), "1.0.0".into()))
        );
        assert_eq!(got("/registry/packages/1.0.0"), None);
        let id = |path: &str| id_from_path(path, p);
        assert_eq!(
            id("/registry/packages/acme/tools/superset").as_deref(),
            Some("acme/tools/superset")
        );
        assert_eq!(
            id("/registry/packages/acme%2F1.0.0").as_deref(),
            Some("acme/1.0.0")
        );
        assert_eq!(id("/registry/packages/a//b"), None);
        assert_eq!(id("/registry/packages/A"), None);
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
        assert_eq!(shown_time("2026-06-06T06:29:57Z"), "2026-06-06 06:29 UTC");
        assert_eq!(shown_time("yesterday"), "yesterday");
    }

    /// Template values go through the strict escaper (`:` and `=` too), not askama's default one.
    #[test]
    fn templates_escape_strictly() {
        let page = Page::message(
            StatusCode::NOT_FOUND,
            "<b>x</b>",
            "javascript:alert(1) onerror=x",
            Extra::None,
        );
        let out = page.content.as_str();
        assert!(out.contains("<h1>&lt;b&gt;x&lt;/b&gt;</h1>"), "{out}");
        assert!(
            out.contains("javascript&#58;alert(1) onerror&#61;x"),
            "{out}"
        );
    }

    /// Nothing in a template bypasses escaping but [`Html::markup`].
    #[test]
    fn templates_never_mark_values_safe() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for bad in ["|safe", "| safe", "|escape(\"txt\")", "|e(\"txt\")"] {
                assert!(!text.contains(bad), "{} uses {bad}", path.display());
            }
        }
    }
}
