//! `GET /packages/{id}` and `GET /templates/{id}`: one id's versions, highest SemVer precedence first, paged with an
//! opaque cursor that names the last version served (the next page holds the versions below it, so a version
//! published meanwhile never shifts a page).
//!
//! Shape: `{"package_id", "latest": version|null, "versions": [{"package_version", "published_at", "lifecycle",
//! "publisher", "download_count"}], "next_cursor": string|null}` (templates: `template_id`, `template_version`, no
//! `lifecycle`). `latest` is the highest version that is not a pre-release, yanked or taken down. `publisher` is the
//! id's owner (`PublisherSummary`) or `null`. 404 `package_not_found` / `template_not_found` for an id without
//! versions; 400 `invalid_id`, `invalid_cursor`, `invalid_query`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::json_text;
use super::listing::flush_counts;
use crate::error::Error;
use crate::extract::{IdPath, ListQuery};
use crate::state::AppState;
use crate::store::{Kind, VersionPage};

/// The page size when no `limit` is given.
const DEFAULT_PAGE: u32 = 100;

/// Where a version list continues: below this version.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionCursor {
    below: String,
}

fn encode(below: &str) -> String {
    let cursor = VersionCursor {
        below: below.to_owned(),
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cursor).unwrap_or_default())
}

fn decode(text: &str) -> Result<String, Error> {
    URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<VersionCursor>(&bytes).ok())
        .filter(|c| verifier::version::is_valid(&c.below))
        .map(|c| c.below)
        .ok_or_else(|| {
            Error::bad_request(
                "invalid_cursor",
                "the cursor is not one this registry issued",
            )
        })
}

/// `GET /packages/{id}`.
#[utoipa::path(
    get, path = "/packages/{id}", operation_id = "versions_package", tag = "packages",
    summary = "One package's versions, highest SemVer first, with its latest",
    params(
        ("id" = String, Path, description = "The id (one segment: a namespaced id's `/` as `%2F`)", example = "work-item-fronting-demo"),
        ("limit" = Option<u32>, Query, description = "Page size"),
        ("cursor" = Option<String>, Query, description = "Opaque cursor"),
    ),
    responses(
        (status = 200, description = "The versions", body = crate::openapi::schemas::Versions),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 404, description = "No such id", body = crate::openapi::schemas::ErrorBody),
    ),
)]
pub async fn package(
    State(state): State<AppState>,
    path: IdPath,
    query: ListQuery,
) -> Result<Response, Error> {
    versions(&state, Kind::Package, &path.id, &query).await
}

/// `GET /templates/{id}`.
#[utoipa::path(
    get, path = "/templates/{id}", operation_id = "versions_template", tag = "templates",
    summary = "One template's versions, highest SemVer first, with its latest",
    params(
        ("id" = String, Path, description = "The id (one segment: a namespaced id's `/` as `%2F`)", example = "linear-fronting-starter"),
        ("limit" = Option<u32>, Query, description = "Page size"),
        ("cursor" = Option<String>, Query, description = "Opaque cursor"),
    ),
    responses(
        (status = 200, description = "The versions", body = crate::openapi::schemas::Versions),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 404, description = "No such id", body = crate::openapi::schemas::ErrorBody),
    ),
)]
pub async fn template(
    State(state): State<AppState>,
    path: IdPath,
    query: ListQuery,
) -> Result<Response, Error> {
    versions(&state, Kind::Template, &path.id, &query).await
}

async fn versions(
    state: &AppState,
    kind: Kind,
    id: &str,
    query: &ListQuery,
) -> Result<Response, Error> {
    let below = query.cursor.as_deref().map(decode).transpose()?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    flush_counts(state).await?;
    let (noun, id_field, version_field) = match kind {
        Kind::Package => ("package", "package_id", "package_version"),
        Kind::Template => ("template", "template_id", "template_version"),
    };
    let Some(page) = state
        .store
        .versions_page(kind, id, below.as_deref(), limit)
        .await?
    else {
        return Err(Error::not_found(
            match kind {
                Kind::Package => "package_not_found",
                Kind::Template => "template_not_found",
            },
            format!("no {noun} versions under {id}"),
        ));
    };
    let owner = state.publishers.get(&state.store, kind, id).await?;
    let publisher = owner
        .as_deref()
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .unwrap_or(Value::Null);
    Ok(json_text(
        StatusCode::OK,
        render(&page, id_field, version_field, id, &publisher).to_string(),
    ))
}

fn render(
    page: &VersionPage,
    id_field: &str,
    version_field: &str,
    id: &str,
    publisher: &Value,
) -> Value {
    let versions: Vec<Value> = page
        .versions
        .iter()
        .map(|v| {
            let mut item = Map::new();
            item.insert(version_field.into(), json!(v.version));
            item.insert("published_at".into(), json!(v.published_at));
            if let Some(lifecycle) = &v.lifecycle {
                item.insert("lifecycle".into(), json!(lifecycle));
            }
            item.insert("publisher".into(), publisher.clone());
            item.insert("download_count".into(), json!(v.download_count));
            Value::Object(item)
        })
        .collect();
    let next = page
        .more
        .then(|| page.versions.last().map(|v| encode(&v.version)))
        .flatten();
    let mut out = Map::new();
    out.insert(id_field.into(), json!(id));
    out.insert("latest".into(), json!(page.latest));
    out.insert("versions".into(), Value::Array(versions));
    out.insert("next_cursor".into(), json!(next));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_what_was_not_issued() {
        assert_eq!(
            decode(&encode("1.2.3-rc.1")).ok().as_deref(),
            Some("1.2.3-rc.1")
        );
        for bad in [
            "",
            "x",
            &URL_SAFE_NO_PAD.encode(b"{\"below\":\"nope\"}"),
            &URL_SAFE_NO_PAD.encode(b"{\"below\":\"1.0.0\",\"x\":1}"),
            &URL_SAFE_NO_PAD.encode(b"{\"after\":3}"),
        ] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }
}
