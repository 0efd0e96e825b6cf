//! The browser UI over real HTTP: every page's status and title, search, pagination, the package page's trust
//! panels, lifecycle (410 for a takedown), keys in dev and production mode, templates, and hostile text in every
//! field a publisher controls rendered inert. Each test runs its own registry in-process on `127.0.0.1:0` over a
//! fresh SQLite file, like the API tests' harness.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unreachable_pub
)] // test code

use clap::Parser as _;
use registry_server::config::Config;
use registry_server::ui::html::escape;
use reqwest::header::HeaderMap;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection as _;
use tokio::sync::oneshot;

const TOKEN: &str = "test-publish-token-0123456789abcdef-0123456789";

/// A registry served in-process.
struct App {
    base: String,
    database_url: String,
    client: Client,
    shutdown: Option<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// One fetched page.
struct Fetched {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Fetched {
    fn title(&self) -> &str {
        let start = self.body.find("<title>").map_or(0, |i| i + 7);
        let end = self.body[start..]
            .find("</title>")
            .map_or(start, |i| start + i);
        &self.body[start..end]
    }

    /// Asserts the status, a full registry page and a title that names the registry.
    fn check(&self, status: StatusCode, what: &str) -> &Self {
        assert_eq!(self.status, status, "{what}: {}", self.body);
        assert!(
            self.title().contains("ANIP Registry"),
            "{what}: title {:?}",
            self.title()
        );
        assert_eq!(
            self.headers["content-type"], "text/html; charset=utf-8",
            "{what}"
        );
        assert!(
            self.headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'"),
            "{what}"
        );
        for part in [
            "<header class=\"site\">",
            ">Packages</a>",
            ">Templates</a>",
            ">Keys</a>",
        ] {
            assert!(self.body.contains(part), "{what}: no {part}");
        }
        self
    }

    fn contains(&self, text: &str) -> bool {
        self.body.contains(text)
    }

    /// Asserts the page contains `text` as it is displayed (escaped in the source).
    fn shows(&self, text: &str) -> &Self {
        assert!(
            self.body.contains(&escape(text)),
            "the page does not show {text:?}"
        );
        self
    }

    fn cards(&self) -> usize {
        self.body.matches("<li class=\"card\">").count()
    }
}

async fn spawn(extra: &[&str]) -> App {
    registry_server::telemetry::init_for_test();
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}", dir.path().join("registry.db").display());
    let mut args = vec![
        "registry-server",
        "--addr",
        "127.0.0.1:0",
        "--database-url",
        &database_url,
        "--publish-token",
        TOKEN,
        "--log-format",
        "text",
    ];
    args.extend_from_slice(extra);
    let settings = Config::try_parse_from(args).unwrap().settings().unwrap();
    let state = registry_server::prepare(settings).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        registry_server::run(state, listener, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    App {
        base,
        database_url,
        client: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        shutdown: Some(tx),
        _dir: dir,
    }
}

impl App {
    async fn fetch(&self, path: &str) -> Fetched {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        Fetched {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }

    async fn publish(&self, request: &Value) -> Value {
        let response = self
            .client
            .post(format!("{}/registry-api/v1/publications", self.base))
            .bearer_auth(TOKEN)
            .json(request)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "publish: {body}");
        body
    }

    async fn publish_template(&self, request: &Value) -> Value {
        let response = self
            .client
            .post(format!("{}/registry-api/v1/templates", self.base))
            .bearer_auth(TOKEN)
            .json(request)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "template publish: {body}");
        body
    }

    async fn api_json(&self, path: &str) -> Value {
        self.client
            .get(format!("{}/registry-api/v1{path}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Sets a version's lifecycle straight in the store, as the API's lifecycle tests do.
    async fn set_lifecycle(
        &self,
        id: &str,
        version: &str,
        status: &str,
        reason: &str,
        replacement: Option<(&str, &str)>,
    ) {
        let mut db = sqlx::SqliteConnection::connect(&self.database_url)
            .await
            .unwrap();
        sqlx::query(
            "UPDATE packages SET lifecycle_status = ?, lifecycle_reason = ?, replacement_package_id = ?, \
             replacement_package_version = ?, lifecycle_updated_at = '2026-06-01T00:00:00Z', \
             lifecycle_updated_by = 'registry-admin' WHERE package_id = ? AND package_version = ?",
        )
        .bind(status)
        .bind(reason)
        .bind(replacement.map(|r| r.0))
        .bind(replacement.map(|r| r.1))
        .bind(id)
        .bind(version)
        .execute(&mut db)
        .await
        .unwrap();
    }
}

/// The demo publish request under `id` and `version`, as JSON to modify.
fn demo(id: &str, version: &str) -> Value {
    serde_json::to_value(registry_server::demo::demo_request(id, version).unwrap()).unwrap()
}

/// The demo request with its capabilities renamed (`work_item.*` → `<prefix>.*`) everywhere they are named.
fn demo_with_capabilities(id: &str, version: &str, prefix: &str) -> Value {
    let text = serde_json::to_string(&demo(id, version))
        .unwrap()
        .replace("work_item.", &format!("{prefix}."));
    serde_json::from_str(&text).unwrap()
}

fn template_fixture() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/anip/templates/github-fronting-starter-0.1.0.anip-template.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// No hostile markup, attribute or scheme survives anywhere in the page source.
fn assert_inert(page: &Fetched, what: &str) {
    let lower = page.body.to_ascii_lowercase();
    for bad in [
        "<script",
        "onerror=",
        "onclick=",
        "onload=",
        "javascript:",
        "vbscript:",
        "data:text",
        "<img",
        "<iframe",
        "<svg",
        "<object",
        "<style",
        " style=",
    ] {
        assert!(!lower.contains(bad), "{what}: {bad:?} in the page");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_answers_with_its_status_and_a_registry_title() {
    let app = spawn(&["--seed-demo"]).await;
    app.publish(&demo("acme/widget", "1.0.0")).await;
    app.publish_template(&template_fixture()).await;

    let root = app.fetch("/").await;
    assert_eq!(root.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(root.headers["location"], "/registry");
    for path in ["/registry", "/registry/"] {
        let page = app.fetch(path).await;
        assert_eq!(page.status, StatusCode::MOVED_PERMANENTLY, "{path}");
        assert_eq!(page.headers["location"], "/registry/packages", "{path}");
    }
    for path in [
        "/registry/packages",
        "/registry/packages?q=demo",
        "/registry/packages?page=7",
        "/registry/packages/work-item-fronting-demo/0.1.0",
        "/registry/packages/acme/widget/1.0.0",
        "/registry/packages/acme%2Fwidget/1.0.0",
        "/registry/templates",
        "/registry/templates?q=github",
        "/registry/templates/github-fronting-starter/0.1.0",
        "/registry/keys",
    ] {
        app.fetch(path).await.check(StatusCode::OK, path);
    }
    for path in [
        "/registry/nothing-here",
        "/registry/packages/",
        "/registry/packages/only-an-id",
        "/registry/packages/work-item-fronting-demo/9.9.9",
        "/registry/packages/work-item-fronting-demo/not-semver",
        "/registry/packages/Bad_ID/1.0.0",
        "/registry/packages/a/b/c/1.0.0",
        "/registry/packages/acme%2Fwidget/x/1.0.0",
        "/registry/templates/github-fronting-starter/9.9.9",
        "/registry/assets/missing.css",
    ] {
        app.fetch(path)
            .await
            .check(StatusCode::NOT_FOUND, path)
            .shows("Not found");
    }

    // The one stylesheet: long-lived (its URL carries its hash), revalidated by ETag.
    let list = app.fetch("/registry/packages").await;
    let href_at = list.body.find("/registry/assets/style.css?v").unwrap();
    let href_end = href_at + list.body[href_at..].find('"').unwrap();
    let href = list.body[href_at..href_end].replace("&#61;", "=");
    let css = app.fetch(&href).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers["content-type"], "text/css; charset=utf-8");
    assert_eq!(
        css.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(css.body.contains(".card"));
    let etag = css.headers["etag"].clone();
    let revalidated = app
        .client
        .get(format!("{}{href}", app.base))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    // The UI's assets revalidate by the same rule as the API: `*` and weak tags match too.
    let weak = format!("W/{}", css.headers["etag"].to_str().unwrap());
    for tag in [weak.as_str(), "*"] {
        let revalidated = app
            .client
            .get(format!("{}{href}", app.base))
            .header("if-none-match", tag)
            .send()
            .await
            .unwrap();
        assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED, "{tag}");
        assert_eq!(
            revalidated.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
    }
    assert_eq!(
        app.fetch("/registry/assets/favicon.svg").await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_by_id_capability_name_and_publisher() {
    let app = spawn(&[]).await;
    app.publish(&demo_with_capabilities(
        "ledger-service",
        "1.0.0",
        "ledger_entry",
    ))
    .await;
    app.publish(&demo_with_capabilities(
        "ledger-service",
        "1.1.0",
        "ledger_entry",
    ))
    .await;
    app.publish(&demo("orders-service", "2.0.0")).await;

    let all = app.fetch("/registry/packages").await;
    all.check(StatusCode::OK, "list")
        .shows("2 packages · 3 versions");
    assert_eq!(all.cards(), 2);

    // By id.
    let by_id = app.fetch("/registry/packages?q=LEDGER").await;
    by_id.check(StatusCode::OK, "by id");
    assert_eq!(by_id.cards(), 1);
    assert!(by_id.contains(">ledger-service</a>"));
    by_id.shows("1 package · 2 versions matching “LEDGER”");
    // The card shows the latest version (highest SemVer) and both versions.
    assert!(by_id.contains("<span class=\"version\">1.1.0</span>"));

    // By capability id, only in the service definition of one package.
    let by_capability = app.fetch("/registry/packages?q=ledger_entry.search").await;
    assert_eq!(by_capability.cards(), 1);
    assert!(by_capability.contains(">ledger-service</a>"));
    let other_capability = app
        .fetch("/registry/packages?q=work_item.prepare_update")
        .await;
    assert_eq!(other_capability.cards(), 1);
    assert!(other_capability.contains(">orders-service</a>"));
    // By capability title, by two terms that must both match, by the manifest name, by publisher.
    assert_eq!(
        app.fetch("/registry/packages?q=prepare+work+item+update")
            .await
            .cards(),
        2
    );
    assert_eq!(
        app.fetch("/registry/packages?q=orders%20search")
            .await
            .cards(),
        1
    );
    assert_eq!(
        app.fetch("/registry/packages?q=Fronting+Demo")
            .await
            .cards(),
        2
    );
    assert_eq!(
        app.fetch("/registry/packages?q=studio-local").await.cards(),
        2
    );
    let none = app.fetch("/registry/packages?q=no-such-thing").await;
    none.check(StatusCode::OK, "no match");
    assert_eq!(none.cards(), 0);
    none.shows("No package matches “no-such-thing”");
    // The query is echoed in the search box, escaped.
    let hostile = app
        .fetch("/registry/packages?q=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    hostile.check(StatusCode::OK, "hostile query");
    assert_inert(&hostile, "hostile query");
    assert!(
        hostile
            .body
            .contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\"")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latest_is_the_highest_current_version_even_behind_fifty_newer_ones() {
    let app = spawn(&[]).await;
    // 3.0.0 (to be yanked) and 2.0.0 first, then 51 lower versions: more than the 50 recent versions a card reads.
    app.publish(&demo("long-lived", "3.0.0")).await;
    app.publish(&demo("long-lived", "2.0.0")).await;
    for patch in 0..=50 {
        app.publish(&demo("long-lived", &format!("1.0.{patch}")))
            .await;
    }
    app.set_lifecycle("long-lived", "3.0.0", "yanked", "broken", None)
        .await;
    let list = app.fetch("/registry/packages?q=long-lived").await;
    list.check(StatusCode::OK, "list")
        .shows("1 package · 53 versions");
    assert!(
        list.contains("<span class=\"version\">2.0.0</span>"),
        "the card's latest is 2.0.0: {}",
        list.body
    );
    assert!(list.contains("/registry/packages/long-lived/2.0.0"));
    // The version page lists it among the id's versions too.
    let page = app.fetch("/registry/packages/long-lived/1.0.50").await;
    page.check(StatusCode::OK, "version page");
    assert!(page.contains("/registry/packages/long-lived/2.0.0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_is_paginated() {
    let app = spawn(&[]).await;
    for i in 0..23 {
        app.publish(&demo(&format!("page-{i:02}"), "1.0.0")).await;
    }
    let first = app.fetch("/registry/packages").await;
    first
        .check(StatusCode::OK, "page 1")
        .shows("23 packages · 23 versions")
        .shows("Page 1 of 2");
    assert_eq!(first.cards(), 20);
    assert!(first.contains("<a rel=\"next\" href=\"/registry/packages?page&#61;2\">"));
    assert!(!first.contains("rel=\"prev\""));

    let second = app.fetch("/registry/packages?page=2").await;
    second.check(StatusCode::OK, "page 2").shows("Page 2 of 2");
    assert_eq!(second.cards(), 3);
    assert!(second.contains("rel=\"prev\""));
    assert!(!second.contains("rel=\"next\""));

    // Every package appears exactly once across the pages.
    for i in 0..23 {
        let link = format!(">page-{i:02}</a>");
        assert_eq!(
            usize::from(first.contains(&link)) + usize::from(second.contains(&link)),
            1,
            "{link}"
        );
    }
    // Out-of-range and malformed page numbers land on a real page.
    assert_eq!(app.fetch("/registry/packages?page=99").await.cards(), 3);
    assert_eq!(app.fetch("/registry/packages?page=abc").await.cards(), 20);
    assert_eq!(app.fetch("/registry/packages?page=0").await.cards(), 20);
    // Search results are paginated too, and the links keep the query.
    let searched = app.fetch("/registry/packages?q=page-&page=2").await;
    assert_eq!(searched.cards(), 3);
    assert!(searched.contains("<a rel=\"prev\" href=\"/registry/packages?q&#61;page-\">"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_package_page_shows_digests_a_verified_receipt_and_the_resolve_command() {
    let app = spawn(&[]).await;
    let mut request = demo("trusted-pkg", "1.2.3");
    request["source_links"] =
        json!([{"title": "Repository", "url": "https://example.com/acme/trusted"}]);
    request["readme"] =
        json!("# Trusted\n\nA **trusted** package.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
    let published = app.publish(&request).await;
    let record = &published["package"];
    let receipt = &published["receipt"];

    let page = app.fetch("/registry/packages/trusted-pkg/1.2.3").await;
    page.check(StatusCode::OK, "detail");
    assert!(page.title().starts_with("trusted-pkg@1.2.3"));
    for field in [
        "definition_digest",
        "manifest_digest",
        "lock_digest",
        "package_execution_signature",
    ] {
        page.shows(record[field].as_str().unwrap());
    }
    page.shows("Receipt verifies")
        .shows(receipt["key_id"].as_str().unwrap())
        .shows(receipt["receipt_id"].as_str().unwrap())
        .shows(receipt["registry_signature"].as_str().unwrap())
        .shows(&format!(
            "registry resolve trusted-pkg@1.2.3 --registry-url {} --lock-file anip.lock.json --write-lock",
            app.base
        ))
        .shows("Work Item Fronting Demo")
        .shows("work_item.search")
        .shows("Search Work Items")
        .shows("Searches governed work items in a bounded backlog.")
        .shows("write_adjacent")
        .shows("studio-local");
    assert!(page.contains("<pre class=\"command\"><code>registry resolve"));
    assert!(page.contains("href=\"/registry-api/v1/packages/trusted-pkg/1.2.3/lock\""));
    assert!(page.contains("href=\"/registry-api/v1/packages/trusted-pkg/1.2.3/download\""));
    // README as Markdown, source links as links.
    assert!(page.contains("<h3>Trusted</h3>"));
    assert!(page.contains("<strong>trusted</strong>"));
    assert!(page.contains("<td>2</td>"));
    assert!(page.contains(
        "<a href=\"https&#58;//example.com/acme/trusted\" rel=\"nofollow noopener noreferrer ugc\">Repository</a>"
    ));
    // Dev mode: the receipt is flagged as signed with the public development key, on every page.
    page.shows("public development key");
    assert!(page.contains("banner banner-danger"));

    // The lock the page links to is a lock.
    let lock = app.api_json("/packages/trusted-pkg/1.2.3/lock").await;
    assert_eq!(lock["lock_schema_version"], "anip-package-lock/v1");

    // A namespaced id, under both spellings; the API links use one %2F segment.
    app.publish(&demo("acme/widget", "1.0.0")).await;
    for path in [
        "/registry/packages/acme/widget/1.0.0",
        "/registry/packages/acme%2Fwidget/1.0.0",
    ] {
        let page = app.fetch(path).await;
        page.check(StatusCode::OK, path).shows("acme/widget@1.0.0");
        assert!(page.contains("href=\"/registry-api/v1/packages/acme%2Fwidget/1.0.0/lock\""));
    }
    let list = app.fetch("/registry/packages").await;
    assert!(list.contains("href=\"/registry/packages/acme/widget/1.0.0\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_banners_and_the_takedown_page() {
    let app = spawn(&[]).await;
    app.publish(&demo("life", "1.0.0")).await;
    app.publish(&demo("life", "1.1.0")).await;
    app.publish(&demo("life", "2.0.0")).await;

    // Deprecated: a banner with the reason and a link to the replacement.
    app.set_lifecycle(
        "life",
        "1.0.0",
        "deprecated",
        "use the 2.x line <b>now</b>",
        Some(("life", "2.0.0")),
    )
    .await;
    let deprecated = app.fetch("/registry/packages/life/1.0.0").await;
    deprecated
        .check(StatusCode::OK, "deprecated")
        .shows("This version is deprecated.")
        .shows("use the 2.x line <b>now</b>");
    assert!(deprecated.contains("href=\"/registry/packages/life/2.0.0\""));

    // Yanked: still shown, downloads offered only as an explicit opt-in.
    app.set_lifecycle("life", "1.1.0", "yanked", "broken build", None)
        .await;
    let yanked = app.fetch("/registry/packages/life/1.1.0").await;
    yanked
        .check(StatusCode::OK, "yanked")
        .shows("This version has been yanked");
    assert!(yanked.contains("/lock?allow_yanked&#61;true"));

    // Takedown of the latest: a 410 registry page that says why, without contents.
    app.set_lifecycle(
        "life",
        "2.0.0",
        "takedown",
        "malware reported <script>alert(1)</script>",
        None,
    )
    .await;
    let gone = app.fetch("/registry/packages/life/2.0.0").await;
    gone.check(StatusCode::GONE, "takedown")
        .shows("This version has been taken down")
        .shows("malware reported <script>alert(1)</script>")
        .shows("life@2.0.0");
    assert_inert(&gone, "takedown page");
    for absent in [
        "Receipt verifies",
        "registry resolve",
        "Work Item Fronting Demo",
        "work_item.search",
        "sha256&#58;",
    ] {
        assert!(!gone.contains(absent), "takedown page shows {absent}");
    }

    // The list: the latest is the highest non-withdrawn version (1.0.0, deprecated), badge shown.
    let list = app.fetch("/registry/packages").await;
    assert!(list.contains(
        "<span class=\"version\">1.0.0</span> <span class=\"badge badge-warn\">deprecated</span>"
    ));
    // A package whose every version is taken down lists no contents.
    app.publish(&demo("gone-pkg", "1.0.0")).await;
    app.set_lifecycle("gone-pkg", "1.0.0", "takedown", "", None)
        .await;
    let list = app.fetch("/registry/packages?q=gone-pkg").await;
    assert_eq!(list.cards(), 1);
    assert!(list.contains("badge-danger\">takedown</span>"));
    assert!(!list.contains("Work Item Fronting Demo"));
    let gone = app.fetch("/registry/packages/gone-pkg/1.0.0").await;
    gone.check(StatusCode::GONE, "takedown without a reason")
        .shows("No reason was recorded.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_page_in_dev_and_production_mode() {
    let dev = spawn(&[]).await;
    let keys = dev.fetch("/registry/keys").await;
    keys.check(StatusCode::OK, "keys (dev)")
        .shows("The active key is the public development key.")
        .shows("anip-registry-dev-ed25519-v1");
    assert!(keys.contains(">signing: dev</a>"));
    let api = dev.api_json("/keys").await;
    let b64 = api["items"][0]["public_key"].as_str().unwrap();
    keys.shows(b64);
    let bytes = base64_decode(b64);
    keys.shows(&registry_server::ui::keys::fingerprint(&bytes));
    assert!(keys.contains("id=\"dev-key-warning\""));

    // Production mode with a real key and a retired one: no dev warnings; active first, then retired.
    let active = verifier::keys::SigningKey::from_seed(
        verifier::keys::KeyId::new("registry-2026-q4").unwrap(),
        &[7u8; 32],
    );
    let retired = verifier::keys::SigningKey::from_seed(
        verifier::keys::KeyId::new("registry-2026-q1").unwrap(),
        &[9u8; 32],
    );
    let seed = active.seed_base64();
    let extra = format!("registry-2026-q1={}", retired.public_key().to_base64());
    let prod = spawn(&[
        "--mode",
        "production",
        "--key-id",
        "registry-2026-q4",
        "--private-key",
        &seed,
        "--extra-public-keys",
        &extra,
    ])
    .await;
    let keys = prod.fetch("/registry/keys").await;
    keys.check(StatusCode::OK, "keys (production)")
        .shows(&active.public_key().to_base64())
        .shows(&retired.public_key().to_base64());
    assert!(keys.contains(">signing: production</a>"));
    assert!(!keys.contains("dev-key-warning"));
    assert!(!keys.contains("banner-danger"));
    let active_at = keys.body.find("registry-2026-q4</code></h2>").unwrap();
    let retired_at = keys.body.find("registry-2026-q1</code></h2>").unwrap();
    assert!(active_at < retired_at, "the active key comes first");
    assert!(keys.body[retired_at..].contains(">retired</span>"));
    let list = prod.fetch("/registry/packages").await;
    assert!(!list.contains("banner-danger") && !list.contains("Development"));
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_pages() {
    let app = spawn(&[]).await;
    let published = app.publish_template(&template_fixture()).await;
    let record = &published["template"];

    let list = app.fetch("/registry/templates").await;
    list.check(StatusCode::OK, "templates")
        .shows("1 template · 1 version")
        .shows("Github Fronting Starter")
        .shows("fronting_starter");
    assert!(list.contains("href=\"/registry/templates/github-fronting-starter/0.1.0\""));
    assert_eq!(app.fetch("/registry/templates?q=github").await.cards(), 1);
    assert_eq!(
        app.fetch("/registry/templates?q=software_delivery")
            .await
            .cards(),
        1
    );
    assert_eq!(app.fetch("/registry/templates?q=jira").await.cards(), 0);

    let page = app
        .fetch("/registry/templates/github-fronting-starter/0.1.0")
        .await;
    page.check(StatusCode::OK, "template")
        .shows("governed_service_project")
        .shows("anip/0.24")
        .shows("software_delivery")
        .shows("Github governed fronting intent")
        .shows("github-fronting-intent.md")
        .shows("Github API")
        .shows("GITHUB_API_TOKEN")
        .shows("Receipt verifies");
    for field in ["manifest_digest", "template_digest", "package_digest"] {
        page.shows(record[field].as_str().unwrap());
    }
    assert!(
        page.contains("href=\"/registry-api/v1/templates/github-fronting-starter/0.1.0/download\"")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_text_renders_inert() {
    let app = spawn(&[]).await;
    let mut request = demo("hostile-pkg", "1.0.0");
    request["readme"] = json!(
        "# Hi <script>alert(1)</script>\n\n<script>alert(2)</script>\n\n<img src=x onerror=alert(1)>\n\n\
         [x](javascript:alert(1)) [y](JaVaScRiPt:alert(1)) [z](data:text/html,hi) [v](vbscript:msgbox)\n\n\
         <div onclick=\"alert(1)\"><iframe src=\"https://evil.example\"></iframe></div>\n\n\
         ![t](https://tracker.example/p.png) <svg onload=alert(1)>\n\n\
         ```\"><script>alert(3)</script>\ncode\n```\n\n<style>body{display:none}</style>\n"
    );
    request["source_links"] = json!([
        {"title": "\"><script>alert(1)</script>", "url": "https://example.com/?q=\"><script>alert(1)</script>"},
        {"title": "<img src=x onerror=alert(1)>", "url": "https://example.com/a?next=javascript:alert(1)"},
    ]);
    request["lineage"] = json!({
        "project_ref": "\"><script>alert(1)</script>",
        "product_revision": {"label": "<img src=x onerror=alert(1)>", "url": "javascript:alert(1)"},
        "developer_revision": "javascript:alert(1)",
    });
    request["manifest"]["name"] = json!("\"><script>alert(1)</script><img src=x onerror=alert(1)>");
    request["implementation_materials"] = json!([{
        "title": "<script>alert(1)</script>",
        "ref": format!("git+https://github.com/acme/impl@{}#sha256:{}", "a".repeat(40), "b".repeat(64)),
    }]);
    app.publish(&request).await;

    let page = app.fetch("/registry/packages/hostile-pkg/1.0.0").await;
    page.check(StatusCode::OK, "hostile detail");
    assert_inert(&page, "hostile detail");
    // The payloads are shown as text.
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("&lt;img src&#61;x onerror&#61;alert(1)&gt;"));
    assert!(page.contains("&quot;&gt;&lt;script&gt;"));
    assert!(page.contains("javascript&#58;alert(1)"));
    // Unsafe Markdown links lose their target; the image is a link, never loaded.
    assert!(page.contains("<span class=\"unlinked\">x</span>"));
    assert!(page.contains("class=\"image-link\" href=\"https&#58;//tracker.example/p.png\""));
    // Source links stay links (http(s) only), their text and URL escaped inside the attribute.
    assert!(page.contains(
        "<a href=\"https&#58;//example.com/?q&#61;&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\" \
         rel=\"nofollow noopener noreferrer ugc\">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</a>"
    ));
    // Every href on the page is ours, an http(s) URL, or relative: none other has a scheme.
    for href in page.body.split("href=\"").skip(1) {
        let href = &href[..href.find('"').unwrap()];
        let decoded = href.replace("&#58;", ":");
        assert!(
            decoded.starts_with('/')
                || decoded.starts_with('#')
                || decoded.starts_with("https://")
                || decoded.starts_with("http://"),
            "href {href}"
        );
    }

    // The list, the search box and the title carry the hostile name inert as well.
    for path in [
        "/registry/packages",
        "/registry/packages?q=hostile",
        "/registry/packages?q=%3Cscript%3E",
    ] {
        let list = app.fetch(path).await;
        list.check(StatusCode::OK, path);
        assert_inert(&list, path);
    }
    assert_eq!(
        app.fetch("/registry/packages?q=%3Cscript%3E").await.cards(),
        1
    );

    // A template whose documents and connections are hostile.
    let mut template = template_fixture();
    template["template_version"] = json!("0.9.0");
    template["manifest"]["package_version"] = json!("0.9.0");
    template["manifest"]["template_title"] = json!("<script>alert(1)</script>");
    let t = &mut template["template"];
    t["title"] = json!("<img src=x onerror=alert(1)>");
    t["summary"] = json!("\"><script>alert(1)</script>");
    t["documents"][0]["title"] = json!("<script>alert(1)</script>");
    t["documents"][0]["content"] = json!(
        "<script>alert(1)</script>\n\n[x](javascript:alert(1))\n\n<img src=x onerror=alert(1)>"
    );
    t["connections"][0]["display_name"] = json!("\"><img src=x onerror=alert(1)>");
    let digest = verifier::canonical::digest(&template["template"]);
    template["manifest"]["template_digest"] = json!(digest);
    template.as_object_mut().unwrap().remove("package");
    app.publish_template(&template).await;
    for path in [
        "/registry/templates",
        "/registry/templates/github-fronting-starter/0.9.0",
        "/registry/templates?q=%3Cscript%3E",
    ] {
        let page = app.fetch(path).await;
        page.check(StatusCode::OK, path);
        assert_inert(&page, path);
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path}"
        );
    }
}
