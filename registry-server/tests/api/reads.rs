//! Reads: listings and pagination, downloads counted exactly, locks, receipts, caching, health and metrics.

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_DISPOSITION, ETAG, IF_NONE_MATCH};
use serde_json::Value;
use verifier::lock::PackageLock;

use crate::helpers::{TestApp, demo};

async fn only_download_counts(app: &TestApp) {
    assert_eq!(
        app.publish(demo("counted", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    for path in ["", "/lock", "/receipt"] {
        app.get_json(&format!("/packages/counted/1.0.0{path}"), StatusCode::OK)
            .await;
    }
    app.get_json("/publications", StatusCode::OK).await;
    // HEAD (link checkers, monitors) answers like a download and counts nothing.
    for _ in 0..2 {
        let head = app
            .client
            .head(format!("{}/packages/counted/1.0.0/download", app.api))
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), StatusCode::OK);
        assert!(head.headers().contains_key(CONTENT_DISPOSITION));
    }
    let first = app.get("/packages/counted/1.0.0/download").await;
    assert_eq!(
        first.headers()[CONTENT_DISPOSITION],
        "attachment; filename=\"counted-1.0.0.anip-package.json\""
    );
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["download_count"], 1);
    let second = app
        .get_json("/packages/counted/1.0.0/download", StatusCode::OK)
        .await;
    assert_eq!(second["download_count"], 2);
    let record = app
        .get_json("/packages/counted/1.0.0", StatusCode::OK)
        .await;
    assert_eq!(record["download_count"], 2);
}

/// Every version of a paged walk, following `next_cursor`; `between` runs after each page.
pub async fn walk(
    app: &TestApp,
    route: &str,
    key: &str,
    limit: u32,
    between: &mut Vec<String>,
) -> Vec<String> {
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("{route}?limit={limit}&cursor={c}"),
            None => format!("{route}?limit={limit}"),
        };
        let page = app.get_json(&path, StatusCode::OK).await;
        for item in page["items"].as_array().unwrap() {
            paged.push(item[key].as_str().unwrap().to_owned());
        }
        // Between two page requests, a version not yet listed becomes the most downloaded.
        if let Some(download) = between.pop() {
            for _ in 0..3 {
                app.get_json(&download, StatusCode::OK).await;
            }
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    paged
}

async fn listing_pages_through_everything(app: &TestApp) {
    for i in 0..7 {
        assert_eq!(
            app.publish(demo("paged", &format!("1.0.{i}")))
                .await
                .status(),
            StatusCode::CREATED
        );
    }
    app.get_json("/packages/paged/1.0.3/download", StatusCode::OK)
        .await;
    let all = app.get_json("/publications", StatusCode::OK).await;
    let all: Vec<String> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["package_version"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(all.len(), 7);
    assert_eq!(
        all[0], "1.0.3",
        "the unpaged listing keeps ANIP's order: most downloaded first"
    );
    // Pages run in publication order, which downloads between page requests cannot change: no version is skipped
    // or repeated (ordered by downloads, 1.0.6 would move to the first page, already read, and be skipped).
    let mut between = vec!["/packages/paged/1.0.6/download".to_owned()];
    let paged = walk(app, "/publications", "package_version", 3, &mut between).await;
    let published: Vec<String> = (0..7).map(|i| format!("1.0.{i}")).collect();
    assert_eq!(paged, published);
    // A cursor without a limit continues with the largest page.
    let first = app.get_json("/publications?limit=2", StatusCode::OK).await;
    let rest = app
        .get_json(
            &format!(
                "/publications?cursor={}",
                first["next_cursor"].as_str().unwrap()
            ),
            StatusCode::OK,
        )
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 5);
    assert!(rest.get("next_cursor").is_none());
    for bad in [
        "?limit=0",
        "?limit=1001",
        "?limit=x",
        "?cursor=not-a-cursor",
        "?cursor=eyJhZnRlciI6MH0",
    ] {
        let response = app.get(&format!("/publications{bad}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

async fn lock_matches_the_record(app: &TestApp) {
    let published: Value = app
        .publish(demo("locked", "2.1.0"))
        .await
        .json()
        .await
        .unwrap();
    let response = app.get("/packages/locked/2.1.0/lock").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("locked-2.1.0.anip.lock.json")
    );
    let lock = PackageLock::from_json(&response.bytes().await.unwrap()).unwrap();
    let record = &published["package"];
    assert_eq!(lock.package_id, "locked");
    assert_eq!(
        lock.definition_digest,
        record["definition_digest"].as_str().unwrap()
    );
    assert_eq!(
        lock.manifest_digest,
        record["manifest_digest"].as_str().unwrap()
    );
    assert_eq!(lock.lock_digest, record["lock_digest"].as_str().unwrap());
    assert_eq!(
        lock.package_execution_signature,
        record["package_execution_signature"].as_str().unwrap()
    );
    assert_eq!(
        lock.receipt_signature,
        published["receipt"]["registry_signature"].as_str().unwrap()
    );
    assert_eq!(lock.registry_url, format!("{}/registry-api/v1", app.base));
    assert_eq!(lock.registry_signing_mode, "dev");
    assert!(!lock.receipt_public_key.is_empty());
}

async fn receipts_are_immutable_and_records_revalidate(app: &TestApp) {
    app.publish(demo("cached", "1.0.0")).await;
    let receipt = app.get("/packages/cached/1.0.0/receipt").await;
    assert_eq!(
        receipt.headers()[CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let etag = receipt.headers()[ETAG].clone();
    // The second answer is the kept one: the same bytes, ETag and content type as the first, built answer.
    let first = receipt.bytes().await.unwrap();
    let kept = app.get("/packages/cached/1.0.0/receipt").await;
    assert_eq!(kept.headers()[ETAG], etag);
    assert_eq!(kept.headers()["content-type"], "application/json");
    assert_eq!(kept.bytes().await.unwrap(), first);
    let receipt: serde_json::Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(
        etag.to_str().unwrap(),
        format!(
            "\"{}\"",
            receipt["receipt_id"]
                .as_str()
                .unwrap()
                .trim_start_matches("sha256:")
        )
    );
    let again = app
        .client
        .get(format!("{}/packages/cached/1.0.0/receipt", app.api))
        .header(IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // Weak comparison (a proxy that compresses may weaken the tag), `*`, and a tag among others all match.
    let weak = format!("\"other\", W/{}", etag.to_str().unwrap());
    for tag in [weak.as_str(), "*"] {
        let again = app
            .client
            .get(format!("{}/packages/cached/1.0.0/receipt", app.api))
            .header(IF_NONE_MATCH, tag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{tag}");
    }
    let record = app.get("/packages/cached/1.0.0").await;
    assert_eq!(record.headers()[CACHE_CONTROL], "no-cache");
    let etag = record.headers()[ETAG].clone();
    app.get("/packages/cached/1.0.0/download").await;
    // A download changes the record, so the old ETag no longer matches.
    let after = app
        .client
        .get(format!("{}/packages/cached/1.0.0", app.api))
        .header(IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::OK);
}

async fn health_keys_and_metrics(app: &TestApp) {
    let health = app.get_json("/healthz", StatusCode::OK).await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["service"], "anip-registry");
    assert_eq!(health["signing_mode"], "dev");
    assert_eq!(health["dev_key"], true);
    let ready = app.get_json("/readyz", StatusCode::OK).await;
    assert_eq!(ready["migration"]["applied"], true);
    let keys = app.get_json("/keys", StatusCode::OK).await;
    assert_eq!(
        keys["items"][0]["public_key"],
        "NZ8bIweTW/SJ14NTpSOCV/ITzTL7TIJP/Sl0CPAQV14="
    );
    let metrics = app.get("/metrics").await;
    assert_eq!(
        metrics.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains("route=\"/registry-api/v1/healthz\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(text.contains("anip_registry_http_request_duration_seconds_bucket"));
}

async fn ui_routes_redirect_and_serve(app: &TestApp) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let root = client.get(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(root.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(root.headers()["location"], "/registry");
    let registry = client
        .get(format!("{}/registry", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(registry.headers()["location"], "/registry/packages");
    let page = client
        .get(format!("{}/registry/packages", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("ANIP Registry"));
}

crate::on_both_stores!(
    only_download_counts,
    listing_pages_through_everything,
    lock_matches_the_record,
    receipts_are_immutable_and_records_revalidate,
    health_keys_and_metrics,
    ui_routes_redirect_and_serve,
);
