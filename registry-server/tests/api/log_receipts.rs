//! `GET /log/receipts?start=&count=`: the receipts of the version entries among a range of log entries, each the
//! same JSON its version's receipt route serves, lifecycle entries left out; bad ranges answer stable codes.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{ADMIN_TOKEN, TestApp, demo, error_of};
use crate::log::verified_checkpoint;
use crate::templates::{publish_template, small_template};

async fn bulk_receipts_are_the_receipts_each_route_serves(app: &TestApp) {
    for v in ["1.0.0", "1.1.0"] {
        assert_eq!(
            app.publish(demo("bulk-demo", v)).await.status(),
            StatusCode::CREATED
        );
    }
    let template = serde_json::to_vec(&small_template("3.0.0")).unwrap();
    let template_id = small_template("3.0.0")["template_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        publish_template(app, template).await.status(),
        StatusCode::CREATED
    );
    let yank = app
        .client
        .patch(format!(
            "{}/admin/packages/bulk-demo/1.0.0/lifecycle",
            app.api
        ))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({"status": "yanked", "reason": "broken"}))
        .send()
        .await
        .unwrap();
    assert_eq!(yank.status(), StatusCode::OK);
    let (size, _, _) = verified_checkpoint(app).await;
    assert_eq!(size, 4);

    let answer = app
        .get_json(
            &format!("/log/receipts?start=0&count={size}"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(answer["start"], 0);
    assert_eq!(answer["count"], size);
    let items = answer["items"].as_array().unwrap();
    // Three versions; the yank (entry 3) is not a version.
    assert_eq!(
        items
            .iter()
            .map(|i| i["index"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [0, 1, 2]
    );
    for (item, route) in items.iter().zip([
        "/packages/bulk-demo/1.0.0/receipt".to_owned(),
        "/packages/bulk-demo/1.1.0/receipt".to_owned(),
        format!(
            "/templates/{}/3.0.0/receipt",
            template_id.replace('/', "%2F")
        ),
    ]) {
        let own: Value = app.get_json(&route, StatusCode::OK).await;
        assert_eq!(item["receipt"], own, "{route}");
        let kind = if route.starts_with("/templates") {
            "template"
        } else {
            "package"
        };
        assert_eq!(item["kind"], kind);
    }
    // A range inside the log: only its entries.
    let answer = app
        .get_json("/log/receipts?start=1&count=1", StatusCode::OK)
        .await;
    assert_eq!(answer["items"].as_array().unwrap().len(), 1);
    assert_eq!(answer["items"][0]["index"], 1);

    refuses_bad_ranges(app, "/log/receipts", size).await;
}

/// Every refusal of a bulk log route's range (`route` is `/log/receipts` or `/log/records`, the log holds `size`
/// entries): bad or missing parameters are 400 `invalid_proof_request`, a range past the log 400
/// `tree_size_too_large`.
pub(crate) async fn refuses_bad_ranges(app: &TestApp, route: &str, size: u64) {
    let bad = "invalid_proof_request";
    let past = "tree_size_too_large";
    for (query, want) in [
        (String::new(), bad),
        ("?start=0".to_owned(), bad),
        ("?count=1".to_owned(), bad),
        ("?start=0&count=".to_owned(), bad),
        ("?start=0&count=0".to_owned(), bad),
        ("?start=0&count=257".to_owned(), bad),
        ("?start=x&count=1".to_owned(), bad),
        ("?start=0&count=x".to_owned(), bad),
        ("?start=0&count=-1".to_owned(), bad),
        ("?start=0&count=+1".to_owned(), bad),
        ("?start=0&count=18446744073709551616".to_owned(), bad),
        ("?start=0&count=1&y=2".to_owned(), bad),
        ("?start=0&count=1&count=1".to_owned(), bad),
        ("?start=18446744073709551615&count=1".to_owned(), bad),
        ("?start=18446744073709551360&count=256".to_owned(), bad),
        // The largest count passes its check, and is past this small log.
        ("?start=0&count=256".to_owned(), past),
        (format!("?start={size}&count=1"), past),
        (format!("?start=0&count={}", size + 1), past),
        (format!("?start={}&count=2", size - 1), past),
    ] {
        let path = format!("{route}{query}");
        let (got, code) = error_of(app.get(&path).await).await;
        assert_eq!(
            (got, code.as_str()),
            (StatusCode::BAD_REQUEST, want),
            "{path}"
        );
    }
}

crate::on_both_stores!(bulk_receipts_are_the_receipts_each_route_serves);
