//! The portal's server functions: thin calls into the platform, with stable endpoint names.
//! The REST API (`/api/v1`) serves scripts and tools; these serve the pages.

use atrium_types::{DomainSummary, DomainView, HomeView, ProductDetail, QueryResultView, RunView, TableSample};
use leptos::prelude::*;

#[server(prefix = "/portal", endpoint = "home")]
pub async fn get_home() -> Result<HomeView, ServerFnError> {
    platform()?.home().await.map_err(portal_error)
}

#[server(prefix = "/portal", endpoint = "domains")]
pub async fn list_domains() -> Result<Vec<DomainSummary>, ServerFnError> {
    platform()?.domains().await.map_err(portal_error)
}

#[server(prefix = "/portal", endpoint = "domain")]
pub async fn get_domain(name: String) -> Result<DomainView, ServerFnError> {
    platform()?.domain(&name).await.map_err(portal_error)
}

#[server(prefix = "/portal", endpoint = "product")]
pub async fn get_product(id: String) -> Result<ProductDetail, ServerFnError> {
    platform()?.product(&id).await.map_err(portal_error)
}

#[server(prefix = "/portal", endpoint = "sample")]
pub async fn get_sample(id: String) -> Result<Option<TableSample>, ServerFnError> {
    platform()?.sample(&id, SAMPLE_ROWS).await.map_err(portal_error)
}

/// Runs a product now; the page shows the recorded run.
#[server(prefix = "/portal", endpoint = "run")]
pub async fn run_product(id: String) -> Result<RunView, ServerFnError> {
    platform()?
        .run(&id, atrium_platform::RunTrigger::Manual)
        .await
        .map_err(portal_error)
}

/// Runs a read-only query for the SQL console.
#[server(prefix = "/portal", endpoint = "query")]
pub async fn run_sql(sql: String) -> Result<QueryResultView, ServerFnError> {
    platform()?.query_as_text(&sql).await.map_err(portal_error)
}

/// How many rows the product page shows.
pub const SAMPLE_ROWS: usize = 50;

/// The message of a server function error, without the framework's prefix.
pub fn error_message(error: &ServerFnError) -> String {
    match error {
        ServerFnError::ServerError(message) => message.clone(),
        other => other.to_string(),
    }
}

#[cfg(feature = "ssr")]
fn platform() -> Result<atrium_platform::Platform, ServerFnError> {
    use_context::<atrium_platform::Platform>().ok_or_else(|| ServerFnError::new("the platform is not available"))
}

/// Maps a platform error for the page: the status of the server-rendered response follows the
/// shared error-code table, and internal faults stay opaque (logged here, once).
#[cfg(feature = "ssr")]
fn portal_error(error: atrium_platform::PlatformError) -> ServerFnError {
    let code = error.code();
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = http::StatusCode::from_u16(code.http_status())
    {
        response.set_status(status);
    }
    if code == atrium_types::ErrorCode::Internal {
        tracing::error!(error = ?error, "portal request failed");
        return ServerFnError::ServerError("internal error; the server log has the details".to_owned());
    }
    ServerFnError::ServerError(error.to_string())
}
