//! `GET /log/records?start=&count=`: the records of the package version entries among a range of log entries, each
//! the same JSON its version's record route serves; templates, lifecycle entries and taken-down versions left out;
//! the body limit cuts an answer short (saying where); bad ranges answer stable codes.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{ADMIN_TOKEN, Backend, TestApp, demo};
use crate::log::verified_checkpoint;
use crate::templates::{publish_template, small_template};

async fn lifecycle(app: &TestApp, version: &str, status: &str) {
    let answer = app
        .client
        .patch(format!(
            "{}/admin/packages/records-demo/{version}/lifecycle",
            app.api
        ))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({"status": status, "reason": "test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK, "{status}");
}

/// Entries: 0, 1, 2 package versions, 3 a template version, 4 the yank of 1.0.0, 5 the takedown of 1.2.0.
async fn publish_six_entries(app: &TestApp) {
    for v in ["1.0.0", "1.1.0", "1.2.0"] {
        assert_eq!(
            app.publish(demo("records-demo", v)).await.status(),
            StatusCode::CREATED
        );
    }
    let template = serde_json::to_vec(&small_template("3.0.0")).unwrap();
    assert_eq!(
        publish_template(app, template).await.status(),
        StatusCode::CREATED
    );
    lifecycle(app, "1.0.0", "yanked").await;
    lifecycle(app, "1.2.0", "takedown").await;
    let (size, _, _) = verified_checkpoint(app).await;
    assert_eq!(size, 6);
}

fn indexes(answer: &Value) -> Vec<u64> {
    answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["index"].as_u64().unwrap())
        .collect()
}

async fn bulk_records_are_the_records_each_route_serves(app: &TestApp) {
    publish_six_entries(app).await;
    let answer = app
        .get_json("/log/records?start=0&count=6", StatusCode::OK)
        .await;
    assert_eq!(
        (&answer["start"], &answer["count"], &answer["end"]),
        (&Value::from(0), &Value::from(6), &Value::from(6))
    );
    // The yanked 1.0.0 is served (as its record route serves it); the taken-down 1.2.0 is not.
    assert_eq!(indexes(&answer), [0, 1]);
    for (item, version) in answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .zip(["1.0.0", "1.1.0"])
    {
        let own = app
            .get_json(&format!("/packages/records-demo/{version}"), StatusCode::OK)
            .await;
        assert_eq!(item["record"], own, "{version}");
    }
    let answer = app
        .get_json("/log/records?start=1&count=1", StatusCode::OK)
        .await;
    assert_eq!(indexes(&answer), [1]);
    assert_eq!(answer["end"], 2);

    crate::log_receipts::refuses_bad_ranges(app, "/log/records", 6).await;
}

crate::on_both_stores!(bulk_records_are_the_records_each_route_serves);

/// A body limit smaller than one record: every answer still carries one record and says where it stopped, so a
/// client walking `end` gets every record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_body_limit_cuts_an_answer_short_and_says_where() {
    let app = TestApp::spawn_with(Backend::Sqlite, &["--log-records-max-bytes", "1"]).await;
    publish_six_entries(&app).await;
    let answer = app
        .get_json("/log/records?start=0&count=6", StatusCode::OK)
        .await;
    assert_eq!(indexes(&answer), [0]);
    assert_eq!(answer["end"], 1);
    let answer = app
        .get_json("/log/records?start=1&count=5", StatusCode::OK)
        .await;
    assert_eq!(indexes(&answer), [1]);
    assert_eq!(answer["end"], 2);
    // From entry 2 on nothing is served (taken down, a template, lifecycle entries): the whole range is covered.
    let answer = app
        .get_json("/log/records?start=2&count=4", StatusCode::OK)
        .await;
    assert_eq!(indexes(&answer), Vec::<u64>::new());
    assert_eq!(answer["end"], 6);
}
