//! The REST API, `/api/v1`: thin handlers over the platform, for scripts, CLIs and other tools.

use atrium_platform::{DescriptorSource, RunTrigger, StreamFormat};
use atrium_types::{
    CreatedToken, DeployChange, DeployOutcome, DomainSummary, DomainView, ErrorCode, GrantRequest, GrantView, MeView,
    ProductDetail, RunView, TokenView,
};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::auth::Signed;
use super::extract::{ApiBytes, ApiJson, ApiPath, ApiQuery};
use super::{AppState, HttpError, access_api, answer};

pub fn router() -> Router<AppState> {
    let v1 = Router::new()
        .route("/products", get(list_products).post(deploy_product))
        .route("/products/{id}", get(get_product).delete(remove_product))
        .route("/search", get(search))
        .route("/search/suggest", get(suggest))
        .route("/products/{id}/runs", get(list_runs).post(start_run))
        .route("/products/{id}/runs/{run}/rejected", get(list_rejected_rows))
        .route("/products/{id}/inputs/{input}/rows", axum::routing::post(append_rows))
        .route("/query", axum::routing::post(run_query))
        .route("/domains", get(list_domains))
        .route("/domains/{name}", get(get_domain))
        .route("/me", get(me))
        .route("/grants", get(list_grants).post(add_grant))
        .route("/grants/{id}", axum::routing::delete(revoke_grant))
        .route(
            "/access-requests",
            get(access_api::list_requests).post(access_api::create_request),
        )
        .route("/access-requests/{id}", get(access_api::get_request))
        .route("/access-requests/{id}/approve", post(access_api::approve))
        .route("/access-requests/{id}/deny", post(access_api::deny))
        .route("/access-requests/{id}/withdraw", post(access_api::withdraw))
        .route("/audit", get(access_api::audit))
        .route("/products/{id}/usage", get(access_api::product_usage))
        .route("/usage/domains", get(access_api::domain_usage))
        .route("/tokens", get(list_tokens).post(create_token))
        .route("/tokens/{id}", axum::routing::delete(revoke_token))
        .route("/openapi.yaml", get(openapi))
        .method_not_allowed_fallback(super::extract::method_not_allowed)
        .fallback(unknown_endpoint);
    Router::new()
        .route("/healthz", get(healthz))
        .method_not_allowed_fallback(super::extract::method_not_allowed)
        .nest("/api/v1", v1)
}

/// The OpenAPI document of this API, kept next to the handlers it describes.
pub const OPENAPI: &str = include_str!("openapi.yaml");

async fn openapi() -> ([(axum::http::header::HeaderName, &'static str); 1], &'static str) {
    ([(axum::http::header::CONTENT_TYPE, "application/yaml")], OPENAPI)
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// The most products one page lists (and the default).
const PRODUCTS_PAGE: u64 = 1_000;

#[derive(Debug, Deserialize)]
struct ProductsQuery {
    #[serde(default)]
    limit: Option<u64>,
    /// The last id of the previous page.
    #[serde(default)]
    cursor: Option<String>,
}

/// A page of the products the caller may see, by id; a full page links to the next one
/// (`Link: <…?cursor=LAST&limit=N>; rel="next"`).
async fn list_products(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiQuery(query): ApiQuery<ProductsQuery>,
) -> Result<axum::response::Response, HttpError> {
    use axum::response::IntoResponse;
    let limit = query.limit.unwrap_or(PRODUCTS_PAGE).clamp(1, PRODUCTS_PAGE);
    let page = state
        .platform
        .products_page(&caller, query.cursor.as_deref(), limit)
        .await?;
    let next = (page.len() as u64 == limit)
        .then(|| {
            page.last()
                .map(|last| format!("/api/v1/products?limit={limit}&cursor={}", last.id))
        })
        .flatten();
    Ok(with_next_page(Json(page).into_response(), next))
}

async fn get_product(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ProductDetail>, HttpError> {
    Ok(Json(state.platform.product(&caller, &id).await?))
}

/// Removes a product from the catalog (its owners): hidden everywhere, search included, before
/// this answers; its tables, runs and audit stay.
async fn remove_product(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, HttpError> {
    state.platform.remove_product(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    offset: Option<usize>,
    #[serde(default)]
    domain: Option<String>,
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    classification: Option<String>,
    #[serde(default)]
    explain: bool,
}

/// Full-text search over the catalog as the caller may see it, with facets.
async fn search(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<atrium_platform::SearchResults>, HttpError> {
    let params = atrium_platform::SearchParams {
        q: query.q,
        limit: query.limit,
        offset: query.offset,
        domain: query.domain,
        tag: query.tag,
        owner: query.owner,
        kind: query.kind,
        status: query.status,
        classification: query.classification,
        explain: query.explain,
    };
    Ok(Json(state.platform.search(&caller, params).await?))
}

#[derive(Debug, Deserialize)]
struct SuggestQuery {
    #[serde(default)]
    q: String,
}

/// Up to 10 completions of what is being typed: product ids and titles, outputs, column names.
async fn suggest(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiQuery(query): ApiQuery<SuggestQuery>,
) -> Result<Json<Vec<atrium_platform::Suggestion>>, HttpError> {
    Ok(Json(state.platform.suggest(&caller, &query.q).await?))
}

/// Runs the product now and answers with the recorded run (201), whether it succeeded or not.
async fn start_run(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath(id): ApiPath<String>,
) -> Result<(StatusCode, Json<RunView>), HttpError> {
    let run = state.platform.run(&caller, &id, RunTrigger::Manual).await?;
    Ok((StatusCode::CREATED, Json(run)))
}

/// The most runs one page lists.
const RUNS_PAGE: u64 = 100;

#[derive(Debug, Deserialize)]
struct RunsQuery {
    #[serde(default)]
    limit: Option<u64>,
    /// The id of the oldest run of the previous page.
    #[serde(default)]
    before: Option<i64>,
}

/// A page of a product's runs, newest first; a full page links to the next (older) one.
async fn list_runs(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<RunsQuery>,
) -> Result<axum::response::Response, HttpError> {
    use axum::response::IntoResponse;
    let limit = query.limit.unwrap_or(50).clamp(1, RUNS_PAGE);
    let page = state.platform.runs_page(&caller, &id, query.before, limit).await?;
    let next = (page.len() as u64 == limit)
        .then(|| {
            page.last()
                .map(|last| format!("/api/v1/products/{id}/runs?limit={limit}&before={}", last.id))
        })
        .flatten();
    Ok(with_next_page(Json(page).into_response(), next))
}

/// A page's answer with `Link: <next>; rel="next"` when there is a next page.
fn with_next_page(mut response: axum::response::Response, next: Option<String>) -> axum::response::Response {
    let link = next.and_then(|next| axum::http::HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")).ok());
    if let Some(link) = link {
        response.headers_mut().insert(axum::http::header::LINK, link);
    }
    response
}

/// The input rows a run set aside (the quarantine), at most 1,000, in input and line order.
async fn list_rejected_rows(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath((id, run)): ApiPath<(String, i64)>,
) -> Result<Json<Vec<atrium_platform::RejectedRow>>, HttpError> {
    Ok(Json(state.platform.rejected_rows(&caller, &id, run, 1_000).await?))
}

/// Accepts rows for a stream input (a JSON array or JSON lines); answers 202 once they are
/// durable, with how many were accepted.
async fn append_rows(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath((id, input)): ApiPath<(String, String)>,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, Json<serde_json::Value>), HttpError> {
    let text = utf8_body(body, "the rows (a JSON array or JSON lines)")?;
    let accepted = state.platform.append_rows(&caller, &id, &input, text).await?;
    Ok((StatusCode::ACCEPTED, Json(serde_json::json!({ "accepted": accepted }))))
}

#[derive(Debug, Deserialize)]
struct QueryRequest {
    sql: String,
}

/// The media type of Arrow IPC streams.
const ARROW_STREAM: &str = "application/vnd.apache.arrow.stream";

/// Runs a read-only SQL query over the readable products: JSON by default, `Accept: text/csv` or
/// `Accept: application/vnd.apache.arrow.stream` for those formats; every format streams (see
/// [`super::answer`] for how the row limit's cut is told).
async fn run_query(
    State(state): State<AppState>,
    Signed(caller): Signed,
    headers: HeaderMap,
    ApiJson(request): ApiJson<QueryRequest>,
) -> Result<Response, HttpError> {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let (format, media_type) = if accept.contains("text/csv") {
        (StreamFormat::Csv, "text/csv; charset=utf-8")
    } else if accept.contains(ARROW_STREAM) {
        (StreamFormat::ArrowIpc, ARROW_STREAM)
    } else {
        (StreamFormat::Json, "application/json")
    };
    let answer = state.platform.query_stream(&caller, &request.sql, format).await?;
    answer::respond(answer, media_type, state.platform.query_row_limit()).await
}

async fn list_domains(
    State(state): State<AppState>,
    Signed(caller): Signed,
) -> Result<Json<Vec<DomainSummary>>, HttpError> {
    Ok(Json(state.platform.domains(&caller).await?))
}

async fn get_domain(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<DomainView>, HttpError> {
    Ok(Json(state.platform.domain(&caller, &name).await?))
}

#[derive(Debug, Deserialize)]
struct DeployQuery {
    /// A file name to show in located errors, e.g. `orders.yaml`.
    file: Option<String>,
}

/// Deploys the YAML descriptor in the body: 201 when created, 200 when updated or unchanged,
/// 422 with every located problem when invalid.
async fn deploy_product(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiQuery(query): ApiQuery<DeployQuery>,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, Json<DeployOutcome>), HttpError> {
    let text = utf8_body(body, "the YAML descriptor")?;
    if text.trim().is_empty() {
        return Err(HttpError::new(
            ErrorCode::BadRequest,
            "the request body is empty; send the YAML descriptor",
        ));
    }
    let mut outcomes = state
        .platform
        .deploy(&caller, &[DescriptorSource::new(text, query.file)])
        .await?;
    let outcome = outcomes
        .pop()
        .ok_or_else(|| HttpError::new(ErrorCode::Internal, "the deploy returned no outcome"))?;
    if outcome.change != DeployChange::Unchanged {
        // The product runs on deploy, in the background: the answer does not wait for its data.
        let platform = state.platform.clone();
        let deployed = outcome.clone();
        tokio::spawn(async move {
            if let Err(error) = platform.run_deployed(&caller, &[deployed]).await {
                tracing::error!(error = %atrium_types::error_chain(&error), "run after deploy failed");
            }
        });
    }
    let status = if outcome.change == DeployChange::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(outcome)))
}

/// The caller, their teams and roles.
async fn me(State(state): State<AppState>, Signed(caller): Signed) -> Result<Json<MeView>, HttpError> {
    Ok(Json(state.platform.me(&caller)?))
}

/// The grants on products the caller owns, and those the caller holds.
async fn list_grants(State(state): State<AppState>, Signed(caller): Signed) -> Result<Json<Vec<GrantView>>, HttpError> {
    Ok(Json(state.platform.grants(&caller).await?))
}

/// Gives a grant (the product's owners only): 201 with the grant.
async fn add_grant(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiJson(request): ApiJson<GrantRequest>,
) -> Result<(StatusCode, Json<GrantView>), HttpError> {
    Ok((
        StatusCode::CREATED,
        Json(state.platform.add_grant(&caller, &request).await?),
    ))
}

#[derive(Debug, Deserialize)]
struct RevokeQuery {
    /// Why, recorded with the grant and told to its holders.
    #[serde(default)]
    reason: Option<String>,
}

/// Revokes a grant (the product's owners only): it stops working at once.
async fn revoke_grant(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<RevokeQuery>,
) -> Result<Json<GrantView>, HttpError> {
    Ok(Json(
        state
            .platform
            .revoke_grant(&caller, id, query.reason.as_deref())
            .await?,
    ))
}

/// The caller's own API tokens, without their secrets.
async fn list_tokens(State(state): State<AppState>, Signed(caller): Signed) -> Result<Json<Vec<TokenView>>, HttpError> {
    Ok(Json(state.platform.tokens(&caller, false).await?))
}

#[derive(Debug, Deserialize)]
struct TokenRequest {
    name: String,
    /// How long the token works, e.g. `30d`; absent: no expiry.
    #[serde(default)]
    expires_in: Option<String>,
}

/// Creates a token for the caller: 201 with the secret, shown this once.
async fn create_token(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiJson(request): ApiJson<TokenRequest>,
) -> Result<(StatusCode, Json<CreatedToken>), HttpError> {
    let atrium_platform::Caller::User(user) = &caller else {
        return Err(HttpError::new(ErrorCode::Forbidden, "only a user has tokens"));
    };
    let expires_in = request
        .expires_in
        .as_deref()
        .map(|text| {
            humantime::parse_duration(text)
                .ok()
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .ok_or_else(|| HttpError::new(ErrorCode::BadRequest, format!("`{text}` is not a duration, e.g. 30d")))
        })
        .transpose()?;
    let created = state
        .platform
        .create_token(&caller, &user.name, &request.name, expires_in)
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn revoke_token(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<TokenView>, HttpError> {
    Ok(Json(state.platform.revoke_token(&caller, &id).await?))
}

/// The body as text; one that is not UTF-8 is refused saying where it stops being text.
fn utf8_body(body: Bytes, what: &str) -> Result<String, HttpError> {
    String::from_utf8(body.to_vec()).map_err(|error| {
        let at = error.utf8_error().valid_up_to();
        HttpError::new(
            ErrorCode::BadRequest,
            format!("the request body is not UTF-8 text (byte {at} is not); send {what}"),
        )
    })
}

async fn unknown_endpoint() -> HttpError {
    HttpError::new(ErrorCode::NotFound, "no such API endpoint; see /api/v1/products")
}
