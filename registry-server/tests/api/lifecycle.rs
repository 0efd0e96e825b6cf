//! Lifecycle gating (reference §5.2): what each state serves. The state is set in the database directly here;
//! the admin route that changes it comes with the templates and UI issue.

use reqwest::StatusCode;
use sqlx::Connection as _;

use crate::helpers::{TestApp, demo, error_of};

/// Sets a version's lifecycle straight in the store.
async fn set_lifecycle(app: &TestApp, id: &str, version: &str, status: &str) {
    let sql = "UPDATE packages SET lifecycle_status = $1, lifecycle_reason = 'test' \
               WHERE package_id = $2 AND package_version = $3";
    if app.database_url.starts_with("sqlite") {
        let mut db = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query(&sql.replace('$', "?"))
            .bind(status)
            .bind(id)
            .bind(version)
            .execute(&mut db)
            .await
            .unwrap();
    } else {
        let mut db = sqlx::PgConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query(sql)
            .bind(status)
            .bind(id)
            .bind(version)
            .execute(&mut db)
            .await
            .unwrap();
    }
}

async fn status_of(app: &TestApp, path: &str) -> StatusCode {
    app.get(path).await.status()
}

async fn each_state_serves_what_the_reference_says(app: &TestApp) {
    let cases = [
        ("active", [StatusCode::OK; 4]),
        ("superseded", [StatusCode::OK; 4]),
        ("deprecated", [StatusCode::OK; 4]),
        (
            "yanked",
            [
                StatusCode::OK,
                StatusCode::GONE,
                StatusCode::GONE,
                StatusCode::OK,
            ],
        ),
        (
            "takedown",
            [
                StatusCode::GONE,
                StatusCode::GONE,
                StatusCode::GONE,
                StatusCode::OK,
            ],
        ),
    ];
    for (status, expected) in cases {
        let id = format!("life-{status}");
        assert_eq!(
            app.publish(demo(&id, "1.0.0")).await.status(),
            StatusCode::CREATED
        );
        set_lifecycle(app, &id, "1.0.0", status).await;
        let base = format!("/packages/{id}/1.0.0");
        let got = [
            status_of(app, &base).await,
            status_of(app, &format!("{base}/download")).await,
            status_of(app, &format!("{base}/lock")).await,
            status_of(app, &format!("{base}/receipt")).await,
        ];
        assert_eq!(got, expected, "{status}: record, download, lock, receipt");
        let listed = app.get_json("/publications", StatusCode::OK).await;
        let item = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["package_id"] == id.as_str())
            .unwrap()
            .clone();
        assert_eq!(
            item["lifecycle"]["status"], status,
            "listing shows every state"
        );
    }
    // A yanked version downloads when asked explicitly, and that download counts.
    let yanked = "/packages/life-yanked/1.0.0";
    let allowed = app
        .get_json(
            &format!("{yanked}/download?allow_yanked=true"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(allowed["download_count"], 1);
    let header = app
        .client
        .get(format!("{}{yanked}/download", app.api))
        .header("X-ANIP-Allow-Yanked-Package", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(header.status(), StatusCode::OK);
    assert_eq!(
        status_of(app, &format!("{yanked}/lock?allow_yanked=true")).await,
        StatusCode::OK
    );
    // Refusals are counted nowhere and say why.
    let (status, code) = error_of(
        app.get("/packages/life-takedown/1.0.0/download?allow_yanked=true")
            .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::GONE, "package_unavailable")
    );
    let (status, code) = error_of(app.get(&format!("{yanked}/download")).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::GONE, "package_yanked")
    );
    let body = app
        .get_json("/packages/life-takedown/1.0.0/receipt", StatusCode::OK)
        .await;
    assert_eq!(body["package_id"], "life-takedown");
}

/// The UI card's latest is the highest current version even when more than the 50 versions a card reads were
/// published after it (and a higher yanked one is passed over).
async fn the_ui_latest_is_found_behind_fifty_newer_versions(app: &TestApp) {
    for version in ["3.0.0", "2.0.0"]
        .into_iter()
        .map(String::from)
        .chain((0..=50).map(|patch| format!("1.0.{patch}")))
    {
        let response = app.publish(demo("life-long", &version)).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{version}");
    }
    set_lifecycle(app, "life-long", "3.0.0", "yanked").await;
    let page = app
        .client
        .get(format!("{}/registry/packages?q=life-long", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let body = page.text().await.unwrap();
    assert!(
        body.contains("<span class=\"version\">2.0.0</span>"),
        "{body}"
    );
    // The unfiltered list reads several ids' recent versions in one statement.
    let response = app.publish(demo("life-other", "0.1.0")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let all = app
        .client
        .get(format!("{}/registry/packages", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        all.contains("<span class=\"version\">2.0.0</span>"),
        "{all}"
    );
    assert!(
        all.contains("<span class=\"version\">0.1.0</span>"),
        "{all}"
    );
}

crate::on_both_stores!(
    each_state_serves_what_the_reference_says,
    the_ui_latest_is_found_behind_fifty_newer_versions
);
