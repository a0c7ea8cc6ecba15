//! The portal's server functions: thin calls into the platform, with stable endpoint names.
//! The REST API (`/api/v1`) serves scripts and tools; these serve the pages.

use atrium_types::{
    CreatedProduct, CreatedToken, DomainSummary, DomainView, FileProfile, HomeView, MeView, ProductDetail,
    QueryResultView, RunView, SignInMethods, StarterForm, StarterPreview, TableSample, TokenView,
};
use leptos::prelude::*;

#[server(prefix = "/portal", endpoint = "home")]
pub async fn get_home() -> Result<HomeView, ServerFnError> {
    platform()?.home(&caller()?).await.map_err(portal_error)
}

#[server(prefix = "/portal", endpoint = "domains")]
pub async fn list_domains() -> Result<Vec<DomainSummary>, ServerFnError> {
    platform()?.domains(&caller()?).await.map_err(portal_error)
}

#[server(prefix = "/portal", endpoint = "domain")]
pub async fn get_domain(name: String) -> Result<DomainView, ServerFnError> {
    platform()?.domain(&caller()?, &name).await.map_err(portal_error)
}

#[server(prefix = "/portal", endpoint = "product")]
pub async fn get_product(id: String) -> Result<ProductDetail, ServerFnError> {
    platform()?.product(&caller()?, &id).await.map_err(portal_error)
}

#[server(prefix = "/portal", endpoint = "sample")]
pub async fn get_sample(id: String, output: Option<String>) -> Result<Option<TableSample>, ServerFnError> {
    platform()?
        .sample(&caller()?, &id, output.as_deref(), SAMPLE_ROWS)
        .await
        .map_err(portal_error)
}

/// Runs a product now; the page shows the recorded run.
#[server(prefix = "/portal", endpoint = "run")]
pub async fn run_product(id: String) -> Result<RunView, ServerFnError> {
    platform()?
        .run(&caller()?, &id, atrium_platform::RunTrigger::Manual)
        .await
        .map_err(portal_error)
}

/// Runs a read-only query for the SQL console.
#[server(prefix = "/portal", endpoint = "query")]
pub async fn run_sql(sql: String) -> Result<QueryResultView, ServerFnError> {
    platform()?.query_as_text(&caller()?, &sql).await.map_err(portal_error)
}

/// Profiles an uploaded sample file (multipart field `file`) for the New data product page.
#[server(prefix = "/portal", endpoint = "profile", input = leptos::server_fn::codec::MultipartFormData)]
pub async fn profile_sample(data: leptos::server_fn::codec::MultipartData) -> Result<FileProfile, ServerFnError> {
    caller()?;
    let upload = read_upload(data).await?;
    let (file, bytes) = upload
        .file
        .ok_or_else(|| ServerFnError::new("choose a file to upload"))?;
    atrium_platform::starter::profile(&file, bytes)
        .await
        .map_err(portal_error)
}

/// Profiles the file at a URL for the New data product page.
#[server(prefix = "/portal", endpoint = "profile-url")]
pub async fn profile_url(url: String) -> Result<FileProfile, ServerFnError> {
    platform()?.profile_url(&caller()?, &url).await.map_err(portal_error)
}

/// The starter descriptor of the page's choices, checked as deploy would check it; `url` when the
/// sample was given by URL.
#[server(prefix = "/portal", endpoint = "starter", input = leptos::server_fn::codec::Json)]
pub async fn preview_starter(
    profile: FileProfile,
    form: StarterForm,
    url: Option<String>,
) -> Result<StarterPreview, ServerFnError> {
    caller()?;
    Ok(atrium_platform::Platform::preview_starter(
        &profile,
        &form,
        url.as_deref(),
    ))
}

/// Makes a product that reads a URL on every run.
#[server(prefix = "/portal", endpoint = "create-url", input = leptos::server_fn::codec::Json)]
pub async fn create_from_url(url: String, form: StarterForm) -> Result<CreatedProduct, ServerFnError> {
    platform()?
        .create_from_url(&caller()?, &url, &form)
        .await
        .map_err(portal_error)
}

/// Makes the product: multipart field `file` and field `form` (the choices as JSON).
#[server(prefix = "/portal", endpoint = "create", input = leptos::server_fn::codec::MultipartFormData)]
pub async fn create_from_sample(
    data: leptos::server_fn::codec::MultipartData,
) -> Result<CreatedProduct, ServerFnError> {
    let upload = read_upload(data).await?;
    let (file, bytes) = upload
        .file
        .ok_or_else(|| ServerFnError::new("choose a file to upload"))?;
    let form: StarterForm = serde_json::from_str(upload.form.as_deref().unwrap_or("{}"))
        .map_err(|error| ServerFnError::new(format!("the form could not be read: {error}")))?;
    platform()?
        .create_from_upload(&caller()?, &file, bytes, &form)
        .await
        .map_err(portal_error)
}

/// The parts of an upload.
#[cfg(feature = "ssr")]
struct Upload {
    file: Option<(String, Vec<u8>)>,
    form: Option<String>,
}

#[cfg(feature = "ssr")]
async fn read_upload(data: leptos::server_fn::codec::MultipartData) -> Result<Upload, ServerFnError> {
    let mut multipart = data
        .into_inner()
        .ok_or_else(|| ServerFnError::new("the upload arrived without its content"))?;
    let mut upload = Upload { file: None, form: None };
    let broken = |error: multer::Error| ServerFnError::new(format!("the upload broke off: {error}"));
    while let Some(field) = multipart.next_field().await.map_err(broken)? {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("upload").to_owned();
                let bytes = field.bytes().await.map_err(broken)?;
                if !bytes.is_empty() {
                    upload.file = Some((name, bytes.to_vec()));
                }
            }
            Some("form") => upload.form = Some(field.text().await.map_err(broken)?),
            _ => {}
        }
    }
    Ok(upload)
}

/// The signed-in user, for the header; `None` for the sign-in page.
#[server(prefix = "/portal", endpoint = "me")]
pub async fn get_me() -> Result<Option<MeView>, ServerFnError> {
    Ok(signed_in().and_then(|caller| platform().ok()?.me(&caller).ok()))
}

/// How one signs in here: the identity provider's label when there is one, and in a demo data
/// dir where the demo logins were printed.
#[server(prefix = "/portal", endpoint = "sign-in")]
pub async fn get_sign_in_methods() -> Result<SignInMethods, ServerFnError> {
    Ok(SignInMethods {
        provider: use_context::<crate::SignInProvider>().and_then(|provider| provider.0),
        demo_hint: platform()?.demo_logins_hint(),
    })
}

/// The signed-in user's API tokens.
#[server(prefix = "/portal", endpoint = "tokens")]
pub async fn list_tokens() -> Result<Vec<TokenView>, ServerFnError> {
    platform()?.tokens(&caller()?, false).await.map_err(portal_error)
}

/// Creates a token for the signed-in user; the secret is in the answer only.
#[server(prefix = "/portal", endpoint = "create-token")]
pub async fn create_token(name: String, days: Option<u32>) -> Result<CreatedToken, ServerFnError> {
    let caller = caller()?;
    let atrium_platform::Caller::User(user) = &caller else {
        return Err(ServerFnError::new("only a user has tokens"));
    };
    let name = if name.trim().is_empty() {
        "portal".to_owned()
    } else {
        name.trim().to_owned()
    };
    let expires_in = days.filter(|days| *days > 0).map(chrono_days);
    platform()?
        .create_token(&caller, &user.name, &name, expires_in)
        .await
        .map_err(portal_error)
}

/// Revokes one of the signed-in user's tokens.
#[server(prefix = "/portal", endpoint = "revoke-token")]
pub async fn revoke_token(id: String) -> Result<TokenView, ServerFnError> {
    platform()?.revoke_token(&caller()?, &id).await.map_err(portal_error)
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
fn chrono_days(days: u32) -> atrium_platform::TokenLifetime {
    atrium_platform::TokenLifetime::days(i64::from(days))
}

/// The signed-in caller of this request (the server's middleware resolved it), if any.
#[cfg(feature = "ssr")]
pub(crate) fn signed_in() -> Option<atrium_platform::Caller> {
    use_context::<http::request::Parts>().and_then(|parts| parts.extensions.get::<atrium_platform::Caller>().cloned())
}

/// The signed-in caller; a request without one is answered 401 (the middleware normally turns
/// it away before it gets here).
#[cfg(feature = "ssr")]
pub(crate) fn caller() -> Result<atrium_platform::Caller, ServerFnError> {
    signed_in().ok_or_else(|| {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::UNAUTHORIZED);
        }
        ServerFnError::new("sign in first")
    })
}

#[cfg(feature = "ssr")]
pub(crate) fn platform() -> Result<atrium_platform::Platform, ServerFnError> {
    use_context::<atrium_platform::Platform>().ok_or_else(|| ServerFnError::new("the platform is not available"))
}

/// Maps a platform error for the page: the status of the server-rendered response follows the
/// shared error-code table, and internal faults stay opaque (logged here, once).
#[cfg(feature = "ssr")]
pub(crate) fn portal_error(error: atrium_platform::PlatformError) -> ServerFnError {
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
