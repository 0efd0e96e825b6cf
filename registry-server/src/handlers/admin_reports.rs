//! Abuse reports (reference §1.3 routes 27, 28, 35, 36): the admin files, lists and resolves them, and a takedown
//! suspends the reported package, template, publisher or namespace (no new versions; content stays served, as the
//! package lifecycle is a separate switch).

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::admin_governance::{checked_reason, one_of, page_json};
use super::admin_publishers::{admin_event, admin_filter, is_plain_text, one_path_segment};
use super::body::checked_json;
use super::json_text;
use crate::auth::token;
use crate::error::Error;
use crate::handlers::admin::authorise;
use crate::state::AppState;
use crate::store::governance::AbuseReportRow;
use crate::time::now_rfc3339;

/// Report statuses.
const REPORT_STATUSES: [&str; 4] = ["open", "reviewing", "resolved", "rejected"];
/// What a report may name.
const TARGET_KINDS: [&str; 4] = ["package", "template", "publisher", "namespace"];

fn bad(code: &'static str, message: impl Into<String>) -> Error {
    Error::bad_request(code, message)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewReport {
    #[serde(default)]
    target_kind: String,
    #[serde(default)]
    target_id: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    reporter_contact: String,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReportStatus {
    #[serde(default)]
    status: String,
    #[serde(default)]
    resolution: String,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Takedown {
    #[serde(default)]
    reason: String,
}

/// `GET /admin/abuse-reports?search&status&limit&offset` → `{items: [AbuseReport], total, limit, offset}`.
#[utoipa::path(
    get, path = "/admin/abuse-reports", operation_id = "admin_reports_list", tag = "admin",
    summary = "List abuse reports",
    params(
        crate::openapi::params::AdminList,
    ),
    responses(
        (status = 200, description = "A page", body = crate::openapi::schemas::AdminPage<crate::store::governance::AbuseReportRow>),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing or wrong admin token", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "Admin routes not configured", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn list(State(state): State<AppState>, request: Request) -> Result<Response, Error> {
    let (parts, _) = request.into_parts();
    authorise(&state, &parts)?;
    let filter = admin_filter(&parts)?;
    let page = state.store.list_reports(&filter).await?;
    let items = page.items.iter().map(|r| json!(r)).collect();
    Ok(page_json(items, page.total, &parts))
}

/// `POST /admin/abuse-reports` `{target_kind, target_id, category, reason, reporter_contact?}` → 201 `{report}`
/// (status `open`). 400 `invalid_report` (unknown kind; empty or over-long id, category or reason).
#[utoipa::path(
    post, path = "/admin/abuse-reports", operation_id = "admin_reports_create", tag = "admin",
    summary = "File an abuse report", request_body = NewReport,
    responses(
        (status = 201, description = "The report", body = crate::openapi::schemas::ReportAnswer),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing or wrong admin token", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "Admin routes not configured", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn create(State(state): State<AppState>, request: Request) -> Result<Response, Error> {
    let ((), body): ((), NewReport) =
        checked_json(request, "an abuse report", async |p| authorise(&state, p)).await?;
    let kind = body.target_kind.trim();
    let target_id = body.target_id.trim();
    let category = body.category.trim();
    let reason = body.reason.trim();
    let contact = body.reporter_contact.trim();
    if !TARGET_KINDS.contains(&kind)
        || target_id.is_empty()
        || !is_plain_text(target_id, 256)
        || category.is_empty()
        || !is_plain_text(category, 64)
        || reason.is_empty()
        || !is_plain_text(reason, 2048)
        || !is_plain_text(contact, 256)
    {
        return Err(bad(
            "invalid_report",
            format!(
                "target_kind must be one of {}; target_id (at most 256 bytes), category (64) and reason (2048) \
                 are required; reporter_contact at most 256 bytes; no control characters",
                TARGET_KINDS.join(", ")
            ),
        ));
    }
    let now = now_rfc3339();
    let report = AbuseReportRow {
        report_id: token::new_uuid()?,
        target_kind: kind.into(),
        target_id: target_id.into(),
        category: category.into(),
        reason: reason.into(),
        reporter_contact: contact.into(),
        status: "open".into(),
        resolution: String::new(),
        created_at: now.clone(),
        updated_at: now,
    };
    let event = admin_event(
        "",
        "abuse.report.created",
        "abuse_report",
        &report.report_id,
        json!({"target_kind": kind, "target_id": target_id, "category": category}),
    );
    state.store.create_report(&report, &event).await?;
    tracing::info!(report_id = %report.report_id, target_kind = kind, target_id, "registry_abuse_report_created");
    Ok(json_text(
        StatusCode::CREATED,
        json!({"report": report}).to_string(),
    ))
}

fn report_not_found() -> Error {
    Error::not_found("report_not_found", "abuse report not found")
}

/// The `{reportID}` segment, lower-cased: 404 `report_not_found` unless it is a UUID.
async fn report_id(parts: &mut axum::http::request::Parts) -> Result<String, Error> {
    let id = one_path_segment(parts).await?.to_ascii_lowercase();
    if token::is_uuid(&id) {
        Ok(id)
    } else {
        Err(report_not_found())
    }
}

/// `PATCH /admin/abuse-reports/{reportID}/status` `{status, resolution?}` → `{report}`. 400 `invalid_status`,
/// `invalid_reason` (resolution over 1024 bytes); 404 `report_not_found`.
#[utoipa::path(
    patch, path = "/admin/abuse-reports/{id}/status", operation_id = "admin_reports_set_status", tag = "admin",
    summary = "Change a report's status", request_body = ReportStatus,
    params(("id" = String, Path, description = "Report id (UUID)")),
    responses(
        (status = 200, description = "The report", body = crate::openapi::schemas::ReportAnswer),
        (status = 404, description = "No such report", body = crate::openapi::schemas::ErrorBody),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing or wrong admin token", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "Admin routes not configured", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn set_status(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, Error> {
    let (mut parts, body) = request.into_parts();
    let id = report_id(&mut parts).await;
    let request = Request::from_parts(parts, body);
    let ((), body): ((), ReportStatus) =
        checked_json(request, "a report status", async |p| authorise(&state, p)).await?;
    let id = id?;
    let status = body.status.trim();
    one_of(status, &REPORT_STATUSES)?;
    let resolution = checked_reason(&body.resolution)?;
    let event = admin_event(
        "",
        "abuse.report.status.updated",
        "abuse_report",
        &id,
        json!({"status": status, "resolution": resolution}),
    );
    let report = state
        .store
        .set_report_status(&id, status, &resolution, &event)
        .await?
        .ok_or_else(report_not_found)?;
    Ok(json_text(
        StatusCode::OK,
        json!({"report": report}).to_string(),
    ))
}

/// `POST /admin/abuse-reports/{reportID}/takedown` `{reason?}` → `{report}` (status `reviewing`): the target is
/// suspended in the same transaction. 400 `target_not_suspendable` (no such target), `invalid_reason`; 404
/// `report_not_found`.
#[utoipa::path(
    post, path = "/admin/abuse-reports/{id}/takedown", operation_id = "admin_reports_takedown", tag = "admin",
    summary = "Suspend a report's target", request_body = Takedown,
    params(("id" = String, Path, description = "Report id (UUID)")),
    responses(
        (status = 200, description = "The report", body = crate::openapi::schemas::ReportAnswer),
        (status = 404, description = "No such report", body = crate::openapi::schemas::ErrorBody),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing or wrong admin token", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "Admin routes not configured", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn takedown(State(state): State<AppState>, request: Request) -> Result<Response, Error> {
    let (mut parts, body) = request.into_parts();
    let id = report_id(&mut parts).await;
    let request = Request::from_parts(parts, body);
    let ((), body): ((), Takedown) =
        checked_json(request, "a takedown", async |p| authorise(&state, p)).await?;
    let id = id?;
    let reason = checked_reason(&body.reason)?;
    let event = admin_event(
        "",
        "abuse.takedown.applied",
        "abuse_report",
        &id,
        json!({"reason": reason}),
    );
    let report = state
        .store
        .takedown(&id, &event)
        .await?
        .ok_or_else(report_not_found)?;
    state.publishers.clear();
    tracing::info!(report_id = %id, target_kind = %report.target_kind, target_id = %report.target_id,
        "registry_abuse_takedown_applied");
    Ok(json_text(
        StatusCode::OK,
        json!({"report": report}).to_string(),
    ))
}
