//! The REST API of access requests, the audit log and usage: thin handlers over the platform.

use atrium_types::{
    AccessRequestView, ApproveAccess, AuditFilter, AuditPage, DenyAccess, NewAccessRequest, ProductUsage, RequestRole,
    RequestState, UsageGraph,
};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::auth::Signed;
use super::extract::{ApiBytes, ApiJson, ApiPath, ApiQuery};
use super::{AppState, HttpError};

/// Asks for access: 201 with the pending request.
pub async fn create_request(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiJson(request): ApiJson<NewAccessRequest>,
) -> Result<(StatusCode, Json<AccessRequestView>), HttpError> {
    Ok((
        StatusCode::CREATED,
        Json(state.platform.request_access(&caller, &request).await?),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `owner`: the requests on the caller's products; `requester` (default): the caller's own.
    #[serde(default)]
    role: Option<RequestRole>,
    #[serde(default)]
    state: Option<RequestState>,
}

pub async fn list_requests(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Vec<AccessRequestView>>, HttpError> {
    let role = query.role.unwrap_or(RequestRole::Requester);
    Ok(Json(state.platform.access_requests(&caller, role, query.state).await?))
}

pub async fn get_request(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AccessRequestView>, HttpError> {
    Ok(Json(state.platform.access_request(&caller, id).await?))
}

/// Approves a pending request (the product's owners): the grant works at once.
pub async fn approve(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath(id): ApiPath<i64>,
    ApiBytes(body): ApiBytes,
) -> Result<Json<AccessRequestView>, HttpError> {
    // The body is optional: an empty one approves for the days asked.
    let approval: ApproveAccess = if body.iter().all(u8::is_ascii_whitespace) {
        ApproveAccess::default()
    } else {
        serde_json::from_slice(&body).map_err(|error| {
            HttpError::new(
                atrium_types::ErrorCode::BadRequest,
                format!("the approval is not valid JSON of `duration_days` and `comment`: {error}"),
            )
        })?
    };
    Ok(Json(state.platform.approve_request(&caller, id, &approval).await?))
}

pub async fn deny(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath(id): ApiPath<i64>,
    ApiJson(denial): ApiJson<DenyAccess>,
) -> Result<Json<AccessRequestView>, HttpError> {
    Ok(Json(state.platform.deny_request(&caller, id, &denial).await?))
}

pub async fn withdraw(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AccessRequestView>, HttpError> {
    Ok(Json(state.platform.withdraw_request(&caller, id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[serde(default)]
    actor: Option<String>,
    #[serde(default)]
    product: Option<String>,
    #[serde(default)]
    domain: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    since: Option<String>,
    #[serde(default)]
    until: Option<String>,
    #[serde(default)]
    before: Option<i64>,
    #[serde(default)]
    limit: Option<u32>,
    /// `csv` for a CSV download (as `Accept: text/csv`).
    #[serde(default)]
    format: Option<String>,
}

/// The audit log, newest first, under filters; JSON pages, or CSV.
pub async fn audit(
    State(state): State<AppState>,
    Signed(caller): Signed,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Response, HttpError> {
    let filter = AuditFilter {
        actor: query.actor,
        product: query.product,
        domain: query.domain,
        action: query.action,
        since: query.since,
        until: query.until,
        before: query.before,
        limit: query.limit,
    };
    let page: AuditPage = state.platform.audit(&caller, &filter).await?;
    let wants_csv = query.format.as_deref() == Some("csv")
        || headers
            .get(header::ACCEPT)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|accept| accept.contains("text/csv"));
    if wants_csv {
        let headers = [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"atrium-audit.csv\""),
        ];
        return Ok((headers, atrium_platform::audit_csv(&page)).into_response());
    }
    Ok(Json(page).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    /// The period, in days back from now (default 30).
    #[serde(default)]
    days: Option<u32>,
}

/// Who read a product (its owners and readers).
pub async fn product_usage(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<UsageQuery>,
) -> Result<Json<ProductUsage>, HttpError> {
    Ok(Json(
        state
            .platform
            .product_usage(&caller, &id, query.days.unwrap_or(30))
            .await?,
    ))
}

/// Reads between domains, over the products the caller may see.
pub async fn domain_usage(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiQuery(query): ApiQuery<UsageQuery>,
) -> Result<Json<UsageGraph>, HttpError> {
    Ok(Json(
        state.platform.usage_graph(&caller, query.days.unwrap_or(30)).await?,
    ))
}
