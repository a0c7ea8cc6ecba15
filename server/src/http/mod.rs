//! The HTTP edge: one axum router with the portal (server-rendered Leptos pages, their server
//! functions, the built site's files) and the REST API, behind the layers every request passes:
//! who calls (`auth`), how large a body may be, and the security headers.

mod access_api;
mod answer;
mod api;
mod auth;
mod error;
mod extract;
mod headers;

use std::net::SocketAddr;
use std::path::Path;

use app::{App, shell};
use atrium_platform::Platform;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::post;
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

pub use error::HttpError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub platform: Platform,
    /// Mark the session cookie `Secure` whatever the request says.
    pub secure_cookies: bool,
    /// The largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Sign-in through an OpenID Connect provider, when configured.
    pub oidc: Option<std::sync::Arc<crate::oidc::OidcProvider>>,
}

impl AppState {
    /// The defaults of a server on `platform`.
    pub fn new(leptos_options: LeptosOptions, platform: Platform) -> Self {
        Self {
            leptos_options,
            platform,
            secure_cookies: false,
            max_body_bytes: 64 * 1024 * 1024,
            oidc: None,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The options Leptos renders with: the built site under `site_root`, bundle name `atrium`.
pub fn leptos_options(site_root: &Path, addr: SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("atrium")
        .site_root(site_root.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .env(Env::PROD)
        .build()
}

/// The whole application: the REST API under `/api/v1`, `/healthz`, sign-in, and the portal.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let platform = state.platform.clone();
    let options = state.leptos_options.clone();
    let max_body = state.max_body_bytes;
    let provider = state.oidc.as_ref().map(|oidc| oidc.label().to_owned());
    // The built site's files are served here, not by Leptos' file handler: that one answers a
    // file with the status of whatever page another request was rendering at the same moment
    // (its context leaks across requests), so a bundle could come back 400 beside an error page.
    let site_root = std::path::PathBuf::from(state.leptos_options.site_root.as_ref());
    Router::new()
        .nest_service("/pkg", tower_http::services::ServeDir::new(site_root.join("pkg")))
        .route_service(
            "/favicon.svg",
            tower_http::services::ServeFile::new(site_root.join("favicon.svg")),
        )
        .merge(api::router())
        .route("/auth/login", post(auth::sign_in))
        .route("/auth/logout", post(auth::sign_out))
        .route("/auth/oidc/start", axum::routing::get(auth::oidc_start))
        .route("/auth/oidc/callback", axum::routing::get(auth::oidc_callback))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(platform.clone());
                provide_context(app::SignInProvider(provider.clone()));
                // The inline scripts carry the nonce the response's policy names.
                let nonce = leptos::prelude::use_context::<axum::http::request::Parts>()
                    .and_then(|parts| parts.extensions.get::<headers::CspNonce>().cloned());
                if let Some(headers::CspNonce(nonce)) = nonce {
                    provide_context(leptos::nonce::Nonce::from_value(nonce));
                }
            },
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn(extract::server_fn_rejections))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(axum::middleware::from_fn_with_state(max_body, headers::limit_body))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(headers::security_headers))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(extract::panicked))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until Ctrl-C or SIGTERM, letting requests in flight finish.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
